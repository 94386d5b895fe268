import type { Pool, PoolClient } from 'pg';
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { checkOut } from '../db/client';
import { AUDIT_APPEND_FUNCTION } from '../db/migrations';
import { auditEventInputSchema, describeIssues } from './audit-schema';
import { readLatestCheckpoint, type RowQuery } from './checkpoints';
import { GENESIS_HASH, computeRecordHash } from './hash';
import { incidentDeltas } from './incident-projection';
import type { ChainLink } from './offline-verify';
import { anchorMismatch, type ChainAnchor } from './anchor';
import type { AuditEventInput, AuditRecord, VerifyResult } from './types';
import { timeAuditAppend } from '../metrics/audit';

export { auditEventInputSchema } from './audit-schema';

/** Refused input: not retryable, the same input will be refused again. */
export class AuditInputError extends Error {
  override readonly name = 'AuditInputError';
}

/** A refusal of an event's content, which says nothing about the store's availability. */
function isContentRefusal(error: unknown): boolean {
  return error instanceof AuditInputError;
}

interface AuditRow {
  seq: string;
  idempotency_key: string;
  time: Date;
  incident_id: string;
  event_type: string;
  record: unknown;
  prev_hash: string;
  hash: string;
}

/** At most this many calls share one transaction: bounds the statement and the lock's hold time. */
const MAX_GROUP_CALLS = 64;

interface QueuedAppend {
  events: PreparedEvent[];
  resolve: (records: AuditRecord[]) => void;
  reject: (error: unknown) => void;
}

const ROW_COLUMNS = 'seq, idempotency_key, time, incident_id, event_type, record, prev_hash, hash';
const VERIFY_PAGE_SIZE = 1000;

function toSeq(value: string): number {
  const seq = Number(value);
  if (!Number.isSafeInteger(seq)) throw new Error(`audit seq ${value} is not a safe integer`);
  return seq;
}

function parseStoredRecord(row: AuditRow): AuditEventInput {
  const parsed = auditEventInputSchema.safeParse(row.record);
  if (!parsed.success) throw new Error(`audit record seq ${row.seq} is malformed: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function toAuditRecord(row: AuditRow): AuditRecord {
  return { ...parseStoredRecord(row), seq: toSeq(row.seq), prevHash: row.prev_hash, hash: row.hash };
}

/** A `\u0000` or `\udXXX` escape not itself escaped (an even run of backslashes before it). */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/;
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * Round-trips the input through JSON so the hash is computed over exactly what jsonb will
 * store and hand back (undefined members dropped, Dates as strings, ...). Otherwise a value
 * that JSON changes would make a freshly written record fail verification.
 */
function toStoredForm(input: AuditEventInput): AuditEventInput {
  const json = JSON.stringify(input);
  // jsonb cannot hold U+0000, and canonical JSON (the hash input) refuses lone surrogates, which
  // JSON.stringify writes as \udXXX escapes (a paired surrogate is written as the character).
  // Refuse clearly instead of failing inside PostgreSQL or the hash. The look-behind skips an
  // escaped backslash followed by the literal text "u0000". Intake repairs both
  // (intake/untrusted-text.ts): reaching here is a bug, and the workflow quarantines the alert.
  const unstorable = UNSTORABLE_ESCAPE.exec(json);
  if (unstorable !== null) {
    // One scan for both on the way in; a refusal names NUL first, as it always has.
    if (unstorable[1] === '0000' || NUL_ESCAPE.test(json))
      throw new AuditInputError('audit event contains a NUL character (U+0000)');
    throw new AuditInputError('audit event contains a lone UTF-16 surrogate');
  }
  return JSON.parse(json) as AuditEventInput;
}

/** An event ready to append: its stored form and canonical JSON split around the seq. */
interface PreparedEvent {
  event: AuditEventInput;
  /** Canonical JSON of the record with its seq up to and including `"seq":`. */
  before: string;
  /** Canonical JSON after the seq's digits. */
  after: string;
}

/**
 * The record's canonical JSON (hash.ts: RFC 8785 over the record with its seq) in two parts,
 * before and after the seq's value, so the database can hash it once the seq is known under the
 * chain lock: `before + seq + after` is exactly `canonicalize({ seq, ...event })`. Members sort
 * by key, so the top-level members before "seq" and after it are each canonicalized alone.
 */
export function splitCanonical(event: AuditEventInput): { before: string; after: string } {
  const head: Record<string, unknown> = {};
  const tail: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'seq') continue;
    if (key < 'seq') head[key] = value;
    else tail[key] = value;
  }
  const headJson = canonicalize(head);
  const tailJson = canonicalize(tail);
  if (headJson === undefined || tailJson === undefined) throw new Error('audit record cannot be canonicalized');
  return {
    before: `${headJson === '{}' ? '{' : `${headJson.slice(0, -1)},`}"seq":`,
    after: tailJson === '{}' ? '}' : `,${tailJson.slice(1)}`,
  };
}

function prepare(event: AuditEventInput): PreparedEvent {
  const parts = splitCanonical(event);
  // Canonical JSON escapes control characters: a raw newline would be a bug, and would split a part.
  if (parts.before.includes('\n') || parts.after.includes('\n'))
    throw new Error('audit record: canonical JSON holds a raw newline');
  return { event, ...parts };
}

/** A row the append function returns: a new record's place in the chain, or an existing record. */
interface AppendRow {
  o_seq: string;
  o_idempotency_key: string | null;
  o_time: Date | null;
  o_incident_id: string | null;
  o_event_type: string | null;
  o_record: unknown;
  o_prev_hash: string;
  o_hash: string;
  o_existing: boolean;
}

const APPEND_SQL = `SELECT * FROM ${AUDIT_APPEND_FUNCTION}($1::text, $2::jsonb)`;

/** How often one group is sent again after losing an idempotency-key race (one is the norm). */
const MAX_IDEMPOTENCY_RACES = 3;

/** The append failed on the unique idempotency key: another writer stored one of its keys first. */
function isIdempotencyRace(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'audit_events_idempotency_key_key';
}

/** Checks one stored row: its columns agree with its hashed record and its own hash is right. */
function checkRowContent(row: AuditRow): string | undefined {
  let record: AuditEventInput;
  try {
    record = parseStoredRecord(row);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (computeRecordHash(row.prev_hash, record, toSeq(row.seq)) !== row.hash) {
    return 'hash mismatch: the record was changed after it was written';
  }
  // The indexed columns are copies of hashed fields; editing one would move or relabel the
  // event without touching the hash, so they must agree with the record.
  if (
    row.idempotency_key !== record.idempotencyKey ||
    row.incident_id !== record.incidentId ||
    row.event_type !== record.eventType ||
    row.time.getTime() !== Date.parse(record.time)
  ) {
    return 'column mismatch: idempotency_key, incident_id, event_type or time differ from the hashed record';
  }
  return undefined;
}

/**
 * Walks the stored chain in seq order from `start` (genesis, or the latest retention
 * checkpoint: the seq and hash of the last pruned record) up to `untilSeq` (default: the head),
 * a page at a time (keyset pagination, so memory stays flat), and reports the first record that
 * does not link or does not rehash. A gap right after the start is a deletion not covered by a
 * checkpoint. Used by verify() and, before deleting anything, by the retention pruning.
 */
export async function verifyChainFrom(
  query: RowQuery,
  start: { seq: number; hash: string },
  untilSeq = Number.MAX_SAFE_INTEGER,
): Promise<VerifyResult> {
  let expectedSeq = start.seq + 1;
  let expectedPrevHash = start.hash;
  let checked = 0;
  for (;;) {
    const rows = await query<AuditRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
      [expectedSeq, untilSeq, VERIFY_PAGE_SIZE],
    );
    for (const row of rows) {
      const seq = toSeq(row.seq);
      if (seq !== expectedSeq) {
        const uncovered =
          start.seq > 0 && expectedSeq === start.seq + 1 ? ', not covered by a retention checkpoint' : '';
        return {
          ok: false,
          checked,
          firstBroken: { seq, reason: `seq gap: record(s) ${expectedSeq}..${seq - 1} missing (deleted)${uncovered}` },
        };
      }
      checked++;
      if (row.prev_hash !== expectedPrevHash) {
        const what =
          start.seq > 0 && seq === start.seq + 1
            ? 'the hash of the last pruned record (retention checkpoint)'
            : 'the hash of the previous record';
        return { ok: false, checked, firstBroken: { seq, reason: `prev_hash does not match ${what}` } };
      }
      const problem = checkRowContent(row);
      if (problem) return { ok: false, checked, firstBroken: { seq, reason: problem } };
      expectedSeq = seq + 1;
      expectedPrevHash = row.hash;
    }
    if (rows.length < VERIFY_PAGE_SIZE) return { ok: true, checked };
  }
}

/**
 * The append-only, hash-chained audit trail: one global chain (seq 1, 2, 3, ... with no
 * gaps), each record's hash covering the previous record's hash.
 */
export class AuditStore {
  private readonly query: RowQuery;
  /** Calls waiting for the next group commit (appendMany). */
  private readonly queued: QueuedAppend[] = [];
  private writing = false;

  constructor(private readonly pool: Pool) {
    this.query = async <R>(sql: string, params: unknown[]) => (await pool.query(sql, params)).rows as R[];
  }

  /**
   * Appends one event exactly once: a retry with an idempotency key already written returns
   * the stored record (its content is not compared; the first write wins).
   */
  async append(input: AuditEventInput): Promise<AuditRecord> {
    const [record] = await this.appendMany([input]);
    if (record === undefined) throw new Error('audit append returned no record');
    return record;
  }

  /**
   * Appends events in order, atomically (all or none), each exactly once as in `append`: a
   * key already written (or repeated earlier in the same call) returns the stored record.
   * Appends are serialized by a transaction-level advisory lock so concurrent writers from
   * any number of connections or processes extend one gapless chain.
   *
   * Group commit: while one transaction of this store is under way, later calls queue, and the
   * next transaction writes all of them — each call's events together and in order. Under load
   * (many activities appending at once) the chain lock is taken, and the one round trip (the
   * append function, migration 13) paid, once per group instead of once per call, and only one
   * pooled connection of the process waits on the lock.
   */
  async appendMany(inputs: readonly AuditEventInput[]): Promise<AuditRecord[]> {
    if (inputs.length === 0) return [];
    const stored = inputs.map((input, index) => {
      const parsed = auditEventInputSchema.safeParse(input);
      if (!parsed.success) {
        const which = inputs.length === 1 ? '' : ` (event ${index})`;
        throw new AuditInputError(`invalid audit event${which}: ${describeIssues(parsed.error)}`);
      }
      return prepare(toStoredForm(parsed.data));
    });
    return timeAuditAppend(
      () =>
        new Promise<AuditRecord[]>((resolve, reject) => {
          this.queued.push({ events: stored, resolve, reject });
          void this.writeQueued();
        }),
      isContentRefusal,
    );
  }

  /** Writes queued calls, a group per transaction, until none is left; one writer at a time. */
  private async writeQueued(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      for (;;) {
        // Let the callers woken by the previous group (or starting in this tick) queue first:
        // their continuations are microtasks, run before this macrotask. Without it the first of
        // them would start a transaction alone and the rest wait for the next one.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.queued.length === 0) break;
        const group = this.queued.splice(0, MAX_GROUP_CALLS);
        try {
          const records = await this.writeInOneTransaction(group.flatMap((call) => call.events));
          let from = 0;
          for (const call of group) {
            call.resolve(records.slice(from, from + call.events.length));
            from += call.events.length;
          }
        } catch (error) {
          if (group.length === 1) {
            group[0]?.reject(error);
            continue;
          }
          // One call's events must not fail another's: write them one call per transaction.
          for (const call of group) await this.writeInOneTransaction(call.events).then(call.resolve, call.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * One statement, one implicit transaction (the append function, migration 13): it merges the
   * projection into the group's incidents first, then takes the chain lock, held only while the
   * database reads the head, hashes and inserts, and through the commit — no client round trip
   * and no projection work under the lock. A key repeated in the group is written once; a key
   * already stored makes the function return the stored records instead of writing, and the
   * rest of the group is sent again.
   */
  private async writeInOneTransaction(group: readonly PreparedEvent[]): Promise<AuditRecord[]> {
    const byKey = new Map<string, AuditRecord>();
    let races = 0;
    let pending: PreparedEvent[] = [];
    const seen = new Set<string>();
    for (const prepared of group) {
      if (seen.has(prepared.event.idempotencyKey)) continue;
      seen.add(prepared.event.idempotencyKey);
      pending.push(prepared);
    }
    while (pending.length > 0) {
      // One text, parts separated by newlines (no escaping, unlike an array parameter).
      const parts: string[] = [];
      for (const { before, after } of pending) parts.push(before, after);
      let rows: AppendRow[];
      try {
        ({ rows } = await this.pool.query<AppendRow>({
          name: 'interlock-audit-append-v2',
          text: APPEND_SQL,
          values: [parts.join('\n'), JSON.stringify(incidentDeltas(pending.map(({ event }) => event)))],
        }));
      } catch (error) {
        // A key committed by another writer after the function's check and before its chain
        // lock: nothing was written; sent again, the function returns the stored record.
        if (isIdempotencyRace(error) && ++races <= MAX_IDEMPOTENCY_RACES) continue;
        throw error;
      }
      if (rows[0]?.o_existing === true) {
        for (const row of rows) {
          const record = toAuditRecord({
            seq: row.o_seq,
            idempotency_key: row.o_idempotency_key ?? '',
            time: row.o_time ?? new Date(0),
            incident_id: row.o_incident_id ?? '',
            event_type: row.o_event_type ?? '',
            record: row.o_record,
            prev_hash: row.o_prev_hash,
            hash: row.o_hash,
          });
          byKey.set(record.idempotencyKey, record);
        }
        pending = pending.filter(({ event }) => !byKey.has(event.idempotencyKey));
        continue;
      }
      if (rows.length !== pending.length)
        throw new Error(`audit append returned ${rows.length} rows for ${pending.length}`);
      pending.forEach((prepared, i) => {
        const row = rows[i] as AppendRow;
        const seq = toSeq(row.o_seq);
        // The database hashed what we split: the same bytes hash.ts hashes, re-derived here.
        const expected = createHash('sha256')
          .update(`${row.o_prev_hash}\n${prepared.before}${seq}${prepared.after}`, 'utf8')
          .digest('hex');
        if (expected !== row.o_hash) throw new Error(`audit record seq ${seq}: the database computed another hash`);
        byKey.set(prepared.event.idempotencyKey, {
          ...prepared.event,
          seq,
          prevHash: row.o_prev_hash,
          hash: row.o_hash,
        });
      });
      pending = [];
    }
    return group.map(({ event }) => {
      const record = byKey.get(event.idempotencyKey);
      if (record === undefined) throw new Error(`audit append wrote no record for ${event.idempotencyKey}`);
      return record;
    });
  }

  /** The records written under these idempotency keys (those that exist), in seq order. */
  async byKeys(keys: readonly string[]): Promise<AuditRecord[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_events WHERE idempotency_key = ANY($1::text[]) ORDER BY seq`,
      [keys],
    );
    return rows.map(toAuditRecord);
  }

  /** All events of one incident, oldest first. */
  async listByIncident(incidentId: string): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_events WHERE incident_id = $1 ORDER BY seq`,
      [incidentId],
    );
    return rows.map(toAuditRecord);
  }

  /**
   * Hashes (no content) of the records of other incidents between `fromSeq` and `untilSeq`, so
   * an incident's export can be verified offline as one contiguous piece of the global chain.
   */
  async chainLinks(incidentId: string, fromSeq: number, untilSeq: number): Promise<ChainLink[]> {
    const { rows } = await this.pool.query<{ seq: string; prev_hash: string; hash: string }>(
      `SELECT seq, prev_hash, hash FROM audit_events
        WHERE seq BETWEEN $1 AND $2 AND incident_id <> $3 ORDER BY seq`,
      [fromSeq, untilSeq, incidentId],
    );
    return rows.map((r) => ({ seq: toSeq(r.seq), prevHash: r.prev_hash, hash: r.hash }));
  }

  /** The newest record's seq and hash: anchor it outside the database to detect truncation. */
  async head(): Promise<{ seq: number; hash: string }> {
    const { client, release } = await checkOut(this.pool);
    try {
      return await this.readHead(client);
    } finally {
      release();
    }
  }

  /**
   * Recomputes the chain and reports the first record that does not verify. Without options
   * the whole chain is checked; with `incidentId` see verifyIncident. `checked` counts the
   * records whose content hash was recomputed, including a failing one.
   *
   * After retention pruning the chain starts from the latest checkpoint (reported as
   * `checkpoint`): the first remaining record must be the one after it and link to its hash.
   *
   * Truncation of the newest records leaves a valid shorter chain: with `anchor` (the newest
   * head anchored outside the database, src/audit/anchor.ts) a head behind it, or an anchored
   * record gone or with another hash, is reported as broken.
   */
  async verify(opts: { incidentId?: string; anchor?: ChainAnchor } = {}): Promise<VerifyResult> {
    const checkpoint = await readLatestCheckpoint(this.query);
    const start = checkpoint ?? { seq: 0, hash: GENESIS_HASH };
    let verified =
      opts.incidentId === undefined
        ? await verifyChainFrom(this.query, start)
        : await this.verifyIncident(opts.incidentId, start);
    if (opts.anchor !== undefined) {
      const anchor = opts.anchor;
      const [anchored] = await this.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = $1', [
        anchor.seq,
      ]);
      const reason = anchorMismatch(anchor, await this.head(), anchored, checkpoint);
      verified = {
        ...verified,
        anchor: { seq: anchor.seq, hash: anchor.hash, at: anchor.at },
        ...(reason === undefined || verified.firstBroken !== undefined
          ? {}
          : { ok: false, firstBroken: { seq: anchor.seq, reason } }),
      };
    }
    const result: VerifyResult = checkpoint
      ? { ...verified, checkpoint: { seq: checkpoint.seq, hash: checkpoint.hash, createdAt: checkpoint.createdAt } }
      : verified;
    return result.firstBroken ? { ...result, firstBroken: await this.nameRecord(result.firstBroken) } : result;
  }

  /** Adds which event the broken seq is (from the row's columns), so an auditor can find it. */
  private async nameRecord(broken: NonNullable<VerifyResult['firstBroken']>): Promise<VerifyResult['firstBroken']> {
    const { rows } = await this.pool.query<{ idempotency_key: string; incident_id: string; event_type: string }>(
      'SELECT idempotency_key, incident_id, event_type FROM audit_events WHERE seq = $1',
      [broken.seq],
    );
    const row = rows[0];
    return row
      ? { ...broken, idempotencyKey: row.idempotency_key, incidentId: row.incident_id, eventType: row.event_type }
      : broken;
  }

  /** The newest record, or when retention pruned every record, the latest checkpoint. */
  private async readHead(client: PoolClient): Promise<{ seq: number; hash: string }> {
    const { rows } = await client.query<{ seq: string; hash: string }>(
      'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    const head = rows[0];
    if (head) return { seq: toSeq(head.seq), hash: head.hash };
    const checkpoint = await readLatestCheckpoint(async <R>(sql: string, params: unknown[]) => {
      return (await client.query(sql, params)).rows as R[];
    });
    return checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * One incident, without recomputing the whole chain:
   * 1. each of the incident's records: content hash recomputed and columns checked;
   * 2. the links from the incident's first record up to the head, in SQL: every record there
   *    has its predecessor (no seq gap) and its prev_hash equals the predecessor's stored hash.
   * Step 2 catches an edited-and-rehashed record, and any deletion after the incident's first
   * remaining record (including its own later records: that leaves a gap). Records of other
   * incidents are linked but their content is not rehashed, and a deleted record that preceded
   * the incident's first remaining one is outside the range: the whole-chain verify is the
   * authoritative check. The first broken seq across both checks is reported.
   */
  private async verifyIncident(incidentId: string, start: { seq: number; hash: string }): Promise<VerifyResult> {
    let checked = 0;
    let contentBroken: { seq: number; reason: string } | undefined;
    let firstSeq: number | undefined;
    let afterSeq = 0;
    while (!contentBroken) {
      const { rows } = await this.pool.query<AuditRow>(
        `SELECT ${ROW_COLUMNS} FROM audit_events WHERE incident_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [incidentId, afterSeq, VERIFY_PAGE_SIZE],
      );
      for (const row of rows) {
        const seq = toSeq(row.seq);
        firstSeq ??= seq;
        checked++;
        const problem = checkRowContent(row);
        if (problem) {
          contentBroken = { seq, reason: problem };
          break;
        }
        afterSeq = seq;
      }
      if (rows.length < VERIFY_PAGE_SIZE) break;
    }
    if (firstSeq === undefined) return { ok: true, checked: 0 };

    const linkBroken = await this.firstBrokenLinkFrom(firstSeq, start);
    const broken = [contentBroken, linkBroken]
      .filter((b): b is { seq: number; reason: string } => b !== undefined)
      .sort((a, b) => a.seq - b.seq)[0];
    return broken ? { ok: false, checked, firstBroken: broken } : { ok: true, checked };
  }

  /** `start` is genesis or the latest checkpoint: the record after it links to its hash. */
  private async firstBrokenLinkFrom(
    fromSeq: number,
    start: { seq: number; hash: string },
  ): Promise<{ seq: number; reason: string } | undefined> {
    const { rows } = await this.pool.query<{ seq: string; predecessor: string | null }>(
      `SELECT e.seq, p.seq AS predecessor
         FROM audit_events e
         LEFT JOIN audit_events p ON p.seq = e.seq - 1
        WHERE e.seq >= $1
          AND CASE WHEN e.seq = $2 + 1 THEN e.prev_hash <> $3
                   ELSE p.seq IS NULL OR p.hash <> e.prev_hash END
        ORDER BY e.seq
        LIMIT 1`,
      [fromSeq, start.seq, start.hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const seq = toSeq(row.seq);
    if (seq !== start.seq + 1 && row.predecessor === null) {
      return { seq, reason: `seq gap: record ${seq - 1} (and maybe earlier ones) missing (deleted)` };
    }
    return { seq, reason: 'prev_hash does not match the hash of the previous record' };
  }
}
