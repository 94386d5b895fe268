/**
 * Retention checkpoints (table audit_checkpoints, migration 5): each records the seq and hash of
 * the last audit record removed by a prune, so the remaining chain still verifies from there.
 */

/** Runs one query on a pool or a transaction's client and returns its rows. */
export type RowQuery = <R>(sql: string, params: unknown[]) => Promise<R[]>;

export interface AuditCheckpoint {
  /** The last pruned record's seq: every record up to it has been removed. */
  seq: number;
  /** The last pruned record's hash: the prev_hash of the first remaining record. */
  hash: string;
  /** Records removed by this prune. */
  prunedCount: number;
  /** Records older than this were eligible. */
  cutoff: string;
  /** The `time` of the last pruned record. */
  lastTime: string;
  createdAt: string;
  /** The database user who pruned. */
  createdBy: string;
}

interface CheckpointRow {
  seq: string;
  hash: string;
  pruned_count: string;
  cutoff: Date;
  last_time: Date;
  created_at: Date;
  created_by: string;
}

export const CHECKPOINT_COLUMNS = 'seq, hash, pruned_count, cutoff, last_time, created_at, created_by';

export function toCheckpoint(row: CheckpointRow): AuditCheckpoint {
  return {
    seq: Number(row.seq),
    hash: row.hash,
    prunedCount: Number(row.pruned_count),
    cutoff: row.cutoff.toISOString(),
    lastTime: row.last_time.toISOString(),
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  };
}

/** The newest checkpoint (checkpoints are cumulative: it covers every record up to its seq). */
export async function readLatestCheckpoint(query: RowQuery): Promise<AuditCheckpoint | undefined> {
  const rows = await query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
    [],
  );
  const row = rows[0];
  return row ? toCheckpoint(row) : undefined;
}
