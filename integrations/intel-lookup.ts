/**
 * What threat-intelligence connectors (capability `enrichment`, action `intel.lookup`) share:
 * telling an observable's type from its value, a per-connector rate limiter that keeps within the
 * vendor's quota, a TTL cache so one observable is not looked up again within the TTL, and the
 * action handler built on them.
 *
 * The cache and the limiter live in the connector's client, so they are per worker process: two
 * workers each keep their own (each may spend the full per-minute budget). Size the configured
 * limits for the number of workers.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { stringParam } from './action-helpers';
import type { ActionHandler, ActionResult } from './connector';
import { durationSchema } from './config-helpers';
import { IntegrationError } from './http';

export const OBSERVABLE_TYPES = ['hash', 'ip', 'domain', 'url'] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export interface Observable {
  type: ObservableType;
  value: string;
}

const HASH = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

/** The observable's type from its value (MD5/SHA-1/SHA-256, IPv4/IPv6, URL, domain), if it can be told. */
export function observableType(value: string): ObservableType | undefined {
  if (HASH.test(value)) return 'hash';
  if (isIP(value) !== 0) return 'ip';
  if (URL_SCHEME.test(value)) return 'url';
  if (DOMAIN.test(value)) return 'domain';
  return undefined;
}

/**
 * The observable a lookup names: the target, typed by `params.type` or by its value. Hashes and
 * domains are compared case-insensitively, so they are lower-cased (one cache entry each).
 */
export function observableOf(integration: string, target: string, type: string | undefined): Observable {
  const value = target.trim();
  const given = type?.trim().toLowerCase();
  if (given !== undefined && !(OBSERVABLE_TYPES as readonly string[]).includes(given))
    throw invalid(integration, `params.type "${type}" is not one of ${OBSERVABLE_TYPES.join(', ')}`);
  const kind = (given as ObservableType | undefined) ?? observableType(value);
  if (kind === undefined)
    throw invalid(
      integration,
      `cannot tell whether "${value.slice(0, 100)}" is a hash, IP, domain or URL: give params.type`,
    );
  if (kind === 'hash' && !HASH.test(value))
    throw invalid(integration, 'a hash is the hex MD5, SHA-1 or SHA-256 of the file');
  if (kind === 'ip' && isIP(value) === 0) throw invalid(integration, `"${value.slice(0, 100)}" is not an IP address`);
  return { type: kind, value: kind === 'hash' || kind === 'domain' ? value.toLowerCase() : value };
}

function invalid(integration: string, message: string): IntegrationError {
  return new IntegrationError(`${integration}: ${message}`, { integration, kind: 'invalid-input', retryable: false });
}

/** A clock (tests pass a fake one). */
export interface Clock {
  now(): number;
  /** Waits `ms`, or rejects as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) return reject(abortReason(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** `integrations.<id>` settings every intel connector has: its quota and cache. */
export function intelLimitsSchema(defaults: { requestsPerMinute: number; requestsPerDay?: number }) {
  return {
    /** Lookups sent to the vendor per rolling minute (VirusTotal public API: 4). */
    requestsPerMinute: z.number().int().positive().default(defaults.requestsPerMinute),
    /** Lookups sent per rolling 24 hours (VirusTotal public API: 500); absent: no daily limit. */
    requestsPerDay:
      defaults.requestsPerDay === undefined
        ? z.number().int().positive().optional()
        : z.number().int().positive().default(defaults.requestsPerDay),
    /** How long an answer is reused for the same observable (default 1 h; 0 disables the cache). */
    cacheTtl: durationSchema.default(3_600_000),
    /** Observables kept in the cache (least recently used dropped first). */
    cacheSize: z.number().int().positive().default(1000),
  };
}

export interface IntelLimits {
  requestsPerMinute: number;
  requestsPerDay?: number | undefined;
  cacheTtl: number;
  cacheSize: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Requests per rolling minute and per rolling day. A call over the minute's budget waits for a
 * slot (abandoned when its signal aborts: the activity's deadline); over the day's budget it
 * fails at once — waiting hours inside an activity helps nobody — as a permanent failure.
 */
export class RateLimiter {
  private minute: number[] = [];
  private day: number[] = [];

  constructor(
    private readonly integration: string,
    private readonly limits: Pick<IntelLimits, 'requestsPerMinute' | 'requestsPerDay'>,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.minute = this.minute.filter((t) => t > now - MINUTE_MS);
      this.day = this.day.filter((t) => t > now - DAY_MS);
      const perDay = this.limits.requestsPerDay;
      if (perDay !== undefined && this.day.length >= perDay)
        throw new IntegrationError(
          `${this.integration}: the daily quota of ${perDay} lookups (requestsPerDay) is spent in this worker`,
          { integration: this.integration, kind: 'vendor-error', retryable: false },
        );
      if (this.minute.length < this.limits.requestsPerMinute) {
        this.minute.push(now);
        this.day.push(now);
        return;
      }
      // The oldest request of the window leaves it first.
      await this.clock.sleep((this.minute[0] ?? now) + MINUTE_MS - now, signal);
    }
  }
}

/** Answers by key for `ttlMs`, at most `size` of them (least recently used dropped first). */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly size: number,
    private readonly clock: Pick<Clock, 'now'> = SYSTEM_CLOCK,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.clock.now() + this.ttlMs });
    while (this.entries.size > this.size) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** What an intel client answers for one observable: the step result and a one-line verdict. */
export interface IntelAnswer {
  /** `steps.<id>.result`: `found`, and the vendor's verdict fields. */
  result: Record<string, unknown> & { found: boolean };
  verdict: string;
}

/** A vendor lookup with the shared quota and cache in front of it. */
export interface IntelClient {
  lookup(observable: Observable, options?: { signal?: AbortSignal }): Promise<IntelAnswer & { cached: boolean }>;
}

/**
 * The quota-and-cache front of a vendor lookup: a cached answer (within the TTL) is returned
 * without a request; otherwise one request slot is taken, then the vendor asked. Not-found
 * answers are cached too (the vendor did not know the observable a minute ago either).
 */
export class CachedLookup {
  private readonly cache: TtlCache<IntelAnswer>;
  private readonly limiter: RateLimiter;

  constructor(integration: string, limits: IntelLimits, clock: Clock = SYSTEM_CLOCK) {
    this.cache = new TtlCache(limits.cacheTtl, limits.cacheSize, clock);
    this.limiter = new RateLimiter(integration, limits, clock);
  }

  async lookup(
    observable: Observable,
    ask: () => Promise<IntelAnswer>,
    signal?: AbortSignal,
  ): Promise<IntelAnswer & { cached: boolean }> {
    const key = `${observable.type}:${observable.value}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return { ...cached, cached: true };
    await this.limiter.acquire(signal);
    const answer = await ask();
    this.cache.set(key, answer);
    return { ...answer, cached: false };
  }
}

/** The `intel.lookup` handler of an intel connector: read-only, so a retry simply looks again. */
export function intelLookupHandler(integration: string): ActionHandler<IntelClient> {
  return {
    async execute(client, { decision, signal }): Promise<ActionResult> {
      const observable = observableOf(integration, decision.action.target, stringParam(decision, 'type'));
      const answer = await client.lookup(observable, signal === undefined ? {} : { signal });
      return {
        summary: `${integration} ${observable.type} lookup: ${answer.verdict}${answer.cached ? ' (cached)' : ''}`,
        details: { observable, cached: answer.cached },
        result: answer.result,
      };
    },
  };
}
