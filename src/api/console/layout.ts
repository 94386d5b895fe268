/**
 * The console's shared page shell: every console page (incidents, approvals, playbooks) is
 * rendered into this layout — navigation, the signed-in operator, sign-out with the CSRF
 * token, one stylesheet and same-origin scripts, a status region for live updates — and sent
 * with the console's headers (sendConsolePage). The sign-in pages use its signed-out form
 * (publicConsolePage): same stylesheet, same headers, same CSP. Every value is escaped here or
 * by the caller with `e` (alert fields are attacker-controlled).
 */
import type { FastifyReply } from 'fastify';
import { CSRF_FIELD } from './auth/csrf';
import { escapeHtml } from '../ui/timeline-page';
import { assetUrl } from './assets';

export { escapeHtml as e };
const e = escapeHtml;

/**
 * Nothing but the console's own files: scripts only from /console/assets (no inline script,
 * no eval), styles only from the stylesheet (no inline style attributes either), fetch and
 * server-sent events to the same origin, forms posting to the same origin, never framed.
 */
export const CONSOLE_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The headers of every console response (pages, fragments, the event stream). */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': CONSOLE_PAGE_CSP,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

export type ConsoleSection = 'incidents' | 'approvals' | 'playbooks';

/** The signed-in operator as the shell shows them, and their session's CSRF token. */
export interface ConsoleViewer {
  id: string;
  name: string;
  roles: string[];
  csrfToken: string;
}

export interface ConsolePageInput {
  title: string;
  viewer: ConsoleViewer;
  /** The navigation entry marked current. */
  section?: ConsoleSection;
  /** The page's HTML (already escaped). */
  body: string;
  /** Extra scripts from src/api/console/assets/ (console.js is always loaded). */
  scripts?: string[];
  /** data-* attributes of <main> for the scripts, e.g. { live: 'queue' } (values escaped here). */
  data?: Record<string, string>;
}

const SECTIONS: { id: ConsoleSection; label: string; href: string }[] = [
  { id: 'incidents', label: 'Incidents', href: '/console/incidents' },
  { id: 'approvals', label: 'Approvals', href: '/console/approvals' },
  { id: 'playbooks', label: 'Playbooks', href: '/console/playbooks' },
];

/** A hidden form field with the session's CSRF token: put one in every console form that posts. */
export function csrfField(viewer: ConsoleViewer): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${e(viewer.csrfToken)}">`;
}

export function consolePage(input: ConsolePageInput): string {
  const nav = SECTIONS.map(
    (s) => `<li><a href="${s.href}"${s.id === input.section ? ' aria-current="page"' : ''}>${s.label}</a></li>`,
  ).join('');
  const data = Object.entries(input.data ?? {})
    .map(([key, value]) => ` data-${e(key.replace(/[^a-z0-9-]/g, ''))}="${e(value)}"`)
    .join('');
  const scripts = ['console.js', ...(input.scripts ?? [])]
    .map((name) => `<script src="${e(assetUrl(name))}" defer></script>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${e(input.viewer.csrfToken)}">
<title>${e(input.title)} — Interlock</title>
<link rel="stylesheet" href="${e(assetUrl('console.css'))}">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console/incidents">Interlock</a>
<nav aria-label="Console"><ul>${nav}</ul></nav>
<div class="who"><span class="operator" title="${e(input.viewer.roles.join(', '))}">${e(input.viewer.name)}</span>
<form method="post" action="/console/sign-out">${csrfField(input.viewer)}<button type="submit" class="link">Sign out</button></form></div>
</header>
<div id="live-status" class="live-status" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1"${data}>
${input.body}
</main>
</body></html>`;
}

/** Sends a console page (or fragment) with the console's headers. */
export function sendConsolePage(reply: FastifyReply, status: number, html: string): FastifyReply {
  void reply.status(status).header('Content-Type', 'text/html; charset=utf-8');
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) void reply.header(name, value);
  return reply.send(html);
}

const BACK: Record<ConsoleSection, string> = {
  incidents: 'Back to the incidents',
  approvals: 'Back to the approvals inbox',
  playbooks: 'Back to the playbooks',
};

/** The section a console path belongs to (the incidents for anything else). */
export function sectionOf(path: string): ConsoleSection {
  return (
    SECTIONS.find((s) => path === s.href || path.startsWith(`${s.href}/`) || path.startsWith(`${s.href}?`))?.id ??
    'incidents'
  );
}

/** A console error page in the shell (not found, refused input), with the way back to its section. */
export function consoleMessagePage(
  viewer: ConsoleViewer,
  title: string,
  message: string,
  section: ConsoleSection = 'incidents',
): string {
  return consolePage({
    title,
    viewer,
    section,
    body: `<h1>${e(title)}</h1><p class="error" role="alert">${e(message)}</p><p><a href="/console/${section}">${BACK[section]}</a></p>`,
  });
}

/** "2026-03-01 10:05:00 UTC" in a <time> element. */
export function timeTag(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  return `<time datetime="${e(iso)}">${e(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}</time>`;
}

/** "3 min 20 s", "1 h 05 min" for a duration in ms; — when unknown. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export interface PublicPageInput {
  title: string;
  /** The page's HTML (already escaped). */
  body: string;
  /** A same-origin path the page moves on to at once (a meta refresh; CSP allows it, it is no script). */
  refreshTo?: string;
}

/**
 * The shell without a session: sign-in, signed out, a refused sign-in, an error before a
 * session is known. The same head, stylesheet, headers and CSP as the signed-in pages, the
 * brand bar without the navigation, and no script at all.
 */
export function publicConsolePage(input: PublicPageInput): string {
  const refresh =
    input.refreshTo === undefined ? '' : `<meta http-equiv="refresh" content="0;url=${e(input.refreshTo)}">\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${e(input.title)} — Interlock</title>
<link rel="stylesheet" href="${e(assetUrl('console.css'))}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console">Interlock</a>
<span class="tagline">Responders' console</span>
</header>
<main id="main" class="plain" tabindex="-1">
${input.body}
</main>
</body></html>`;
}

/** A page outside the signed-in shell (a refused form, not found before a session is known). */
export function plainConsolePage(title: string, message: string): string {
  return publicConsolePage({
    title,
    body: `<h1>${e(title)}</h1><p class="error" role="alert">${e(message)}</p>
<p><a href="/console/incidents">Incidents</a> · <a href="/console/sign-in">Sign in</a></p>`,
  });
}
