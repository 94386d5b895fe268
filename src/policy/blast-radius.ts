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

  async reserve(slot: ContainmentSlot, now: Date = new Date()): Promise<Reservation> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [BLAST_RADIUS_LOCK_KEY]);
      const existing = await client.query('SELECT 1 FROM automatic_containments WHERE key = $1', [slot.key]);
      if (existing.rowCount !== null && existing.rowCount > 0) return { granted: true };
      const { rows } = await client.query<{ per_run: string; per_hour: string }>(
        `SELECT count(*) FILTER (WHERE workflow_id = $1) AS per_run,
                count(*) FILTER (WHERE reserved_at > $2::timestamptz - interval '1 hour') AS per_hour
           FROM automatic_containments`,
        [slot.workflowId, now.toISOString()],
      );
      const perRun = Number(rows[0]?.per_run ?? 0);
      const perHour = Number(rows[0]?.per_hour ?? 0);
      if (perRun >= this.limits.perRun) return { granted: false, limit: 'perRun', count: perRun };
      if (perHour >= this.limits.perHour) return { granted: false, limit: 'perHour', count: perHour };
      await client.query(
        `INSERT INTO automatic_containments (key, workflow_id, action_type, target, reserved_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [slot.key, slot.workflowId, slot.actionType, slot.target, now.toISOString()],
      );
      return { granted: true };
    });
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
