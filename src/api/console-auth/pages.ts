/**
 * The console's sign-in pages: server-rendered, no script (the CSP forbids any), every value
 * escaped. The signed-in pages use the console's shell (src/api/console/layout.ts).
 */
import { escapeHtml as e } from '../ui/timeline-page';
import { RETURN_TO_FIELD } from './return-to';

/** Scripts, frames, forms elsewhere and plug-ins are all refused; only inline styles and same-origin forms. */
export const CONSOLE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} — Interlock</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:34rem;padding:0 1rem;color:#1d232b}
h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .3rem}input[type=password]{width:100%;padding:.4rem;font:inherit}
button,.button{font:inherit;padding:.4rem 1rem;margin-top:.8rem}.error{color:#a4262c;font-weight:600}.muted{color:#5b6673}
</style></head>
<body>
${body}
</body></html>`;
}

/** `next`: the console path to open after signing in (already checked by safeReturnPath). */
export function signInPage(options: { oidc: boolean; error?: string; next?: string | undefined }): string {
  const query = options.next === undefined ? '' : `?${RETURN_TO_FIELD}=${encodeURIComponent(options.next)}`;
  const idp = options.oidc
    ? `<p><a class="button" href="/console/oidc/start${e(query)}">Sign in with your identity provider</a></p><p class="muted">or with an operator API key:</p>`
    : '';
  const next =
    options.next === undefined ? '' : `<input type="hidden" name="${RETURN_TO_FIELD}" value="${e(options.next)}">\n`;
  return layout(
    'Sign in',
    `<h1>Sign in to Interlock</h1>
${options.error === undefined ? '' : `<p class="error" role="alert">${e(options.error)}</p>`}
${idp}<form method="post" action="/console/sign-in">
<label for="apiKey">Operator API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="current-password" required>
${next}<button type="submit">Sign in</button>
</form>`,
  );
}

export function refusedPage(title: string, reason: string): string {
  return layout(
    title,
    `<h1>${e(title)}</h1><p class="error" role="alert">${e(reason)}</p><p><a href="/console/sign-in">Back to sign-in</a></p>`,
  );
}

/**
 * After a sign-in: a same-site page that moves on to the console. A 303 would not
 * do: the redirect chain began at the IdP, so the browser would withhold the new
 * SameSite=Strict cookie from /console.
 */
export function continuePage(next = '/console'): string {
  return layout(
    'Signed in',
    `<meta http-equiv="refresh" content="0;url=${e(next)}"><p>Signed in. <a href="${e(next)}">Continue to the console</a></p>`,
  );
}

export function signedOutPage(): string {
  return layout('Signed out', `<h1>Signed out</h1><p><a href="/console/sign-in">Sign in again</a></p>`);
}
