import axios, {
  type AxiosError,
  type AxiosInstance,
  type AxiosResponseHeaders,
  type RawAxiosResponseHeaders,
} from 'axios';
import axiosRetry, { isNetworkError } from 'axios-retry';
import type { z } from 'zod';

/**
 * Shared HTTP plumbing for enforcement integrations: one axios instance per integration, with
 * bounded retries for transient failures, and every failure turned into an IntegrationError whose
 * message is safe to log (no headers, no request bodies, no configured secrets).
 */

export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). */
  retries: number;
  /** First backoff step; attempt n waits baseDelayMs * 2^(n-1) plus up to 20% jitter. */
  baseDelayMs: number;
  /** Longest wait we accept in-process; a Retry-After beyond it fails fast as retryable instead. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 3, baseDelayMs: 250, maxDelayMs: 30_000 };

/** Minimal structured logger (pino-compatible). Only ever receives secret-free fields. */
export interface IntegrationLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface HttpClientOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Integration name, used in errors and logs, e.g. "crowdstrike". */
  name: string;
  retry?: Partial<RetryOptions>;
  /** Values scrubbed from any error message, e.g. client secrets and API keys. */
  secrets?: readonly string[];
  logger?: IntegrationLogger;
}

/**
 * Per call: `signal` abandons the call (its retries and backoffs included) when it aborts — a
 * deadline (AbortSignal.timeout) or the Temporal activity being cancelled or timed out.
 */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The axios request config part of CallOptions. */
export function signalOf(options: CallOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

/** What every vendor client takes besides its configuration: test-tunable retries and a logger. */
export interface VendorClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

/** The HTTP client of a configured vendor integration (`baseUrl` and `timeout` from its config). */
export function createVendorHttpClient(
  name: string,
  config: { baseUrl: string; timeout: number },
  secrets: readonly string[],
  options: VendorClientOptions,
): AxiosInstance {
  return createHttpClient({
    baseUrl: config.baseUrl,
    timeoutMs: config.timeout,
    name,
    secrets,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

export type IntegrationErrorKind =
  'http' | 'network' | 'timeout' | 'invalid-response' | 'vendor-error' | 'invalid-input';

export interface IntegrationErrorInit {
  integration: string;
  kind: IntegrationErrorKind;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
}

/** A failed integration call. Carries no request config, headers or bodies, so it is safe to log. */
export class IntegrationError extends Error {
  readonly integration: string;
  readonly kind: IntegrationErrorKind;
  /** HTTP status from the vendor, when there was a response. */
  readonly status?: number;
  /** True when the same call may succeed later (network trouble, 429, 5xx). */
  readonly retryable: boolean;
  /** Vendor-requested wait before retrying, when it sent one. */
  readonly retryAfterMs?: number;

  constructor(message: string, init: IntegrationErrorInit) {
    super(message);
    this.name = 'IntegrationError';
    this.integration = init.integration;
    this.kind = init.kind;
    this.retryable = init.retryable;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

type Headers = AxiosResponseHeaders | RawAxiosResponseHeaders | Record<string, unknown> | undefined;

function headerValue(headers: Headers, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const value = (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * Milliseconds the vendor asked us to wait: `Retry-After` (seconds or HTTP date), else
 * CrowdStrike's `X-RateLimit-RetryAfter` (epoch seconds). Undefined when neither is usable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = headerValue(headers, 'retry-after')?.trim();
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const epoch = headerValue(headers, 'x-ratelimit-retryafter')?.trim();
  if (epoch !== undefined && /^\d+$/.test(epoch)) return Math.max(0, Number(epoch) * 1000 - now);
  return undefined;
}

function isTransientStatus(status: number): boolean {
  // 501/505 say "never going to work"; every other 5xx and 429 may clear up.
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Replaces every configured secret in `text` so vendor-echoed values never reach logs. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join('[REDACTED]');
  return result;
}

/** One entry of an `errors[]` body: CrowdStrike `message`, SentinelOne `title` and `detail`. */
function errorEntryText(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.message === 'string') return e.message;
  const parts = [e.title, e.detail].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length > 0 ? parts.join(': ') : undefined;
}

/**
 * Pulls a human-readable reason out of a vendor error body: CrowdStrike / SentinelOne `errors[]`,
 * FortiOS `error`, Microsoft APIs (Graph, Defender) `error: {code, message}`, ServiceNow
 * `error: {message, detail}`, OAuth2 `error` + `error_description`.
 */
function vendorReason(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const body = data as Record<string, unknown>;
  if (Array.isArray(body.errors)) {
    const messages = body.errors.map(errorEntryText).filter((m): m is string => m !== undefined);
    if (messages.length > 0) return messages.join('; ');
  }
  if (typeof body.error === 'object' && body.error !== null) {
    const { code, message } = body.error as Record<string, unknown>;
    const parts = [code, message].filter((p): p is string => typeof p === 'string' && p !== '');
    if (parts.length > 0) return parts.join(': ');
  }
  if (typeof body.error === 'string' && typeof body.error_description === 'string')
    // Entra ID appends trace and correlation IDs on further lines: the first says what is wrong.
    return `${body.error}: ${body.error_description.split(/\r?\n/, 1)[0] ?? ''}`;
  if (typeof body.cli_error === 'string') return body.cli_error;
  if (typeof body.error === 'number' || typeof body.error === 'string') return `error ${String(body.error)}`;
  return undefined;
}

function requestLabel(error: AxiosError): string {
  const method = (error.config?.method ?? 'request').toUpperCase();
  // Path only: the base URL may carry userinfo, and query strings are not ours to log.
  const path = (error.config?.url ?? '').split('?')[0];
  return `${method} ${path}`;
}

/** Converts anything thrown by an axios call into an IntegrationError (idempotent). */
export function toIntegrationError(
  error: unknown,
  integration: string,
  secrets: readonly string[] = [],
): IntegrationError {
  if (error instanceof IntegrationError) return error;
  const make = (message: string, init: Omit<IntegrationErrorInit, 'integration'>) =>
    new IntegrationError(redact(`${integration}: ${message}`, secrets), { integration, ...init });

  if (!axios.isAxiosError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return make(`unexpected failure: ${text}`, { kind: 'network', retryable: true });
  }
  const label = requestLabel(error);
  if (axios.isCancel(error))
    // Abandoned at the caller's deadline: the vendor may or may not have acted (the ledger finds out).
    return make(`${label} abandoned: deadline reached`, { kind: 'timeout', retryable: true });
  if (error.response === undefined) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT')
      return make(`${label} timed out`, { kind: 'timeout', retryable: true });
    return make(`${label} failed: ${error.code ?? 'network error'}`, { kind: 'network', retryable: true });
  }
  const { status, headers } = error.response;
  const data: unknown = error.response.data;
  const reason = vendorReason(data);
  const wait = retryAfterMs(headers);
  return make(`${label} failed with HTTP ${status}${reason === undefined ? '' : `: ${reason}`}`, {
    kind: 'http',
    status,
    retryable: isTransientStatus(status),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/** Validates a vendor response body; failures name the offending field paths, never the values. */
export function parseResponse<S extends z.ZodType>(
  schema: S,
  data: unknown,
  integration: string,
  what: string,
): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
  throw new IntegrationError(`${integration}: unexpected ${what} response (${issues})`, {
    integration,
    kind: 'invalid-response',
    retryable: false,
  });
}

/**
 * An axios instance for one integration. Transient failures (network errors, 429, 5xx) are retried
 * with exponential backoff, honouring Retry-After, for every method: callers only send requests
 * the vendor treats idempotently (containing a contained host or banning a banned IP is a no-op).
 * Timeouts are not retried here; the caller (a Temporal activity) owns that decision.
 */
export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const secrets = options.secrets ?? [];
  const client = axios.create({
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    // Never follow redirects: a redirect could carry the Authorization header somewhere else.
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });

  axiosRetry(client, {
    retries: retry.retries,
    shouldResetTimeout: true,
    retryCondition: (error) => {
      if (axios.isCancel(error)) return false;
      if (error.response === undefined) return isNetworkError(error);
      if (!isTransientStatus(error.response.status)) return false;
      const wait = retryAfterMs(error.response.headers);
      return wait === undefined || wait <= retry.maxDelayMs;
    },
    retryDelay: (retryCount, error) => {
      const backoff = retry.baseDelayMs * 2 ** (retryCount - 1);
      const jittered = backoff + backoff * 0.2 * Math.random();
      return Math.min(retry.maxDelayMs, Math.max(jittered, retryAfterMs(error.response?.headers) ?? 0));
    },
    onRetry: (retryCount, error) => {
      options.logger?.warn(
        {
          integration: options.name,
          request: requestLabel(error),
          status: error.response?.status,
          code: error.code,
          attempt: retryCount,
        },
        'retrying integration call',
      );
    },
  });

  // Registered after axios-retry so it sees the final outcome; strips config/headers from errors.
  client.interceptors.response.use(undefined, (error: unknown) =>
    Promise.reject(toIntegrationError(error, options.name, secrets)),
  );
  return client;
}
