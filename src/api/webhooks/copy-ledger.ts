/**
 * The copy ledger: durable, cheap acceptance of a storm's copies (docs/architecture.md, "Intake
 * storms and batching").
 *
 * A *copy* is a delivery whose alerts all came from the normalized-alert cache (the same bytes
 * again) and for each of which this API process had a Temporal call accepted, for the same
 * incident workflow and alert UID, within COPY_WINDOW_MS. Temporal already holds such an alert
 * durably; what the copy adds is one delivery to the incident's counts. So instead of a Temporal
 * call, the copy is appended to PostgreSQL's `intake_copies` (migration 15) by group commit —
 * one multi-row INSERT in flight at a time per process, the next carrying every copy that
 * arrived meanwhile (groups start at most every GROUP_EVERY_MS), aggregated per (workflow,
 * alert UID) — and its 202 is sent once that row has committed. A forwarder per API process then hands the rows to their incidents about
 * every FORWARD_EVERY_MS with the same signal-with-start as the batcher's calls (counts in
 * AlertDeliveries), deleting them in the transaction that claimed them, once the signals were
 * accepted. Rows older than STALE_MS are taken by any API process: those of a crashed one.
 *
 * Each group is one INSERT, its own transaction, on a connection of the ledger's own (one per
 * process) whose `statement_timeout` is WAIT_MS: one round trip per group, and a group that
 * PostgreSQL cannot take in time (a lock, an overloaded server) is rolled back by PostgreSQL
 * itself, so its answer is known within about WAIT_MS.
 *
 * Never a refusal: a group that fails, or has not committed within WAIT_MS, is answered
 * `false` and its deliveries go through Temporal as any delivery; the ledger is then skipped
 * for RETRY_MS. At-least-once counts: a crash (or a lost connection) between accepted signals
 * and the forwarder's COMMIT, or an INSERT whose answer never came back (ANSWER_GRACE_MS after
 * its statement timeout) but which had committed, counts those copies twice. A copy is never
 * lost once answered 202.
 *
 * The alert (with its correlation key, which a signal-with-start needs to reopen a closed
 * incident) is stored as one Temporal payload encoded with the API's data converter, so
 * `temporal.encryption` applies exactly as in Temporal's history; it is encoded once per cached
 * alert object.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { Pool } from 'pg';
import type { Alert } from '../../alerts/alert';
import { checkOut, type CheckedOutClient } from '../../db/client';
import { isConnectionFailure } from '../../db/connection-errors';
import type { Logger } from '../../logging';
import { IntakeCopyMetrics } from '../../metrics/intake-copies';
import type { AlertDeliveries } from '../../workflows/definitions';

/**
 * A re-delivery is a copy only this long after this process sent Temporal a call with the alert
 * that was accepted — and at most half of `incidents.closeAfterIdle` (copyWindowFor): a copy
 * must reach its incident while that run is still open, so that it joins it rather than
 * reopening it after its 202 said `deduplicated: true`.
 */
export const COPY_WINDOW_MS = 60_000;

/** The copy window for an incident idle time: COPY_WINDOW_MS, or half the idle time if shorter. */
export function copyWindowFor(closeAfterIdleMs: number): number {
  return Math.min(COPY_WINDOW_MS, Math.floor(closeAfterIdleMs / 2));
}
/** (workflow, alert UID) pairs remembered for the copy window (about 1 MB at most). */
const RECENT_ENTRIES = 10_000;
/**
 * A group not committed in this time is answered through Temporal instead; also its INSERT's
 * `statement_timeout`, so PostgreSQL rolls back what it could not take in time.
 */
const WAIT_MS = 500;
/**
 * An INSERT with no answer this long after its statement timeout (a connection gone silent) is
 * given up: its connection is closed and its copies go through Temporal.
 */
const ANSWER_GRACE_MS = 5_000;
/** Groups start at most this often; a copy waits this long at most for its group to start. */
const GROUP_EVERY_MS = 2;
/** Deliveries waiting that make a full group: it starts without waiting for GROUP_EVERY_MS. */
const GROUP_FULL = 256;
/** After a failed or slow group, copies skip the ledger this long. */
const RETRY_MS = 5_000;
/** A group's copies, aggregated per (incident, alert UID), in one statement. */
const INSERT_GROUP = `INSERT INTO intake_copies (workflow_id, alert_uid, deliveries, first_received_at, last_received_at, alert, owner)
  SELECT w, u, d, f, l, a, $7
    FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::bytea[])
         AS x(w, u, d, f, l, a)`;
const FORWARD_EVERY_MS = 1_000;
/** Rows older than this are forwarded by any API process (their owner is presumed dead). */
export const STALE_MS = 30_000;
/** Rows claimed per forwarding transaction. */
const FORWARD_ROWS = 500;

type LedgerLog = Pick<Logger, 'warn' | 'error' | 'info'>;

/** What a row's `alert` column holds, as one Temporal payload. */
export interface LedgerAlert {
  alert: Alert;
  correlationKey: string;
  /** The vendor gave no time: each delivery's alert takes its receipt time (the forwarder: the first's). */
  receiptTimed?: boolean;
}

export interface AlertPayloads {
  encode(value: LedgerAlert): Promise<Buffer>;
  decode(bytes: Buffer): Promise<LedgerAlert>;
}

/** Payload bytes through the data converter's payload converter and codecs (as the SDK orders them). */
export function alertPayloads(converter: LoadedDataConverter): AlertPayloads {
  const Proto = proto.api.common.v1.Payload;
  return {
    async encode(value) {
      let payloads: Payload[] = [converter.payloadConverter.toPayload(value)];
      for (const codec of converter.payloadCodecs) payloads = await codec.encode(payloads);
      return Buffer.from(Proto.encode(payloads[0] as Payload).finish());
    },
    async decode(bytes) {
      let payloads: Payload[] = [Proto.decode(bytes)];
      for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
      return converter.payloadConverter.fromPayload<LedgerAlert>(payloads[0] as Payload);
    },
  };
}

/**
 * One delivery of one alert, answered as a copy. `alert` is the cached (frozen) original;
 * `receiptTimed` when the copy's alert is that original re-timed to its receipt.
 */
export interface Copy {
  workflowId: string;
  correlationKey: string;
  alert: Alert;
  receiptTimed: boolean;
  receivedAt: string;
}

/** Hands an incident its copies (signal-with-start, as a batch of the batcher). */
export type ForwardCall = (
  workflowId: string,
  correlationKey: string,
  deliveries: AlertDeliveries[],
) => Promise<unknown>;

export interface CopyLedgerOptions {
  owner?: string;
  copyWindowMs?: number;
  recentEntries?: number;
  waitMs?: number;
  groupEveryMs?: number;
  retryMs?: number;
  forwardEveryMs?: number;
  staleMs?: number;
  forwardRows?: number;
  now?: () => number;
  log?: LedgerLog;
}

interface Waiter {
  copies: Copy[];
  resolve: (committed: boolean) => void;
}

interface Row {
  id: string;
  workflow_id: string;
  alert_uid: string;
  deliveries: number;
  first_received_at: Date;
  last_received_at: Date;
  alert: Buffer;
  owner: string;
}

/** What one forwarding pass did. */
export interface ForwardPass {
  /** Rows claimed. */
  rows: number;
  /** Deliveries handed to their incidents (rows deleted). */
  forwarded: number;
  /** Whether a part failed (its rows stay for the next pass). */
  failed: boolean;
}

/** This process's name in `intake_copies.owner`: unique per start. */
export function ledgerOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

export class CopyLedger {
  readonly owner: string;
  private readonly options: Required<Omit<CopyLedgerOptions, 'log' | 'owner'>>;
  private readonly log: LedgerLog | undefined;
  /** `workflowId \n uid` → when Temporal last accepted it from this process (insertion order: oldest first). */
  private readonly recent = new Map<string, number>();
  private readonly encoded = new WeakMap<Alert, Promise<Buffer>>();
  private waiting: Waiter[] = [];
  private committing: Promise<void> | undefined;
  /** When the last group was taken (performance.now()): groups are spaced by `groupEveryMs`. */
  private lastGroupAt = -Infinity;
  /** The group in flight was answered `false` (too slow): new copies skip the ledger until it ends. */
  private abandoned = false;
  private failingUntil = 0;
  private forwarding: Promise<unknown> = Promise.resolve();
  private forwardTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private forwardFailing = false;
  /**
   * The groups' INSERTs' own pool: one connection, the shared pool's settings (the same login)
   * with the group's statement timeout, so a group needs no SET LOCAL round trip. Connects on
   * first use; an idle connection does not keep the process alive.
   */
  private readonly inserts: Pool;

  constructor(
    private readonly pool: Pool,
    private readonly payloads: AlertPayloads,
    private readonly forward: ForwardCall,
    options: CopyLedgerOptions = {},
  ) {
    this.owner = options.owner ?? ledgerOwner();
    this.options = {
      copyWindowMs: options.copyWindowMs ?? COPY_WINDOW_MS,
      recentEntries: options.recentEntries ?? RECENT_ENTRIES,
      waitMs: options.waitMs ?? WAIT_MS,
      groupEveryMs: options.groupEveryMs ?? GROUP_EVERY_MS,
      retryMs: options.retryMs ?? RETRY_MS,
      forwardEveryMs: options.forwardEveryMs ?? FORWARD_EVERY_MS,
      staleMs: options.staleMs ?? STALE_MS,
      forwardRows: options.forwardRows ?? FORWARD_ROWS,
      now: options.now ?? Date.now,
    };
    this.log = options.log;
    this.inserts = new Pool({
      ...pool.options,
      max: 1,
      statement_timeout: this.options.waitMs,
      query_timeout: this.options.waitMs + ANSWER_GRACE_MS,
      allowExitOnIdle: true,
    });
    // An idle connection that died (PostgreSQL restarted): pg opens another on next use.
    this.inserts.on('error', (error) => this.failed(error));
  }

  /**
   * Temporal accepted a call carrying this alert for this incident from this process, sent at
   * `sentAt`: the incident then stays open at least until `sentAt` + `incidents.closeAfterIdle`
   * (every delivery restarts its quiet time), which is what bounds the copy window.
   */
  accepted(workflowId: string, uid: string, sentAt: number = this.options.now()): void {
    const key = `${workflowId}\n${uid}`;
    this.recent.delete(key);
    this.recent.set(key, sentAt);
    if (this.recent.size > this.options.recentEntries) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  /** Whether a re-delivery of this alert to this incident is a copy (Temporal has it, recently). */
  isCopy(workflowId: string, uid: string): boolean {
    const at = this.recent.get(`${workflowId}\n${uid}`);
    return at !== undefined && this.options.now() - at < this.options.copyWindowMs;
  }

  /**
   * Records a delivery's copies (all, or none): true once committed, false when the ledger did
   * not take them in time — then the caller sends them through Temporal. Never rejects.
   */
  record(copies: Copy[]): Promise<boolean> {
    if (this.closed || this.abandoned || this.options.now() < this.failingUntil) {
      IntakeCopyMetrics.copies('temporal', copies.length);
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      this.waiting.push({ copies, resolve });
      if (this.committing === undefined) this.commitNext();
    });
  }

  private commitNext(): void {
    if (this.waiting.length === 0) {
      this.committing = undefined;
      return;
    }
    // A group at most every GROUP_EVERY_MS (unless a full one waits): PostgreSQL answers an
    // INSERT so fast that, in a storm, groups would carry a few copies each, and each group
    // costs this process and PostgreSQL a round trip and a WAL flush.
    const linger = this.lastGroupAt + this.options.groupEveryMs - performance.now();
    const start = () => {
      const group = this.waiting;
      this.waiting = [];
      this.lastGroupAt = performance.now();
      return this.commit(group);
    };
    const next =
      linger > 0 && this.waiting.length < GROUP_FULL
        ? new Promise<void>((resolve) => setTimeout(resolve, linger)).then(start)
        : start();
    this.committing = next.finally(() => this.commitNext());
  }

  private async commit(group: Waiter[]): Promise<void> {
    let answered = false;
    let sent = false;
    const count = group.reduce((n, w) => n + w.copies.length, 0);
    const answer = (committed: boolean) => {
      if (answered) return;
      answered = true;
      IntakeCopyMetrics.copies(committed ? 'ledger' : 'temporal', count);
      if (committed) IntakeCopyMetrics.waitingChanged(count);
      for (const waiter of group) waiter.resolve(committed);
    };
    const timer = setTimeout(() => {
      this.abandoned = true;
      this.failed(new Error(`the copy ledger did not commit within ${this.options.waitMs} ms`));
      // Once the INSERT is sent its outcome is awaited — PostgreSQL ends it by its statement
      // timeout — since answering now could count the group twice; the copies waiting behind
      // it go through Temporal either way.
      if (!sent) answer(false);
      for (const waiter of this.waiting.splice(0)) {
        IntakeCopyMetrics.copies('temporal', waiter.copies.length);
        waiter.resolve(false);
      }
    }, this.options.waitMs);
    let connection: CheckedOutClient | undefined;
    let broken: Error | undefined;
    try {
      const rows = aggregate(group);
      const alerts = await Promise.all(rows.map((row) => this.encode(row)));
      connection = await checkOut(this.inserts);
      // Too late: its deliveries went through Temporal.
      if (answered) return;
      sent = true;
      await connection.client.query({
        text: INSERT_GROUP,
        values: [
          rows.map((r) => r.workflowId),
          rows.map((r) => r.alert.uid),
          rows.map((r) => r.deliveries),
          rows.map((r) => r.firstReceivedAt),
          rows.map((r) => r.lastReceivedAt),
          alerts,
          this.owner,
        ],
      });
      answer(true);
    } catch (error) {
      // Rare, and after a silent connection its state is unknown: a new one next time.
      broken = error instanceof Error ? error : new Error(String(error));
      if (!answered) this.failed(error);
      answer(false);
    } finally {
      connection?.release(broken);
      clearTimeout(timer);
      this.abandoned = false;
    }
  }

  private failed(error: unknown): void {
    const now = this.options.now();
    if (now >= this.failingUntil)
      this.log?.warn(
        { err: isConnectionFailure(error) ? undefined : error, retryMs: this.options.retryMs },
        'copy ledger unavailable: re-deliveries go through Temporal for now',
      );
    this.failingUntil = now + this.options.retryMs;
  }

  private encode(row: { correlationKey: string; alert: Alert; receiptTimed: boolean }): Promise<Buffer> {
    const known = this.encoded.get(row.alert);
    if (known !== undefined) return known;
    const { alert, correlationKey, receiptTimed } = row;
    const encoding = this.payloads.encode(
      receiptTimed ? { alert, correlationKey, receiptTimed } : { alert, correlationKey },
    );
    this.encoded.set(row.alert, encoding);
    encoding.catch(() => this.encoded.delete(row.alert));
    return encoding;
  }

  /** Starts forwarding every FORWARD_EVERY_MS (the timer does not keep the process alive). */
  start(): void {
    if (this.closed || this.forwardTimer !== undefined) return;
    this.forwardTimer = setTimeout(() => {
      void this.forwardAll()
        .catch(() => undefined)
        .finally(() => {
          this.forwardTimer = undefined;
          this.start();
        });
    }, this.options.forwardEveryMs);
    this.forwardTimer.unref();
  }

  /** Forwards passes until no row is left for this process, or a pass fails; one at a time. */
  forwardAll(): Promise<void> {
    const run = this.forwarding.then(async () => {
      for (;;) {
        const pass = await this.forwardPass();
        if (pass.failed || pass.rows < this.options.forwardRows) return;
      }
    });
    this.forwarding = run.catch(() => undefined);
    return run;
  }

  /**
   * One transaction: claims up to FORWARD_ROWS rows (this process's, or stale ones) with FOR
   * UPDATE SKIP LOCKED, merges them per incident and alert, signals each incident, and deletes
   * the rows of the incidents whose signal was accepted before it commits. The others stay.
   */
  async forwardPass(): Promise<ForwardPass> {
    let checkedOut;
    try {
      checkedOut = await checkOut(this.pool);
    } catch (error) {
      this.forwardFailed(error);
      return { rows: 0, forwarded: 0, failed: true };
    }
    const { client, release } = checkedOut;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(
        `SELECT id, workflow_id, alert_uid, deliveries, first_received_at, last_received_at, alert, owner
           FROM intake_copies
          WHERE owner = $1 OR created_at < now() - make_interval(secs => $2)
          ORDER BY id LIMIT $3
          FOR UPDATE SKIP LOCKED`,
        [this.owner, this.options.staleMs / 1000, this.options.forwardRows],
      );
      const incidents = new Map<
        string,
        {
          correlationKey: string;
          byUid: Map<string, AlertDeliveries>;
          receiptTimed: Set<string>;
          ids: string[];
          own: number;
        }
      >();
      const done: string[] = [];
      let ownUndecodable = 0;
      for (const row of rows) {
        let value: LedgerAlert;
        try {
          value = await this.payloads.decode(row.alert);
        } catch (error) {
          // Never readable again (its key no longer listed): its alert is in Temporal, only
          // these copies' count is lost.
          this.log?.error(
            { err: error, workflowId: row.workflow_id, deliveries: row.deliveries },
            'copy ledger row unreadable: dropped, its copies are not counted',
          );
          done.push(row.id);
          if (row.owner === this.owner) ownUndecodable += row.deliveries;
          continue;
        }
        let incident = incidents.get(row.workflow_id);
        if (incident === undefined) {
          incident = {
            correlationKey: value.correlationKey,
            byUid: new Map(),
            receiptTimed: new Set(),
            ids: [],
            own: 0,
          };
          incidents.set(row.workflow_id, incident);
        }
        incident.ids.push(row.id);
        if (row.owner === this.owner) incident.own += row.deliveries;
        const first = row.first_received_at.toISOString();
        const last = row.last_received_at.toISOString();
        const known = incident.byUid.get(row.alert_uid);
        if (value.receiptTimed === true) incident.receiptTimed.add(row.alert_uid);
        if (known === undefined)
          incident.byUid.set(row.alert_uid, {
            alert: value.alert,
            deliveries: row.deliveries,
            firstReceivedAt: first,
            lastReceivedAt: last,
          });
        else {
          known.deliveries += row.deliveries;
          if (first < known.firstReceivedAt) known.firstReceivedAt = first;
          if (last > known.lastReceivedAt) known.lastReceivedAt = last;
        }
      }
      const sentAt = this.options.now();
      const sent = await Promise.allSettled(
        [...incidents].map(([workflowId, { correlationKey, byUid, receiptTimed }]) =>
          this.forward(
            workflowId,
            correlationKey,
            // As the batcher sends them: an alert the vendor gave no time is timed at its first delivery.
            [...byUid.values()].map((entry) =>
              receiptTimed.has(entry.alert.uid)
                ? { ...entry, alert: { ...entry.alert, time: entry.firstReceivedAt } }
                : entry,
            ),
          ),
        ),
      );
      let forwarded = 0;
      let own = ownUndecodable;
      let failure: unknown;
      [...incidents].forEach(([workflowId, incident], i) => {
        const outcome = sent[i] as PromiseSettledResult<unknown>;
        if (outcome.status === 'rejected') {
          failure ??= outcome.reason;
          return;
        }
        done.push(...incident.ids);
        own += incident.own;
        for (const entry of incident.byUid.values()) {
          forwarded += entry.deliveries;
          this.accepted(workflowId, entry.alert.uid, sentAt);
        }
      });
      if (done.length > 0) await client.query('DELETE FROM intake_copies WHERE id = ANY($1::bigint[])', [done]);
      await client.query('COMMIT');
      if (own > 0) IntakeCopyMetrics.waitingChanged(-own);
      const failed = failure !== undefined;
      if (failed) this.forwardFailed(failure);
      else {
        if (this.forwardFailing) this.log?.info({}, 'copy ledger: forwarding again');
        this.forwardFailing = false;
        if (rows.length < this.options.forwardRows) IntakeCopyMetrics.noneWaiting();
      }
      return { rows: rows.length, forwarded, failed };
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      this.forwardFailed(error);
      return { rows: 0, forwarded: 0, failed: true };
    } finally {
      release(broken);
    }
  }

  private forwardFailed(error: unknown): void {
    if (this.forwardFailing) return;
    this.forwardFailing = true;
    this.log?.warn(
      { err: isConnectionFailure(error) ? undefined : error },
      'copy ledger: copies not forwarded now, retried (they stay in PostgreSQL)',
    );
  }

  /** Stops forwarding and recording (the app closes); rows left are forwarded once stale. */
  stop(): void {
    this.closed = true;
    clearTimeout(this.forwardTimer);
    this.forwardTimer = undefined;
    // Once the group in flight, if any, has released its connection.
    if (!this.inserts.ending) void this.inserts.end().catch(() => undefined);
  }

  /**
   * Shutdown: no new copies, the group in flight ends, then what this process recorded is
   * forwarded (what cannot be now is forwarded by another API once stale, or after a restart).
   */
  async close(): Promise<void> {
    this.stop();
    // The group in flight, and those still waiting (taken before stop()).
    while (this.committing !== undefined) await this.committing;
    await this.forwardAll().catch(() => undefined);
  }
}

/** A group's copies, one row per (incident, alert UID). */
interface CopyRow {
  workflowId: string;
  correlationKey: string;
  alert: Alert;
  receiptTimed: boolean;
  deliveries: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
}

function aggregate(group: Waiter[]): CopyRow[] {
  const rows = new Map<string, CopyRow>();
  for (const { copies } of group)
    for (const { workflowId, correlationKey, alert, receiptTimed, receivedAt } of copies) {
      const key = `${workflowId}\n${alert.uid}`;
      const row = rows.get(key);
      if (row === undefined)
        rows.set(key, {
          workflowId,
          correlationKey,
          alert,
          receiptTimed,
          deliveries: 1,
          firstReceivedAt: receivedAt,
          lastReceivedAt: receivedAt,
        });
      else {
        row.deliveries += 1;
        if (receivedAt < row.firstReceivedAt) row.firstReceivedAt = receivedAt;
        if (receivedAt > row.lastReceivedAt) row.lastReceivedAt = receivedAt;
      }
    }
  return [...rows.values()];
}
