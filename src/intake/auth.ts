import { createHmac, timingSafeEqual } from 'node:crypto';
import type { InterlockConfig } from '../config/schema';
import { sha256Hex } from './raw-body';

/**
 * Webhook authentication for one configured source.
 *
 * Accepted credentials (each only when the source configures the matching secret):
 * - `Authorization: Bearer <token>`                       → method "bearer"
 * - `?token=<token>` (Splunk's webhook cannot set headers) → method "query-token"
 * - `X-Interlock-Signature: sha256=<hex HMAC-SHA256(raw body, hmacSecret)>` → method "hmac"
 * - `Authorization: Basic base64(user:password)`          → method "basic"
 *
 * Rules: a request is accepted when every presented credential verifies — a wrong signature
 * next to a right token, or a bearer token beside a valid signature on a source that has no
 * token, means tampering or misconfiguration: refuse rather than guess. Repeated credential
 * headers or query parameters are refused as ambiguous. Every secret comparison is
 * constant-time, and failure reasons never echo secrets or presented credentials.
 */

export type SourceConfig = InterlockConfig['sources'][string];
export type AuthMethod = 'bearer' | 'query-token' | 'hmac' | 'basic';
export type AuthResult = { ok: true; method: AuthMethod } | { ok: false; reason: string };

export interface WebhookAuthInput {
  source: SourceConfig;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  rawBody: Buffer;
}

export const SIGNATURE_HEADER = 'x-interlock-signature';
const AUTHORIZATION_HEADER = 'authorization';

/** Outcome of checking one presented credential. */
type Attempt =
  | { method: AuthMethod; status: 'valid' }
  | { method: AuthMethod; status: 'invalid' | 'not-configured'; reason: string };
type FailedAttempt = Extract<Attempt, { reason: string }>;

/** Tried in this order; the first valid one names the method. HMAC first: it also proves body integrity. */
const METHOD_PREFERENCE: readonly AuthMethod[] = ['hmac', 'bearer', 'basic', 'query-token'];

export function authenticateWebhook(input: WebhookAuthInput): AuthResult {
  const { source } = input;

  const presented = credentialHeaders(input.headers);
  const signature = singleValue(presented.signature, 'X-Interlock-Signature header');
  if (!signature.ok) return signature;
  const authorization = singleValue(presented.authorization, 'Authorization header');
  if (!authorization.ok) return authorization;
  const queryToken = singleValue(queryValues(input.query.token), 'token query parameter');
  if (!queryToken.ok) return queryToken;

  const attempts: Attempt[] = [];
  if (signature.value !== undefined) attempts.push(checkSignature(signature.value, source.hmacSecret, input.rawBody));
  if (authorization.value !== undefined) attempts.push(checkAuthorization(authorization.value, source));
  if (queryToken.value !== undefined) attempts.push(checkToken('query-token', queryToken.value, source.token));

  if (attempts.length === 0) return { ok: false, reason: `no credentials presented: ${expectedCredentials(source)}` };

  // Every presented credential must verify: a wrong one, or one for a method this source does
  // not enable, is refused even beside a right one (it cannot be checked, so it is not trusted).
  const failed = attempts.find((a): a is FailedAttempt => a.status !== 'valid');
  if (failed !== undefined) return { ok: false, reason: failed.reason };

  const method = METHOD_PREFERENCE.find((m) => attempts.some((a) => a.method === m));
  return method === undefined ? { ok: false, reason: 'authentication failed' } : { ok: true, method };
}

/** Constant-time equality that leaks neither content nor length: both sides are hashed first. */
export function constantTimeEqual(presented: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest(expected));
}

/** SHA-256 as bytes; through hex, which Node 24's one-shot `hash` makes faster than its 'buffer' output. */
function sha256(data: string | Buffer): Buffer {
  return Buffer.from(sha256Hex(data), 'hex');
}

/**
 * The configured secrets' digests, computed once: every delivery of a storm compares against
 * the same token. Only the expected side is kept (the presented one is hashed on every call,
 * so the comparison's time never depends on what was presented). Bounded: secrets come from
 * the configuration, a handful.
 */
const EXPECTED_DIGESTS = new Map<string, Buffer>();
const MAX_EXPECTED_DIGESTS = 256;

function expectedDigest(expected: string | Buffer): Buffer {
  if (typeof expected !== 'string') return sha256(expected);
  let digest = EXPECTED_DIGESTS.get(expected);
  if (digest === undefined) {
    digest = sha256(expected);
    if (EXPECTED_DIGESTS.size >= MAX_EXPECTED_DIGESTS) EXPECTED_DIGESTS.clear();
    EXPECTED_DIGESTS.set(expected, digest);
  }
  return digest;
}

function checkSignature(header: string, secret: string | undefined, rawBody: Buffer): Attempt {
  if (secret === undefined)
    return { method: 'hmac', status: 'not-configured', reason: 'HMAC signatures are not enabled for this source' };
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match?.[1] === undefined) {
    return {
      method: 'hmac',
      status: 'invalid',
      reason: 'malformed X-Interlock-Signature header: expected "sha256=<64 hex digits>"',
    };
  }
  const presented = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // Both are 32-byte digests, so timingSafeEqual's equal-length requirement holds without leaking anything.
  return timingSafeEqual(presented, expected)
    ? { method: 'hmac', status: 'valid' }
    : { method: 'hmac', status: 'invalid', reason: 'HMAC signature does not match the request body' };
}

function checkAuthorization(header: string, source: SourceConfig): Attempt {
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  const credentials = match?.[2];
  if (scheme === 'bearer' && credentials !== undefined) return checkToken('bearer', credentials, source.token);
  if (scheme === 'basic' && credentials !== undefined) return checkBasic(credentials, source.basicAuth);
  return {
    method: 'bearer',
    status: 'invalid',
    reason: 'unsupported Authorization header: expected "Bearer <token>" or "Basic <credentials>"',
  };
}

function checkToken(method: 'bearer' | 'query-token', presented: string, token: string | undefined): Attempt {
  if (token === undefined)
    return { method, status: 'not-configured', reason: 'token authentication is not enabled for this source' };
  return constantTimeEqual(presented, token)
    ? { method, status: 'valid' }
    : {
        method,
        status: 'invalid',
        reason: method === 'bearer' ? 'invalid bearer token' : 'invalid token query parameter',
      };
}

function checkBasic(encoded: string, basicAuth: SourceConfig['basicAuth']): Attempt {
  if (basicAuth === undefined)
    return { method: 'basic', status: 'not-configured', reason: 'basic authentication is not enabled for this source' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!/^[A-Za-z0-9+/]+=*$/.test(encoded) || colon < 0) {
    return {
      method: 'basic',
      status: 'invalid',
      reason: 'malformed basic credentials: expected base64("user:password")',
    };
  }
  // Compare both parts unconditionally so timing does not reveal which one was wrong.
  const userOk = constantTimeEqual(decoded.slice(0, colon), basicAuth.username);
  const passwordOk = constantTimeEqual(decoded.slice(colon + 1), basicAuth.password);
  return userOk && passwordOk
    ? { method: 'basic', status: 'valid' }
    : { method: 'basic', status: 'invalid', reason: 'invalid basic credentials' };
}

/**
 * The values of the credential headers, in one pass over the headers. Node lower-cases header
 * names, but callers (tests, other frameworks) may not: names are matched case-insensitively
 * (only a name of the right length is lower-cased).
 */
function credentialHeaders(headers: WebhookAuthInput['headers']): { signature: string[]; authorization: string[] } {
  const signature: string[] = [];
  const authorization: string[] = [];
  for (const key of Object.keys(headers)) {
    let into: string[] | undefined;
    if (key.length === SIGNATURE_HEADER.length && key.toLowerCase() === SIGNATURE_HEADER) into = signature;
    else if (key.length === AUTHORIZATION_HEADER.length && key.toLowerCase() === AUTHORIZATION_HEADER)
      into = authorization;
    const value = into === undefined ? undefined : headers[key];
    if (into === undefined || value === undefined) continue;
    if (Array.isArray(value)) into.push(...value);
    else into.push(value);
  }
  return { signature, authorization };
}

function queryValues(value: unknown): string[] | 'not-a-string' {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return 'not-a-string';
}

function singleValue(
  values: string[] | 'not-a-string',
  what: string,
): { ok: true; value: string | undefined } | { ok: false; reason: string } {
  if (values === 'not-a-string') return { ok: false, reason: `malformed ${what}: expected a single string` };
  if (values.length > 1) return { ok: false, reason: `ambiguous credentials: more than one ${what}` };
  const value = values[0];
  if (value !== undefined && value.trim() === '') return { ok: false, reason: `empty ${what}` };
  return { ok: true, value };
}

function expectedCredentials(source: SourceConfig): string {
  const accepted: string[] = [];
  if (source.token !== undefined) accepted.push('Authorization: Bearer <token>', '?token=<token>');
  if (source.hmacSecret !== undefined) accepted.push('X-Interlock-Signature: sha256=<hex>');
  if (source.basicAuth !== undefined) accepted.push('Authorization: Basic');
  return `expected ${accepted.join(' or ')}`;
}
