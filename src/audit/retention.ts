import type { Pool, PoolClient } from 'pg';
import { ADVISORY_LOCK_KEYS } from '../db/advisory-locks';
import { AUDIT_PRUNE_FUNCTION, AUDIT_PRUNE_SETTING } from '../db/migrations';
import { withTransaction } from '../db/transaction';
import { verifyChainFrom } from './audit-store';
import {
  CHECKPOINT_COLUMNS,
  readLatestCheckpoint,
  toCheckpoint,
  type AuditCheckpoint,
  type RowQuery,
} from './checkpoints';
import { GENESIS_HASH } from './hash';
import { LOCK_INCIDENTS_SQL } from './incident-projection';
import { MIN_AUDIT_RETENTION_MS } from './retention-policy';

export { MIN_AUDIT_RETENTION_MS } from './retention-policy';

export interface PruneResult {
  /** Records removed by this run (0 when nothing was old enough: pruning is idempotent). */
  pruned: number;
  cutoff: string;
  /** The checkpoint this run wrote, or the latest one when it removed nothing. */
  checkpoint?: AuditCheckpoint;
}

/** The chain does not verify up to the records to remove: pruning would destroy the evidence. */
export class AuditPruneRefused extends Error {
  override readonly name = 'AuditPruneRefused';
}

function clientQuery(client: PoolClient): RowQuery {
  return async <R>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as R[];
}

/**
 * Removes the audit records older than `retentionMs` (by their `time`), as the table owner.
 * Only the oldest run of records is removed: everything before the first record still inside
 * the retention, so a record younger than the retention is never removed even if its `time`
 * is out of order. In one transaction, under the audit chain lock (appends wait):
 * 1. the records to remove are verified first — a broken chain is refused, not pruned away;
 * 2. a checkpoint (seq and hash of the last removed record) is written;
 * 3. the records are deleted: the append-only trigger lets the DELETE through only for the
 *    table owner, with the transaction-local prune setting, for rows a checkpoint covers.
 *
 * `asService`: steps 2 and 3 go through the SECURITY DEFINER function of migration 9 (the
 * scheduled pruning in the worker, which connects as the service role): it writes the same
 * checkpoint and removes the same records, checking what it can itself (the retention floor,
 * the verified hash, the lock).
 */
export async function pruneAudit(
  pool: Pool,
  opts: { retentionMs: number; now?: Date; asService?: boolean },
): Promise<PruneResult> {
  if (!(opts.retentionMs >= MIN_AUDIT_RETENTION_MS)) {
    throw new RangeError('audit retention must be at least 90 days (NERC CIP-007 R4)');
  }
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.retentionMs);
  return withTransaction(pool, async (client) => {
    const query = clientQuery(client);
    // Pruning a large backlog may take longer than the pool's statement timeout.
    await client.query('SET LOCAL statement_timeout = 0');
    // The projection is rebuilt below, under the chain lock: incidents are locked first.
    await client.query(LOCK_INCIDENTS_SQL);
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCK_KEYS.auditChain]);
    const previous = await readLatestCheckpoint(query);
    const start = previous ?? { seq: 0, hash: GENESIS_HASH };

    const [bounds] = await query<{ last_seq: string | null; count: string }>(
      `WITH first_kept AS (SELECT min(seq) AS seq FROM audit_events WHERE seq > $1 AND time >= $2)
       SELECT max(e.seq) AS last_seq, count(*) AS count
         FROM audit_events e, first_kept
        WHERE e.seq > $1 AND (first_kept.seq IS NULL OR e.seq < first_kept.seq)`,
      [start.seq, cutoff],
    );
    if (!bounds?.last_seq)
      return { pruned: 0, cutoff: cutoff.toISOString(), ...(previous && { checkpoint: previous }) };
    const lastSeq = Number(bounds.last_seq);
    const count = Number(bounds.count);

    const verified = await verifyChainFrom(query, start, lastSeq);
    if (!verified.ok) {
      const broken = verified.firstBroken;
      throw new AuditPruneRefused(
        `refusing to prune: the audit chain does not verify at seq ${broken?.seq ?? '?'} (${broken?.reason ?? 'unknown'}); ` +
          'investigate (GET /audit/verify) before removing anything',
      );
    }

    if (opts.asService === true) {
      const [lastRow] = await query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = $1', [lastSeq]);
      if (!lastRow) throw new Error(`audit record ${lastSeq} vanished while pruning`);
      const [removed] = await query<{ removed: string }>(`SELECT ${AUDIT_PRUNE_FUNCTION}($1, $2, $3) AS removed`, [
        lastSeq,
        lastRow.hash,
        cutoff,
      ]);
      if (Number(removed?.removed) !== count)
        throw new Error(`pruning removed ${removed?.removed ?? 0} audit records, expected ${count}: rolled back`);
      // As below: the projection shows what the remaining records say (migration 8 grants it).
      await client.query('SELECT incident_projection_rebuild()');
      const checkpoint = await readLatestCheckpoint(query);
      return { pruned: count, cutoff: cutoff.toISOString(), ...(checkpoint && { checkpoint }) };
    }

    const [checkpointRow] = await query<Parameters<typeof toCheckpoint>[0]>(
      `INSERT INTO audit_checkpoints (seq, hash, pruned_count, cutoff, last_time)
       SELECT seq, hash, $2, $3, time FROM audit_events WHERE seq = $1
       RETURNING ${CHECKPOINT_COLUMNS}`,
      [lastSeq, count, cutoff],
    );
    if (!checkpointRow) throw new Error(`audit record ${lastSeq} vanished while pruning`);

    await client.query('SELECT set_config($1, $2, true)', [AUDIT_PRUNE_SETTING, 'on']);
    const deleted = await client.query('DELETE FROM audit_events WHERE seq > $1 AND seq <= $2', [start.seq, lastSeq]);
    if (deleted.rowCount !== count) {
      throw new Error(`pruning removed ${deleted.rowCount ?? 0} audit records, expected ${count}: rolled back`);
    }
    // The incidents projection shows what the remaining records say, as a fold of them would.
    await client.query('SELECT incident_projection_rebuild()');
    return { pruned: count, cutoff: cutoff.toISOString(), checkpoint: toCheckpoint(checkpointRow) };
  });
}
