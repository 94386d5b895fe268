/**
 * Case changes and comments from the API. Each is one audit record with the operator as actor;
 * the case is derived from the records (cases/case-state.ts). A change is validated against the
 * current case and recorded under a per-incident lock (PostgreSQL advisory lock, so several API
 * processes serialize too): two operators changing the case at once are applied one after the
 * other, each against the other's result, and neither is lost.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuditStore } from '../../audit/audit-store';
import { caseFrom, planCaseChange, type CaseChangeRequest, type CaseView } from '../../cases/case-state';
import { ADVISORY_LOCK_KEYS } from '../../db/advisory-locks';
import { withTransaction } from '../../db/transaction';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';

/** Where a case change came from, as its audit record says (the API, or the console's forms). */
export type CaseChannel = 'api' | 'console';

export interface CaseChangeAnswer {
  incidentId: string;
  /** false: the case already was as asked; nothing was recorded. */
  changed: boolean;
  /** The audit record of the change, when one was written. */
  seq?: number;
  case: CaseView;
}

export class CaseWork {
  /**
   * Case changes of this process, one at a time: each holds one pooled connection for its lock
   * while its audit append needs another, so they must not pile up on the pool.
   */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly audit: AuditStore,
    private readonly operatorExists: (id: string) => boolean,
  ) {}

  async change(
    incidentId: string,
    operator: AuthenticatedOperator,
    request: CaseChangeRequest,
    channel: CaseChannel = 'api',
  ): Promise<CaseChangeAnswer> {
    if (typeof request.assignee === 'string' && !this.operatorExists(request.assignee)) {
      throw new ApiError(400, 'invalid_request', 'invalid case change', [
        { path: 'assignee', message: `no operator ${request.assignee}` },
      ]);
    }
    return this.locked(incidentId, async () => {
      const records = await this.existing(incidentId);
      const current = caseFrom(records);
      const plan = planCaseChange(current, request);
      if (!plan.ok) {
        throw new ApiError(409, 'case_change_refused', plan.message, [{ path: plan.field, message: plan.message }]);
      }
      if (Object.keys(plan.changes).length === 0) return { incidentId, changed: false, case: current };
      const record = await this.audit.append({
        idempotencyKey: `case:${incidentId}:update:${randomUUID()}`,
        time: new Date().toISOString(),
        incidentId,
        actor: { type: 'operator', id: operator.id, roles: operator.roles, channel },
        eventType: 'case.updated',
        details: { changes: plan.changes },
      });
      return { incidentId, changed: true, seq: record.seq, case: caseFrom([...records, record]) };
    });
  }

  /** `key`: the client's Idempotency-Key; a retry with it records the comment once. */
  async comment(
    incidentId: string,
    operator: AuthenticatedOperator,
    text: string,
    key: string | undefined,
    channel: CaseChannel = 'api',
  ) {
    const records = await this.existing(incidentId);
    const record = await this.audit.append({
      idempotencyKey:
        key === undefined
          ? `case:${incidentId}:comment:${randomUUID()}`
          : `case:${incidentId}:comment:${operator.id}:${key.slice(0, 128)}`,
      time: new Date().toISOString(),
      incidentId,
      actor: { type: 'operator', id: operator.id, roles: operator.roles, channel },
      eventType: 'case.commented',
      details: { text },
    });
    // A retry gets the first request's record; the same key with another comment is refused.
    if (
      record.eventType !== 'case.commented' ||
      record.actor.id !== operator.id ||
      record.incidentId !== incidentId ||
      record.details?.['text'] !== text
    )
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used; use a new key');
    const stored = records.some((r) => r.seq === record.seq) ? records : [...records, record];
    return { comment: { seq: record.seq, time: record.time, author: operator.id, text }, case: caseFrom(stored) };
  }

  private async existing(incidentId: string) {
    const records = await this.audit.listByIncident(incidentId);
    if (records.length === 0) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    return records;
  }

  private locked<T>(incidentId: string, work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() =>
      withTransaction(this.pool, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, ${ADVISORY_LOCK_KEYS.caseWork}))`, [
          incidentId,
        ]);
        return work();
      }),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }
}
