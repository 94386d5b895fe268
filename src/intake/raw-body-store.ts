/**
 * Raw webhook bodies, content-addressed by the SHA-256 the audit trail records for each alert
 * (`trigger.rawSha256`): table `alert_raw_bodies` (migration 10). The API stores an accepted
 * delivery's body before it answers 202; the console shows it on the incident page and the
 * evidence bundle carries it. The body is evidence the chain refers to by hash, not part of
 * the chain: readers recompute its SHA-256 and say whether it matches.
 *
 * Bodies may hold personal data: with an active `temporal.encryption` key they are sealed with
 * AES-256-GCM under that key (the key ID and the body's SHA-256 authenticated with it, so a
 * body cannot be relabelled or moved to another row); with encryption disabled they are stored
 * in clear. A body larger than `intake.rawBodies.maxBytes` keeps its first maxBytes bytes.
 *
 * The duplicate path stays free of I/O: a process remembers the bodies it stored recently and
 * writes a known one again at most once per REFRESH_MS (to move its `last_received_at`, from
 * which retention counts).
 *
 * Intake never refuses an alert for the sake of its body (it needs only Temporal, so alerts
 * keep arriving while PostgreSQL is down): a write that fails, or takes longer than WAIT_MS,
 * leaves the body in this process's backlog (bounded in bytes and age), written again every
 * RETRY_MS until PostgreSQL takes it. Only a crash of the API during such an outage loses the
 * bodies waiting in it (the alerts themselves are in Temporal).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { InterlockConfig } from '../config/schema';
import { isConnectionFailure } from '../db/connection-errors';
import { RAW_BODY_PRUNE_FUNCTION } from '../db/migrations';
import { withTransaction } from '../db/transaction';
import type { Logger } from '../logging';
import { RawBodyMetrics } from '../metrics/raw-bodies';
import { sha256Hex } from './raw-body';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** How many stored bodies a process remembers (64-character keys: about 1 MB at most). */
const DEFAULT_CACHE_ENTRIES = 10_000;
/** A remembered body is written again (its last delivery time moved) at most this often. */
const DEFAULT_REFRESH_MS = 3_600_000;
/** How long a webhook waits for its body's write before it is answered anyway (the write goes on). */
const DEFAULT_WAIT_MS = 2_000;
/** Backlogged bodies are written again this often; new ones skip the wait this long after a failure. */
const DEFAULT_RETRY_MS = 5_000;
/** Most bytes of bodies waiting in the backlog; beyond it a body is dropped (logged). */
const DEFAULT_BACKLOG_BYTES = 16 * 1024 * 1024;
/** A body that could not be written for this long is dropped (logged). */
const DEFAULT_BACKLOG_AGE_MS = 24 * 3_600_000;

type StoreLog = Pick<Logger, 'warn' | 'error'>;

export interface RawBodyStoreOptions {
  cacheEntries?: number;
  refreshMs?: number;
  waitMs?: number;
  retryMs?: number;
  backlogBytes?: number;
  backlogAgeMs?: number;
  now?: () => number;
  log?: StoreLog;
}

export interface RawBodySettings {
  store: boolean;
  maxBytes: number;
  /** Milliseconds after its last delivery a body is kept. */
  retentionMs: number;
}

/** What `intake.rawBodies` and `audit.retention` say, resolved. */
export function rawBodySettings(config: Pick<InterlockConfig, 'intake' | 'audit'>): RawBodySettings {
  const { store, maxBytes, retention } = config.intake.rawBodies;
  return { store, maxBytes, retentionMs: retention ?? config.audit.retention };
}

/** A stored body that cannot be read: its key is no longer listed, or it fails authentication. */
export class RawBodyUnreadable extends Error {
  override readonly name = 'RawBodyUnreadable';
}

function aad(keyId: string, sha256: string): Buffer {
  return Buffer.from(`interlock-raw-body/1\n${keyId}\n${sha256}`, 'utf8');
}

/** AES-256-GCM with the payload-encryption keys (temporal.encryption): the active one seals. */
export class RawBodyCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: readonly { id: string; key: Buffer }[],
    readonly activeKeyId: string | undefined,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (activeKeyId !== undefined && !this.keys.has(activeKeyId))
      throw new Error(`the active encryption key "${activeKeyId}" is not listed`);
  }

  static fromConfig(config: Pick<InterlockConfig, 'temporal'>): RawBodyCipher {
    const { keys, activeKeyId, disabled } = config.temporal.encryption;
    return new RawBodyCipher(
      keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
      disabled ? undefined : activeKeyId,
    );
  }

  /** The sealed body and its key ID, or the body itself when encryption is off. */
  seal(sha256: string, plain: Buffer): { keyId: string | null; data: Buffer } {
    const keyId = this.activeKeyId;
    if (keyId === undefined) return { keyId: null, data: plain };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId) as Buffer, iv);
    cipher.setAAD(aad(keyId, sha256));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { keyId, data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]) };
  }

  open(sha256: string, keyId: string | null, data: Buffer): Buffer {
    if (keyId === null) return data;
    const key = this.keys.get(keyId);
    if (key === undefined)
      throw new RawBodyUnreadable(
        `encrypted with key "${keyId.slice(0, 64)}", which is not in temporal.encryption.keys`,
      );
    if (data.length < IV_BYTES + TAG_BYTES) throw new RawBodyUnreadable(`encrypted with key "${keyId}": truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(aad(keyId, sha256));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new RawBodyUnreadable(
        `encrypted with key "${keyId}" and fails authentication: altered, or not the key listed as "${keyId}"`,
      );
    }
  }
}

/** A stored body as read back. */
export interface StoredRawBody {
  sha256: string;
  source: string;
  receivedAt: string;
  lastReceivedAt: string;
  /** The whole body's size in bytes, as received. */
  size: number;
  /** Only the first `body.length` bytes were kept (intake.rawBodies.maxBytes). */
  truncated: boolean;
  /** The key that sealed it, null when stored in clear. */
  encryptedWith: string | null;
  /** The stored bytes (decrypted); absent when unreadable. */
  body?: Buffer;
  /** Why the body cannot be read (a key no longer listed, a failed authentication). */
  unreadable?: string;
  /**
   * Whether the stored bytes hash to `sha256` (the audited rawSha256): null when that cannot
   * be checked (truncated, or unreadable).
   */
  sha256Matches: boolean | null;
}

interface RawBodyRow {
  sha256: string;
  source: string;
  received_at: Date;
  last_received_at: Date;
  size: number;
  truncated: boolean;
  key_id: string | null;
  body: Buffer;
}

export interface RawBodyDelivery {
  sha256: string;
  source: string;
  /** ISO-8601: when the API received it. */
  receivedAt: string;
  body: Buffer;
}

export class RawBodyStore {
  /** sha256 → when this process last wrote it (insertion order: the oldest is evicted first). */
  private readonly written = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Bodies whose write failed, waiting for PostgreSQL (insertion order: oldest first). */
  private readonly backlog = new Map<string, { delivery: RawBodyDelivery; since: number }>();
  private backlogBytes = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Until then (after a failed write), new bodies go to the backlog without a wait. */
  private failingUntil = 0;
  private readonly options: Required<Omit<RawBodyStoreOptions, 'log'>>;
  private readonly log: StoreLog | undefined;

  constructor(
    private readonly pool: Pool,
    readonly settings: RawBodySettings,
    private readonly cipher: RawBodyCipher,
    options: RawBodyStoreOptions = {},
  ) {
    this.options = {
      cacheEntries: options.cacheEntries ?? DEFAULT_CACHE_ENTRIES,
      refreshMs: options.refreshMs ?? DEFAULT_REFRESH_MS,
      waitMs: options.waitMs ?? DEFAULT_WAIT_MS,
      retryMs: options.retryMs ?? DEFAULT_RETRY_MS,
      backlogBytes: options.backlogBytes ?? DEFAULT_BACKLOG_BYTES,
      backlogAgeMs: options.backlogAgeMs ?? DEFAULT_BACKLOG_AGE_MS,
      now: options.now ?? Date.now,
    };
    this.log = options.log;
  }

  static fromConfig(
    pool: Pool,
    config: Pick<InterlockConfig, 'intake' | 'audit' | 'temporal'>,
    log?: StoreLog,
  ): RawBodyStore {
    return new RawBodyStore(pool, rawBodySettings(config), RawBodyCipher.fromConfig(config), log ? { log } : {});
  }

  /** Bodies waiting for PostgreSQL in this process. */
  get pending(): number {
    return this.backlog.size;
  }

  /**
   * Stores a delivery's body. undefined, synchronously (no I/O, no promise), when storing is
   * off, this process stored it within REFRESH_MS, or it already waits in the backlog.
   * Otherwise a promise that resolves once the body is in PostgreSQL, or after WAIT_MS, or
   * once a failed write left it in the backlog; it never rejects. Deliveries of the same body
   * meanwhile share the write.
   */
  save(delivery: RawBodyDelivery): Promise<void> | undefined {
    if (!this.settings.store) return undefined;
    const { sha256 } = delivery;
    const at = this.options.now();
    const written = this.written.get(sha256);
    if (written !== undefined && at - written < this.options.refreshMs) return undefined;
    if (this.backlog.has(sha256)) return undefined;
    const pending = this.inFlight.get(sha256);
    if (pending !== undefined) return this.bounded(pending);
    if (at < this.failingUntil) {
      this.enqueue(delivery, at);
      return undefined;
    }
    const write = this.write(delivery)
      .then(
        () => this.remember(sha256, at),
        (error: unknown) => this.failed(delivery, error),
      )
      .finally(() => this.inFlight.delete(sha256));
    this.inFlight.set(sha256, write);
    return this.bounded(write);
  }

  /** The write, or WAIT_MS, whichever ends first. */
  private bounded(write: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.waitMs);
    });
    return Promise.race([write, waited]).finally(() => clearTimeout(timer));
  }

  private failed(delivery: RawBodyDelivery, error: unknown): void {
    const at = this.options.now();
    this.failingUntil = at + this.options.retryMs;
    if (this.backlog.size === 0)
      this.log?.warn(
        { err: isConnectionFailure(error) ? undefined : error, source: delivery.source },
        'raw webhook bodies cannot be stored now: kept in memory and written again once PostgreSQL takes them',
      );
    this.enqueue(delivery, at);
  }

  private enqueue(delivery: RawBodyDelivery, at: number): void {
    if (this.backlog.has(delivery.sha256)) return;
    if (this.backlogBytes + delivery.body.length > this.options.backlogBytes) {
      this.log?.error(
        { source: delivery.source, sha256: delivery.sha256, backlog: this.backlog.size },
        'raw webhook body dropped: the backlog of bodies waiting for PostgreSQL is full',
      );
      RawBodyMetrics.dropped('backlog_full');
      return;
    }
    // A copy: the request's buffer may be a slice of a larger one the backlog would keep alive.
    this.backlog.set(delivery.sha256, { delivery: { ...delivery, body: Buffer.from(delivery.body) }, since: at });
    this.backlogBytes += delivery.body.length;
    RawBodyMetrics.backlogChanged(1, delivery.body.length);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.backlog.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush().finally(() => this.scheduleRetry());
    }, this.options.retryMs);
    this.retryTimer.unref();
  }

  /** Writes the backlog, oldest first, until a write fails (shutdown calls it once more). */
  async flush(): Promise<void> {
    for (const [sha256, { delivery, since }] of [...this.backlog]) {
      const at = this.options.now();
      if (at - since > this.options.backlogAgeMs) {
        this.drop(sha256, delivery.body.length);
        this.log?.error({ source: delivery.source, sha256 }, 'raw webhook body dropped: not stored for too long');
        RawBodyMetrics.dropped('too_old');
        continue;
      }
      try {
        await this.write(delivery);
      } catch {
        this.failingUntil = this.options.now() + this.options.retryMs;
        return;
      }
      this.drop(sha256, delivery.body.length);
      this.remember(sha256, at);
    }
  }

  /** Stops retrying (the process ends); what is still in the backlog is logged. */
  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.backlog.size > 0)
      this.log?.error({ bodies: this.backlog.size }, 'raw webhook bodies not stored: PostgreSQL did not take them');
  }

  private drop(sha256: string, bytes: number): void {
    if (!this.backlog.delete(sha256)) return;
    this.backlogBytes -= bytes;
    RawBodyMetrics.backlogChanged(-1, -bytes);
  }

  private remember(sha256: string, at: number): void {
    this.written.delete(sha256);
    this.written.set(sha256, at);
    if (this.written.size > this.options.cacheEntries) {
      const oldest = this.written.keys().next().value;
      if (oldest !== undefined) this.written.delete(oldest);
    }
  }

  private async write({ sha256, source, receivedAt, body }: RawBodyDelivery): Promise<void> {
    const truncated = body.length > this.settings.maxBytes;
    const kept = truncated ? body.subarray(0, this.settings.maxBytes) : body;
    const { keyId, data } = this.cipher.seal(sha256, kept);
    // A body already stored keeps its bytes; a later delivery only moves last_received_at on
    // (the one column the service role may update).
    await this.pool.query(
      `INSERT INTO alert_raw_bodies (sha256, source, received_at, last_received_at, size, truncated, key_id, body)
       VALUES ($1, $2, $3, $3, $4, $5, $6, $7)
       ON CONFLICT (sha256) DO UPDATE SET last_received_at = EXCLUDED.last_received_at
         WHERE alert_raw_bodies.last_received_at < EXCLUDED.last_received_at`,
      [sha256, source, receivedAt, body.length, truncated, keyId, data],
    );
  }

  /** The stored bodies among these SHA-256s (absent: never stored, storing off, or pruned). */
  async read(sha256s: readonly string[]): Promise<Map<string, StoredRawBody>> {
    const wanted = [...new Set(sha256s.filter((s) => /^[0-9a-f]{64}$/.test(s)))];
    const found = new Map<string, StoredRawBody>();
    if (wanted.length === 0) return found;
    const { rows } = await this.pool.query<RawBodyRow>(
      `SELECT sha256, source, received_at, last_received_at, size, truncated, key_id, body
         FROM alert_raw_bodies WHERE sha256 = ANY($1::text[])`,
      [wanted],
    );
    for (const row of rows) found.set(row.sha256, this.toStored(row));
    return found;
  }

  private toStored(row: RawBodyRow): StoredRawBody {
    const base = {
      sha256: row.sha256,
      source: row.source,
      receivedAt: row.received_at.toISOString(),
      lastReceivedAt: row.last_received_at.toISOString(),
      size: row.size,
      truncated: row.truncated,
      encryptedWith: row.key_id,
    };
    try {
      const body = this.cipher.open(row.sha256, row.key_id, row.body);
      return { ...base, body, sha256Matches: row.truncated ? null : sha256Hex(body) === row.sha256 };
    } catch (error) {
      if (!(error instanceof RawBodyUnreadable)) throw error;
      return { ...base, unreadable: error.message, sha256Matches: null };
    }
  }

  /**
   * Removes the bodies whose last delivery is older than the retention, through the SECURITY
   * DEFINER function of migration 10 (the service role cannot DELETE them itself).
   */
  async prune(now = new Date(this.options.now())): Promise<{ pruned: number; cutoff: string }> {
    const cutoff = new Date(now.getTime() - this.settings.retentionMs);
    const pruned = await withTransaction(this.pool, async (client) => {
      // A large backlog may take longer than the pool's statement timeout.
      await client.query('SET LOCAL statement_timeout = 0');
      const { rows } = await client.query<{ removed: string }>(`SELECT ${RAW_BODY_PRUNE_FUNCTION}($1) AS removed`, [
        cutoff,
      ]);
      return Number(rows[0]?.removed ?? 0);
    });
    return { pruned, cutoff: cutoff.toISOString() };
  }
}
