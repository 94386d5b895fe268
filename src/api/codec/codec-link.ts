/**
 * Codec endpoint URLs for the Temporal Web UI, which calls `<endpoint>/decode` from the
 * operator's browser and cannot send an operator's Authorization header. The credential is in
 * the path: operator, expiry and an HMAC keyed with the operator's own API key (as for the
 * timeline links: no shared secret, and rotating the API key revokes the operator's links).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A working day: the link sits in the browser's Temporal UI settings meanwhile. */
export const CODEC_LINK_TTL_SECONDS = 12 * 3600;

export interface CodecLink {
  op: string;
  exp: number;
  sig: string;
}

function signature(apiKey: string, operatorId: string, expires: number): string {
  return createHmac('sha256', apiKey).update(`interlock-codec:${operatorId}:${expires}`).digest('hex');
}

/** The path (under the public URL) of a codec endpoint for this operator. */
export function signCodecLink(
  apiKey: string,
  operatorId: string,
  nowMs: number = Date.now(),
): { path: string; expiresAt: string } {
  const expires = Math.floor(nowMs / 1000) + CODEC_LINK_TTL_SECONDS;
  const sig = signature(apiKey, operatorId, expires);
  return {
    path: `/codec/${encodeURIComponent(operatorId)}/${expires}/${sig}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/** true when `link` was signed with `apiKey` for its operator and has not expired. */
export function checkCodecLink(apiKey: string, link: CodecLink, nowMs: number = Date.now()): boolean {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (link.exp < nowSeconds || link.exp > nowSeconds + CODEC_LINK_TTL_SECONDS) return false;
  const expected = Buffer.from(signature(apiKey, link.op, link.exp), 'hex');
  const presented = Buffer.from(link.sig, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
