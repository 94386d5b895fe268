import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses to sign requests older than this; so do we (replay window). */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export type SignatureCheck =
  { ok: true } | { ok: false; reason: 'missing_signature' | 'stale_timestamp' | 'bad_signature' };

/**
 * Slack's v0 request signature: `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw
 * body}`), compared in constant time; a timestamp more than 5 minutes away is refused.
 */
export function verifySlackSignature(input: {
  rawBody: Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  signingSecret: string;
  nowMs: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing_signature' };
  if (Math.abs(input.nowMs / 1000 - Number(timestamp)) > SLACK_MAX_AGE_SECONDS)
    return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(`v0=${signBody(input.signingSecret, timestamp, input.rawBody)}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}

/** Hex HMAC-SHA256 of `v0:{timestamp}:{body}` (what Slack puts after `v0=`). */
export function signBody(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:`, 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}
