/**
 * The console's sign-in pages, in the console's shell without a session
 * (publicConsolePage in src/api/console/layout.ts): the same stylesheet, headers and
 * Content-Security-Policy as every console page, no script, every value escaped.
 */
import { e, publicConsolePage } from '../layout';
import { RETURN_TO_FIELD } from './return-to';

/** `next`: the console path to open after signing in (already checked by safeReturnPath). */
export function signInPage(options: { oidc: boolean; error?: string; next?: string | undefined }): string {
  const query = options.next === undefined ? '' : `?${RETURN_TO_FIELD}=${encodeURIComponent(options.next)}`;
  const idp = options.oidc
    ? `<p><a class="button idp" href="/console/oidc/start${e(query)}">Sign in with your identity provider</a></p>
<p class="muted">or with an operator API key:</p>`
    : '';
  const next =
    options.next === undefined ? '' : `<input type="hidden" name="${RETURN_TO_FIELD}" value="${e(options.next)}">\n`;
  return publicConsolePage({
    title: 'Sign in',
    body: `<h1>Sign in to Interlock</h1>
${options.error === undefined ? '' : `<p class="error" role="alert">${e(options.error)}</p>`}
${idp}<form method="post" action="/console/sign-in" class="sign-in">
<div class="field"><label for="apiKey">Operator API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="current-password" required></div>
${next}<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  });
}

export function refusedPage(title: string, reason: string): string {
  return publicConsolePage({
    title,
    body: `<h1>${e(title)}</h1><p class="error" role="alert">${e(reason)}</p><p><a href="/console/sign-in">Back to sign-in</a></p>`,
  });
}

/**
 * After a sign-in: a same-site page that moves on to the console. A 303 would not
 * do: the redirect chain began at the IdP, so the browser would withhold the new
 * SameSite=Strict cookie from /console.
 */
export function continuePage(next = '/console'): string {
  return publicConsolePage({
    title: 'Signed in',
    refreshTo: next,
    body: `<p>Signed in. <a href="${e(next)}">Continue to the console</a></p>`,
  });
}

export function signedOutPage(): string {
  return publicConsolePage({
    title: 'Signed out',
    body: `<h1>Signed out</h1><p>Your console session has ended.</p><p><a href="/console/sign-in">Sign in again</a></p>`,
  });
}
