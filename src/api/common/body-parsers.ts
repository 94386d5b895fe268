import { brotliDecompressSync, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../intake/json-depth';
import { parseUntrustedJson } from '../../intake/untrusted-text';
import { ApiError } from './api-error';

/** Routes that receive their body as raw bytes: signatures are computed over them and alerts record their hash. */
const RAW_BODY_PREFIXES = ['/webhooks/', '/slack/'];
/** Operator API bodies are small JSON documents. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;
/** Codec endpoint bodies carry Temporal payloads (up to 2 MB each, base64 in JSON). */
const CODEC_PREFIX = '/codec/';
export const CODEC_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** The console's HTML forms post `application/x-www-form-urlencoded`. */
const CONSOLE_PREFIX = '/console/';
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** A form body as an object; a repeated field keeps its first value. */
function parseForm(body: Buffer): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8')))
    if (!Object.hasOwn(form, key)) form[key] = value;
  return form;
}

/** `application/json` and its `+json` variants, with or without parameters. */
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Why a Content-Type is not acceptable for a JSON body, or undefined when it is: the type must
 * be JSON (JSON_TYPE) and a `charset` parameter, if any, must be utf-8 (case-insensitive,
 * quoted or not). JSON is UTF-8 (RFC 8259); decoding another charset as UTF-8 would silently
 * change the alert, so it is refused (415) rather than guessed.
 */
export function jsonContentTypeProblem(header: string | undefined): string | undefined {
  const value = header ?? '';
  if (!JSON_TYPE.test(value))
    return `expected Content-Type application/json, got "${value === '' ? 'none' : value.slice(0, 100)}"`;
  for (const parameter of value.split(';').slice(1)) {
    const match = /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/.exec(parameter);
    if (match?.[1]?.toLowerCase() !== 'charset') continue;
    const charset = (match[2] ?? '').replace(/^"(.*)"$/, '$1');
    if (charset.toLowerCase() !== 'utf-8')
      return `unsupported charset "${charset.slice(0, 40)}": JSON bodies must be utf-8`;
  }
  return undefined;
}

/** The Content-Encodings undone before a body is read; limited by `maxOutputLength`. */
const DECOMPRESSORS: Readonly<Record<string, (input: Buffer, options: ZlibOptions) => Buffer>> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * One body parser for every route: webhooks and Slack get the raw (decompressed) bytes; the
 * operator API gets parsed JSON, at most 64 KiB. Every refusal is an ApiError, so it reaches
 * the client in the API's JSON error shape: 413 beyond the limit, 415 for an unknown
 * Content-Encoding or a charset other than utf-8, 400 for malformed JSON.
 */
export function registerBodyParsers(fastify: FastifyInstance, maxWebhookBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: Math.max(maxWebhookBytes, JSON_BODY_LIMIT_BYTES) },
    (request: FastifyRequest, body: Buffer | string, done: (error: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseBody(request, Buffer.isBuffer(body) ? body : Buffer.from(body), maxWebhookBytes));
      } catch (error) {
        done(error as Error);
      }
    },
  );
  // Only the codec routes take bodies that large (set per route: other routes keep their limit).
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith(CODEC_PREFIX)) route.bodyLimit = CODEC_BODY_LIMIT_BYTES;
  });
}

function parseBody(request: FastifyRequest, compressed: Buffer, maxWebhookBytes: number): unknown {
  const raw = RAW_BODY_PREFIXES.some((prefix) => request.url.startsWith(prefix));
  const limit = raw
    ? maxWebhookBytes
    : request.url.startsWith(CODEC_PREFIX)
      ? CODEC_BODY_LIMIT_BYTES
      : JSON_BODY_LIMIT_BYTES;
  const body = decode(compressed, request.headers['content-encoding'], limit);
  if (body.length > limit) throw tooLarge(limit);
  if (raw) return body;
  if (request.url.startsWith(CONSOLE_PREFIX) && FORM_TYPE.test(request.headers['content-type'] ?? ''))
    return parseForm(body);
  if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) return undefined;
  const problem = jsonContentTypeProblem(request.headers['content-type']);
  if (problem !== undefined) throw new ApiError(415, 'unsupported_media_type', problem);
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = parseUntrustedJson(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'malformed_json', 'body is not valid JSON');
  }
  // Recursive code downstream (validation, normalizers, JSON.stringify) must not meet
  // thousands of levels. One level more than a webhook body: a dry-run wraps the alert.
  if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH + 1))
    throw new ApiError(400, 'too_deeply_nested', `the body nests deeper than ${MAX_JSON_DEPTH + 1} levels`);
  return parsed;
}

/** Undoes a Content-Encoding, never inflating beyond the limit (a small zip bomb stays small). */
function decode(body: Buffer, encoding: string | undefined, limit: number): Buffer {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  const inflate = Object.hasOwn(DECOMPRESSORS, name) ? DECOMPRESSORS[name] : undefined;
  if (inflate === undefined)
    throw new ApiError(415, 'unsupported_media_type', `unsupported Content-Encoding "${name.slice(0, 40)}"`);
  try {
    return inflate(body, { maxOutputLength: limit + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new ApiError(400, 'bad_request', `the body is not valid ${name} data`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'payload_too_large', `body exceeds the limit of ${limit} bytes`);
}
