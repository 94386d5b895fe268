import { LRUCache } from 'lru-cache';
import type { Alert } from '../alerts/alert';
import { isReceiptTimed } from './normalizers';

/** One alert of a cached delivery: `alert` timed for this copy, `original` as cached (frozen). */
export interface CachedAlert {
  alert: Alert;
  original: Alert;
}

interface Entry {
  alerts: readonly Alert[];
  /** Per alert: its time is the receipt time (the vendor gave none), so each copy takes its own. */
  receiptTimed: readonly boolean[];
}

/**
 * The normalized alerts of recent deliveries, by source and SHA-256 of the raw body, so an
 * identical re-delivery skips JSON parsing and normalization. SIEMs re-send the same bytes
 * when an answer is slow, and a storm is thousands of copies of one body: parsing each copy
 * again is most of the intake's work for it. Normalization depends only on the source and
 * the bytes, but for the receipt time, which an alert without a vendor time takes as its own:
 * such alerts are re-stamped on every hit. Only successful normalizations are kept, and every
 * delivery is still authenticated before it is looked up.
 */
export class NormalizedAlertCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** The alerts an earlier identical delivery normalized to, timed for this one; undefined on a miss. */
  get(source: string, rawSha256: string, receivedAt: string): Alert[] | undefined {
    return this.lookup(source, rawSha256, receivedAt)?.map((cached) => cached.alert);
  }

  /**
   * As `get`, with each alert's cached original beside it: the same frozen object for every
   * copy, so what is derived from an alert but its time can be remembered per original.
   */
  lookup(source: string, rawSha256: string, receivedAt: string): CachedAlert[] | undefined {
    const entry = this.entries.get(cacheKey(source, rawSha256));
    if (entry === undefined) return undefined;
    return entry.alerts.map((original, i) => ({
      alert: entry.receiptTimed[i] === true ? { ...original, time: receivedAt } : original,
      original,
    }));
  }

  /** Remembers a delivery's alerts; they are frozen, since every later copy shares them. */
  set(source: string, rawSha256: string, alerts: readonly Alert[]): void {
    this.entries.set(cacheKey(source, rawSha256), {
      alerts: alerts.map((alert) => deepFreeze(alert)),
      receiptTimed: alerts.map(isReceiptTimed),
    });
  }

  get size(): number {
    return this.entries.size;
  }
}

function cacheKey(source: string, rawSha256: string): string {
  // Unambiguous whatever the source name holds: the digest always has 64 characters.
  return `${rawSha256}${source}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
