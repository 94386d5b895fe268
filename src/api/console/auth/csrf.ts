import { createHmac, timingSafeEqual } from 'node:crypto';

/** The form field and the header that carry the CSRF token on a state-changing request. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The synchronizer token of a session: an HMAC of a fixed label keyed with the session token.
 * Tied to that session (another session's token does not verify), never stored, and it
 * reveals nothing of the session token it derives from.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('interlock-console-csrf-v1').digest('base64url');
}

/** Constant-time check of a presented token against the session's. */
export function csrfTokenMatches(sessionToken: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The token a request presents: the X-CSRF-Token header, else the `_csrf` form field. */
export function presentedCsrfToken(headers: Record<string, unknown>, body: unknown): unknown {
  const header = headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  if (typeof body === 'object' && body !== null) return (body as Record<string, unknown>)[CSRF_FIELD];
  return undefined;
}
