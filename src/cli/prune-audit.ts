/**
 * `interlock prune-audit`: removes audit records older than `audit.retention`, leaving a
 * checkpoint so the remaining chain still verifies. The worker does the same daily through its
 * Temporal Schedule (src/worker/maintenance-schedules.ts); this is the manual run, as the schema
 * owner, like `migrate`: the service role cannot delete audit records.
 */
import type { InterlockConfig } from '../config/schema';
import { ConfigError } from '../config/load';
import { createPool } from '../db/pool';
import { pruneAudit, type PruneResult } from '../audit/retention';

export async function runPruneAudit(config: InterlockConfig, now = new Date()): Promise<PruneResult> {
  if (config.database.url === '')
    throw new ConfigError('database.url (DATABASE_URL) is required to prune the audit trail');
  const pool = createPool(config.database.url, { max: 1 });
  try {
    return await pruneAudit(pool, { retentionMs: config.audit.retention, now });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (/permission denied|must be owner|append-only/.test(reason)) {
      throw new Error(
        `${reason} (run \`interlock prune-audit\` as the schema owner: the service role cannot delete audit records)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    await pool.end();
  }
}
