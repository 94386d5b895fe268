/**
 * Short-lived links to the timeline page, for browsers that cannot send the operator's
 * Authorization header. The signature is an HMAC keyed with the operator's own API key, so
 * every API process can check it without a shared secret, and rotating the key revokes
 * every link that operator handed out.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMELINE_LINK_TTL_SECONDS = 15 * 60;

function signature(apiKey: string, incidentId: string, operatorId: string, expires: number): string {
  return createHmac('sha256', apiKey).update(`interlock-ui:${incidentId}:${operatorId}:${expires}`).digest('hex');
}

export function signTimelineLink(
  apiKey: string,
  incidentId: string,
  operatorId: string,
  nowMs: number = Date.now(),
): { query: string; expiresAt: string } {
  const expires = Math.floor(nowMs / 1000) + TIMELINE_LINK_TTL_SECONDS;
  const sig = signature(apiKey, incidentId, operatorId, expires);
  const query = new URLSearchParams({ op: operatorId, exp: String(expires), sig }).toString();
  return { query, expiresAt: new Date(expires * 1000).toISOString() };
}

/** true when `sig` was made with `apiKey` for this incident and operator and has not expired. */
export function checkTimelineLink(
  apiKey: string,
  incidentId: string,
  link: { op: string; exp: number; sig: string },
  nowMs: number = Date.now(),
): boolean {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (link.exp < nowSeconds || link.exp > nowSeconds + TIMELINE_LINK_TTL_SECONDS) return false;
  const expected = Buffer.from(signature(apiKey, incidentId, link.op, link.exp), 'hex');
  const presented = Buffer.from(link.sig, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
