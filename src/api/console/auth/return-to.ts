/**
 * Where a visitor goes back to after signing in: a console page they asked for before they had
 * a session. Only a same-origin path under /console is accepted (never `//host`, `/\host`, a
 * scheme or a sign-in page), so the parameter cannot be turned into an open redirect.
 */
const BASE = 'http://console.invalid';
const MAX_LENGTH = 512;

export const RETURN_TO_FIELD = 'next';

function hasControl(value: string): boolean {
  return [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined;
  // Reject before parsing what browsers would read as another host or a scheme.
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\s]/.test(value) || hasControl(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== BASE) return undefined;
  if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return undefined;
  if (url.pathname.startsWith('/console/sign-') || url.pathname.startsWith('/console/oidc/')) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page that comes back to `path` (a same-origin console path) afterwards. */
export function signInLocation(path: string | undefined): string {
  const next = safeReturnPath(path);
  return next === undefined ? '/console/sign-in' : `/console/sign-in?${RETURN_TO_FIELD}=${encodeURIComponent(next)}`;
}
