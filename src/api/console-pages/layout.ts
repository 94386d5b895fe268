/**
 * A minimal layout for the approvals and playbooks pages (data → HTML string, no I/O), to be
 * swapped for the console's shared shell when both land: the pages call only `consolePage`.
 * Scripts come from same-origin files (the CSP allows no inline script); every value is escaped.
 */
import { CSRF_FIELD } from '../console-auth/csrf';
import { escapeHtml as e } from '../ui/timeline-page';

/** Same-origin scripts only, no inline script, no frames, forms post here only. */
export const PAGES_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface PageViewer {
  id: string;
  name: string;
  roles: readonly string[];
  csrfToken: string;
}

export type Section = 'incidents' | 'approvals' | 'playbooks';

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232b;background:#f5f6f8}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.2rem;padding:.6rem 1rem;background:#1d2b3a;color:#fff}
header a{color:#fff}header nav{display:flex;gap:1rem;flex-wrap:wrap}header nav a[aria-current]{font-weight:700;text-decoration:underline}
header .who{margin-left:auto;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
header form{margin:0}header button{font:inherit;padding:.2rem .6rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.4rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .4rem}
.card{background:#fff;border:1px solid #d4d9e0;border-radius:6px;padding:1rem;margin:0 0 1rem}
.card.focus{border-color:#1f6feb;box-shadow:0 0 0 2px #1f6feb33}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.4rem 1rem;margin:.6rem 0}
dl.facts div{min-width:0}dt{font-size:.8rem;color:#5b6673;text-transform:uppercase;letter-spacing:.03em}dd{margin:0;overflow-wrap:anywhere}
code,pre{font:13px/1.45 ui-monospace,monospace;overflow-wrap:anywhere}
pre{white-space:pre-wrap;background:#f0f2f5;padding:.6rem;border-radius:4px;overflow:auto}
.technical{display:block;color:#3d4754;margin:.2rem 0}
.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin-top:.6rem}
.button,button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #8a96a3;background:#fff;color:#1d232b;text-decoration:none;cursor:pointer;display:inline-block}
.approve{background:#1a7f37;border-color:#1a7f37;color:#fff}.reject{background:#a4262c;border-color:#a4262c;color:#fff}
.breakglass{background:#9a6700;border-color:#9a6700;color:#fff}
a:focus-visible,button:focus-visible,textarea:focus-visible,select:focus-visible,input:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}
label{display:block;margin:.8rem 0 .3rem;font-weight:600}
textarea,select,input[type=text]{width:100%;font:inherit;padding:.4rem;border:1px solid #8a96a3;border-radius:4px}
textarea.code{font:13px/1.45 ui-monospace,monospace;min-height:12rem}
.error{color:#a4262c;font-weight:600}.ok{color:#1a7f37;font-weight:600}.muted{color:#5b6673}
.notice{border-left:4px solid #1f6feb;background:#fff;padding:.6rem 1rem;margin:0 0 1rem}
.notice.error{border-color:#a4262c}.notice.ok{border-color:#1a7f37}
.countdown{font-weight:600}.countdown.soon{color:#a4262c}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e7ebf0;font-size:.85rem}
.badge.ot{background:#fff1d6}.badge.approve{background:#ddf4ff;color:#0b3a6b}.badge.refuse{background:#ffe2e0;color:#82071e}
.badge.recommend{background:#eee5ff;color:#3d1f7a}.badge.auto{background:#dcf5e3;color:#0f4d1f}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e1e5ea;vertical-align:top}
.table-wrap{overflow-x:auto}
ul.plain{list-style:none;padding:0;margin:.2rem 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){main{padding:.6rem}header .who{margin-left:0}.actions .button,.actions button{flex:1 1 100%;text-align:center}}
`;

function nav(section: Section | undefined): string {
  const link = (id: Section, href: string, label: string) =>
    `<a href="${href}"${section === id ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<nav aria-label="Console">${link('incidents', '/console/incidents', 'Incidents')}${link('approvals', '/console/approvals', 'Approvals')}${link('playbooks', '/console/playbooks', 'Playbooks')}</nav>`;
}

/** A whole console page: header (sections, who is signed in, sign-out), then `body`. */
export function consolePage(input: {
  title: string;
  viewer: PageViewer;
  section?: Section;
  body: string;
  /** Same-origin script paths (deferred). */
  scripts?: readonly string[];
}): string {
  const scripts = (input.scripts ?? []).map((src) => `<script src="${e(src)}" defer></script>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(input.title)} — Interlock</title>
<style>${STYLE}</style>
${scripts}
</head>
<body>
<header><strong><a href="/console">Interlock</a></strong>${nav(input.section)}
<div class="who"><span>Signed in as <span class="operator">${e(input.viewer.name)}</span> (<span class="roles">${e(input.viewer.roles.join(', '))}</span>)</span>
<form method="post" action="/console/sign-out"><input type="hidden" name="${CSRF_FIELD}" value="${e(input.viewer.csrfToken)}"><button type="submit">Sign out</button></form></div>
</header>
<main id="main">
${input.body}
</main>
</body></html>`;
}

/** A page that says why something was refused or not found, with the way back. */
export function problemPage(
  viewer: PageViewer,
  section: Section,
  title: string,
  message: string,
  back: { href: string; label: string },
): string {
  return consolePage({
    title,
    viewer,
    section,
    body: `<h1>${e(title)}</h1><p class="notice error" role="alert">${e(message)}</p><p><a href="${e(back.href)}">${e(back.label)}</a></p>`,
  });
}
