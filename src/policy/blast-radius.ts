import type { Pool } from 'pg';
import { ACTION_CATALOG } from '../actions/catalog';
import type { InterlockConfig } from '../config/schema';
import { withTransaction } from '../db/transaction';
import type { PolicyDecision } from './types';

/**
 * Rule 14: at most `perRun` automatic containments per playbook run and `perHour` across the
 * deployment. Each automatic containment reserves a slot in PostgreSQL under one advisory
 * lock, so workers racing through an alert storm cannot overshoot; past the limit the action
 * needs approval instead.
 */

/** pg_advisory_xact_lock key ("ilk" + 14), beside db/advisory-locks.ts's keys. */
export const BLAST_RADIUS_LOCK_KEY = '6904171014';

export type BlastRadiusLimits = InterlockConfig['policy']['blastRadius'];

export type Reservation = { granted: true } | { granted: false; limit: 'perRun' | 'perHour'; count: number };

export interface ContainmentSlot {
  /** One slot per playbook step: the same key reserves once, however often it is asked. */
  key: string;
  workflowId: string;
  actionType: string;
  target: string;
}

export class BlastRadiusStore {
  constructor(
    private readonly pool: Pool,
    private readonly limits: BlastRadiusLimits,
  ) {}

  /**
   * A slot once reserved stays reserved, so a key already present is granted from one read
   * without the lock (the execution gate asks again for a step its decision reserved). Otherwise,
   * under the lock: one statement sees the key, counts the slots and inserts if both limits allow.
   */
  async reserve(slot: ContainmentSlot, now: Date = new Date()): Promise<Reservation> {
    const known = await this.pool.query('SELECT 1 FROM automatic_containments WHERE key = $1', [slot.key]);
    if (known.rowCount !== null && known.rowCount > 0) return { granted: true };
    return withTransaction(
      this.pool,
      async (client) => {
        const { rows } = await client.query<{ existed: boolean; inserted: boolean; per_run: string; per_hour: string }>(
          `WITH existing AS (SELECT 1 FROM automatic_containments WHERE key = $1),
                counts AS (
                  SELECT count(*) FILTER (WHERE workflow_id = $2) AS per_run,
                         count(*) FILTER (WHERE reserved_at > $5::timestamptz - interval '1 hour') AS per_hour
                    FROM automatic_containments),
                inserted AS (
                  INSERT INTO automatic_containments (key, workflow_id, action_type, target, reserved_at)
                  SELECT $1, $2, $3, $4, $5::timestamptz FROM counts
                   WHERE NOT EXISTS (SELECT 1 FROM existing) AND per_run < $6 AND per_hour < $7
                  RETURNING 1)
           SELECT EXISTS (SELECT 1 FROM existing) AS existed, EXISTS (SELECT 1 FROM inserted) AS inserted,
                  per_run, per_hour
             FROM counts`,
          [
            slot.key,
            slot.workflowId,
            slot.actionType,
            slot.target,
            now.toISOString(),
            this.limits.perRun,
            this.limits.perHour,
          ],
        );
        const row = rows[0];
        if (row === undefined) throw new Error('blast-radius reservation returned no row');
        if (row.existed || row.inserted) return { granted: true };
        const perRun = Number(row.per_run);
        if (perRun >= this.limits.perRun) return { granted: false, limit: 'perRun', count: perRun };
        return { granted: false, limit: 'perHour', count: Number(row.per_hour) };
      },
      { begin: `BEGIN; SELECT pg_advisory_xact_lock(${BLAST_RADIUS_LOCK_KEY}::bigint)` },
    );
  }
}

/** Whether an automatic decision spends a blast-radius slot. */
export function countsAgainstBlastRadius(decision: PolicyDecision): boolean {
  return decision.outcome === 'auto' && ACTION_CATALOG[decision.action.type].containment;
}

/** Past the limit, an automatic containment needs an approver instead (rule 14). */
export function overBlastRadius(
  decision: PolicyDecision,
  refusal: Extract<Reservation, { granted: false }>,
  limits: BlastRadiusLimits,
  config: Pick<InterlockConfig, 'policy'>,
): PolicyDecision {
  const limit = refusal.limit === 'perRun' ? `${limits.perRun} per playbook run` : `${limits.perHour} per hour`;
  return {
    ...decision,
    outcome: 'approve',
    rule: 'rule-14-blast-radius',
    reason: `blast-radius limit reached (${refusal.count} automatic containments, limit ${limit}): approval required`,
    approval: {
      approvals: 1,
      roles: decision.target.domain === 'it' ? config.policy.itApproverRoles : config.policy.otApproverRoles,
      ttlMs: config.policy.approvalTtl,
      escalateAfterMs: config.policy.escalateAfter,
    },
  };
}
