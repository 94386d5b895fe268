import type { Pool } from 'pg';
import { z } from 'zod';
import { ACTION_TYPES } from '../actions/catalog';
import { approverSchema, auditDecisionSchema, auditTargetSchema, describeIssues } from '../audit/audit-schema';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type FinalApprovalStatus = Exclude<ApprovalStatus, 'pending'>;

const isoUtc = z.iso.datetime();
const text = z.string().min(1);

/** The gated action, as ActionRequest in actions/catalog.ts. */
const approvalActionSchema = z.looseObject({
  type: z.enum(ACTION_TYPES),
  target: text,
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

/** One operator's vote, same shape as an audit record's approval.approvers entry. */
export const approvalDecisionEntrySchema = approverSchema;
export type ApprovalDecisionEntry = z.infer<typeof approvalDecisionEntrySchema>;

/** What the workflow records when it asks for approval; the row starts out pending. */
export const approvalRequestSchema = z.strictObject({
  id: text,
  incidentId: text,
  workflowId: text,
  playbookId: text,
  stepId: text,
  action: approvalActionSchema,
  target: auditTargetSchema.nullable(),
  /** The policy decision that asked for approval (outcome, rule, reason). */
  decision: auditDecisionSchema.nullable(),
  requiredApprovals: z.number().int().min(1),
  requiredRoles: z.array(z.string()),
  requestedBy: text,
  actionDigest: text,
  /**
   * Where the action is enforced (the decision's enforcement point, e.g. fortigate:root@fw-dmz;
   * `none` when nothing enforces it): what the list's descriptions say. Absent on rows requested
   * before migration 12 whose audit record is gone.
   */
  enforcementPoint: z.string().optional(),
  createdAt: isoUtc,
  expiresAt: isoUtc,
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const approvalRowSchema = approvalRequestSchema.extend({
  status: z.enum(APPROVAL_STATUSES),
  decisions: z.array(approvalDecisionEntrySchema),
  decidedAt: isoUtc.nullable(),
});
/** An approval as stored. Times are ISO-8601 UTC strings. */
export type ApprovalRow = z.infer<typeof approvalRowSchema>;

export interface ApprovalListFilter {
  status?: ApprovalStatus;
  incidentId?: string;
}

/**
 * A position in the list order (created_at, id): the last row of a page. `createdAt` keeps
 * PostgreSQL's microseconds, so no row is skipped or repeated when several share a millisecond.
 */
export interface ApprovalPosition {
  createdAt: string;
  id: string;
}

export interface ApprovalPage {
  approvals: ApprovalRow[];
  /** Where the next page starts; absent on the last page. */
  next?: ApprovalPosition;
}

interface DbApprovalRow {
  position: string;
  id: string;
  incident_id: string;
  workflow_id: string;
  playbook_id: string;
  step_id: string;
  action: unknown;
  target: unknown;
  decision: unknown;
  required_approvals: number;
  required_roles: string[];
  requested_by: string;
  action_digest: string;
  enforcement_point: string | null;
  status: string;
  decisions: unknown;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

/*
 * A pending row whose expiry has passed is reported as 'expired': the workflow treats a lapsed
 * approval as "do not act", and the API must not offer it for a decision. The stored status
 * changes only when the workflow calls markDecided.
 */
const EFFECTIVE_STATUS = `CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired' ELSE status END`;
/*
 * The enforcement point: the row's own (written with the request since migration 12, which
 * filled the rows before it); else, for a row an older worker wrote during an upgrade, its
 * request's audit record — a subquery coalesce only evaluates for those rows.
 */
const ENFORCEMENT_POINT = `coalesce(a.enforcement_point, (SELECT e.record->'action'->>'enforcementPoint'
  FROM audit_events e WHERE e.idempotency_key = a.id || ':requested'))`;
const SELECT_ROW = `SELECT a.id, a.incident_id, a.workflow_id, a.playbook_id, a.step_id, a.action, a.target, a.decision,
  a.required_approvals, a.required_roles, a.requested_by, a.action_digest, ${ENFORCEMENT_POINT} AS enforcement_point,
  ${EFFECTIVE_STATUS} AS status, a.decisions, a.created_at, a.expires_at, a.decided_at,
  to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position FROM approvals a`;

function fromDb(row: DbApprovalRow): ApprovalRow {
  const parsed = approvalRowSchema.safeParse({
    id: row.id,
    incidentId: row.incident_id,
    workflowId: row.workflow_id,
    playbookId: row.playbook_id,
    stepId: row.step_id,
    action: row.action,
    target: row.target,
    decision: row.decision,
    requiredApprovals: row.required_approvals,
    requiredRoles: row.required_roles,
    requestedBy: row.requested_by,
    actionDigest: row.action_digest,
    ...(row.enforcement_point === null ? {} : { enforcementPoint: row.enforcement_point }),
    status: row.status,
    decisions: row.decisions,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
  });
  if (!parsed.success)
    throw new Error(`approval ${row.id} in the database is malformed: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** created_at as SELECT_ROW's `position` renders it: UTC with microseconds. */
export const positionSchema = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.string().min(1).max(200),
});

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${what}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Read model of approvals for the API and Slack. The approval workflow is the source of
 * truth; it writes here through activities, which Temporal may retry, so every write is
 * idempotent.
 */
export class ApprovalStore {
  constructor(private readonly pool: Pool) {}

  /** Inserts a pending approval; a retry (same id) changes nothing. Returns the stored row. */
  async recordRequested(request: ApprovalRequest): Promise<ApprovalRow> {
    const a = parseOrThrow(approvalRequestSchema, request, 'approval request');
    await this.pool.query(
      `INSERT INTO approvals (id, incident_id, workflow_id, playbook_id, step_id, action, target, decision,
         required_approvals, required_roles, requested_by, action_digest, status, created_at, expires_at,
         enforcement_point)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, 'pending', $13, $14, $15)
       ON CONFLICT (id) DO NOTHING`,
      [
        a.id,
        a.incidentId,
        a.workflowId,
        a.playbookId,
        a.stepId,
        JSON.stringify(a.action),
        a.target === null ? null : JSON.stringify(a.target),
        a.decision === null ? null : JSON.stringify(a.decision),
        a.requiredApprovals,
        a.requiredRoles,
        a.requestedBy,
        a.actionDigest,
        a.createdAt,
        a.expiresAt,
        a.enforcementPoint ?? null,
      ],
    );
    return this.getOrThrow(a.id);
  }

  /**
   * Records the final outcome. Only a pending row changes, so a retried call is a no-op and
   * the first recorded outcome stands. Returns the row as stored afterwards; throws if the
   * approval does not exist.
   */
  async markDecided(
    id: string,
    status: FinalApprovalStatus,
    decisions: ApprovalDecisionEntry[],
    decidedAt: string,
  ): Promise<ApprovalRow> {
    const finalStatus = parseOrThrow(z.enum(APPROVAL_STATUSES).exclude(['pending']), status, 'status');
    const entries = parseOrThrow(z.array(approvalDecisionEntrySchema), decisions, 'decisions');
    const at = parseOrThrow(isoUtc, decidedAt, 'decidedAt');
    await this.pool.query(
      `UPDATE approvals SET status = $2, decisions = $3::jsonb, decided_at = $4
        WHERE id = $1 AND status = 'pending'`,
      [id, finalStatus, JSON.stringify(entries), at],
    );
    return this.getOrThrow(id);
  }

  /**
   * Adds one operator's vote to a pending approval as soon as the workflow accepted it, so
   * every reader sees partial approvals before the request closes. Called by the API after the
   * decision Update returned and by the workflow's vote activity; whichever comes second
   * changes nothing (one vote per operator, as the workflow allows). Votes are kept in time
   * order; markDecided later writes the workflow's final list. Returns the row as stored.
   */
  async recordVote(id: string, vote: ApprovalDecisionEntry): Promise<ApprovalRow> {
    const entry = parseOrThrow(approvalDecisionEntrySchema, vote, 'vote');
    // Concurrent calls serialize on the row lock; the second re-checks the WHERE clause
    // against the first one's result, so a vote is never appended twice.
    await this.pool.query(
      `UPDATE approvals
          SET decisions = (SELECT jsonb_agg(e ORDER BY e->>'at', e->>'operatorId')
                             FROM jsonb_array_elements(decisions || $2::jsonb) AS e)
        WHERE id = $1 AND status = 'pending' AND NOT decisions @> $3::jsonb`,
      [id, JSON.stringify([entry]), JSON.stringify([{ operatorId: entry.operatorId }])],
    );
    return this.getOrThrow(id);
  }

  async get(id: string): Promise<ApprovalRow | undefined> {
    const { rows } = await this.pool.query<DbApprovalRow>(`${SELECT_ROW} WHERE a.id = $1`, [id]);
    const row = rows[0];
    return row ? fromDb(row) : undefined;
  }

  /**
   * Approvals oldest first. `status` filters on the effective status: 'pending' excludes
   * rows whose expiry has passed, 'expired' includes them.
   */
  async list(filter: ApprovalListFilter = {}): Promise<ApprovalRow[]> {
    return (await this.query(filter)).map(fromDb);
  }

  /**
   * One page of `list`: at most `limit` approvals after `after`, and where the next page starts.
   * Keyset paging on (created_at, id): rows added meanwhile do not shift later pages.
   */
  async page(filter: ApprovalListFilter, limit: number, after?: ApprovalPosition): Promise<ApprovalPage> {
    const size = parseOrThrow(z.number().int().min(1).max(10_000), limit, 'limit');
    // One row more than asked tells whether another page exists.
    const rows = await this.query(filter, size + 1, after);
    const approvals = rows.slice(0, size).map(fromDb);
    const last = rows[size - 1];
    return rows.length > size && last !== undefined
      ? { approvals, next: { createdAt: last.position, id: last.id } }
      : { approvals };
  }

  private async query(filter: ApprovalListFilter, limit?: number, after?: ApprovalPosition): Promise<DbApprovalRow[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      const status = parseOrThrow(z.enum(APPROVAL_STATUSES), filter.status, 'status filter');
      // EFFECTIVE_STATUS = status, spelled so that an index serves it: pending rows are read in
      // list order from approvals_pending_created_at_idx (its predicate needs the literal), the
      // others through approvals_status_expires_at_idx.
      if (status === 'pending') conditions.push(`status = 'pending' AND expires_at > now()`);
      else {
        params.push(status);
        const n = params.length;
        conditions.push(
          status === 'expired' ? `(status = $${n} OR (status = 'pending' AND expires_at <= now()))` : `status = $${n}`,
        );
      }
    }
    if (filter.incidentId !== undefined) {
      params.push(filter.incidentId);
      conditions.push(`incident_id = $${params.length}`);
    }
    if (after !== undefined) {
      params.push(parseOrThrow(positionSchema, after, 'position').createdAt, after.id);
      conditions.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    let sql = `${SELECT_ROW}${where} ORDER BY created_at, id`;
    if (limit !== undefined) {
      params.push(limit);
      sql += ` LIMIT $${params.length}`;
    }
    const { rows } = await this.pool.query<DbApprovalRow>(sql, params);
    return rows;
  }

  private async getOrThrow(id: string): Promise<ApprovalRow> {
    const row = await this.get(id);
    if (!row) throw new Error(`approval ${id} not found`);
    return row;
  }
}
