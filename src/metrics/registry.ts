import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * This process's Prometheus registry: the API serves it at GET /metrics (and on metrics.port),
 * the worker on metrics.workerPort. Names follow Prometheus conventions (`interlock_` prefix,
 * `_total` counters, `_seconds` histograms); label values are bounded: configured names, codes
 * and enumerations, never an incident ID, an alert UID, an address or a person.
 */
export const metricsRegistry = new Registry();

/** Seconds buckets from a few milliseconds (a fast path) to minutes (a retried vendor call). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] });
}

export function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: (this: Gauge<L>) => Promise<void> | void,
): Gauge<L> {
  return new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry], ...(collect ? { collect } : {}) });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = LATENCY_BUCKETS,
): Histogram<L> {
  return new Histogram<L>({ name, help, labelNames, buckets, registers: [metricsRegistry] });
}

/** Seconds since an ISO time (undefined when it is missing or not a time, or in the future). */
export function secondsSince(iso: string | undefined, now = Date.now()): number | undefined {
  if (iso === undefined) return undefined;
  const at = Date.parse(iso);
  if (Number.isNaN(at) || at > now) return undefined;
  return (now - at) / 1000;
}
