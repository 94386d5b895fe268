/**
 * Case work on an incident (issue 17): the status people set, the assignee, tags and comments,
 * all derived from the audit trail — `case.updated` records carry only what changed, and the
 * state is their fold in chain order, so two operators changing different fields at once both
 * land. Time to acknowledge and time to contain are measured from the trail too, and are kept
 * apart from the status a person sets (an automatic containment never moves the status).
 * Pure: no I/O.
 */
import { ACTION_CATALOG, isActionType } from '../actions/catalog';
import type { AuditRecord } from '../audit/types';

export const CASE_STATUSES = ['new', 'triage', 'contained', 'recovering', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Tags on one incident, at most. */
export const MAX_TAGS = 50;
/** A comment's length, at most (characters). */
export const MAX_COMMENT_LENGTH = 4000;

/** What one `case.updated` record says changed (details.changes). */
export interface CaseChanges {
  status?: { from: CaseStatus; to: CaseStatus };
  assignee?: { from: string | null; to: string | null };
  tags?: { added: string[]; removed: string[] };
}

export interface CaseComment {
  /** The audit record's seq: the comment's identity and order. */
  seq: number;
  time: string;
  author: string;
  text: string;
}

export interface CaseView {
  status: CaseStatus;
  assignee: string | null;
  tags: string[];
  comments: CaseComment[];
  /** When the status was last set by a person (null: never, still `new`). */
  statusChangedAt: string | null;
  /** First human action (case change, comment, approval vote) after the incident opened, in ms. */
  timeToAcknowledgeMs: number | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** First executed containment action (catalog `containment: true`) after the incident opened, in ms. */
  timeToContainMs: number | null;
  containedAt: string | null;
}

/**
 * The moves a person may make: any status but `new` from anywhere open; a closed case is
 * reopened to `triage` only, so a closed case never jumps straight back to `contained`.
 * `new` is where every case starts and is never set again.
 */
export function transitionRefusal(from: CaseStatus, to: CaseStatus): string | undefined {
  if (from === to) return undefined;
  if (to === 'new') return 'a case cannot be set back to new (reopen a closed case to triage)';
  if (from === 'closed' && to !== 'triage') return `a closed case is reopened to triage first, not ${to}`;
  return undefined;
}

function changesOf(record: AuditRecord): CaseChanges {
  const changes = record.details?.['changes'];
  return typeof changes === 'object' && changes !== null ? changes : {};
}

function isCaseStatus(value: unknown): value is CaseStatus {
  return typeof value === 'string' && (CASE_STATUSES as readonly string[]).includes(value);
}

const HUMAN_EVENTS: ReadonlySet<string> = new Set(['case.updated', 'case.commented', 'approval.decided']);

function elapsed(from: string | undefined, to: string): number | null {
  if (from === undefined) return null;
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

/** The case as the incident's audit records (oldest first) make it. */
export function caseFrom(records: readonly AuditRecord[]): CaseView {
  let status: CaseStatus = 'new';
  let statusChangedAt: string | null = null;
  let assignee: string | null = null;
  const tags = new Set<string>();
  const comments: CaseComment[] = [];
  const openedAt = records.find((r) => r.eventType === 'incident.opened')?.time ?? records[0]?.time;
  let acknowledged: AuditRecord | undefined;
  let contained: AuditRecord | undefined;
  for (const r of records) {
    if (r.eventType === 'case.updated') {
      const changes = changesOf(r);
      if (isCaseStatus(changes.status?.to)) {
        status = changes.status.to;
        statusChangedAt = r.time;
      }
      if (changes.assignee !== undefined) assignee = changes.assignee.to ?? null;
      for (const tag of changes.tags?.added ?? []) tags.add(tag);
      for (const tag of changes.tags?.removed ?? []) tags.delete(tag);
    } else if (r.eventType === 'case.commented') {
      const text = r.details?.['text'];
      if (typeof text === 'string') comments.push({ seq: r.seq, time: r.time, author: r.actor.id, text });
    }
    if (HUMAN_EVENTS.has(r.eventType) && r.actor.type === 'operator') {
      if (acknowledged === undefined || Date.parse(r.time) < Date.parse(acknowledged.time)) acknowledged = r;
    }
    if (
      r.eventType === 'action.executed' &&
      r.action !== undefined &&
      isActionType(r.action.type) &&
      ACTION_CATALOG[r.action.type].containment &&
      (contained === undefined || Date.parse(r.time) < Date.parse(contained.time))
    ) {
      contained = r;
    }
  }
  return {
    status,
    assignee,
    tags: [...tags].sort(),
    comments,
    statusChangedAt,
    timeToAcknowledgeMs: acknowledged === undefined ? null : elapsed(openedAt, acknowledged.time),
    acknowledgedAt: acknowledged?.time ?? null,
    acknowledgedBy: acknowledged?.actor.id ?? null,
    timeToContainMs: contained === undefined ? null : elapsed(openedAt, contained.time),
    containedAt: contained?.time ?? null,
  };
}

/** A requested case change, as the API validated it. */
export interface CaseChangeRequest {
  status?: CaseStatus | undefined;
  /** An operator ID, or null to unassign. */
  assignee?: string | null | undefined;
  tags?: { add?: string[] | undefined; remove?: string[] | undefined } | undefined;
}

export type CasePlan = { ok: true; changes: CaseChanges } | { ok: false; field: string; message: string };

/**
 * What a request changes against the current case: only real changes are kept, so the same
 * request sent twice changes (and records) once. Refuses an illegal status move or too many tags.
 */
export function planCaseChange(current: CaseView, request: CaseChangeRequest): CasePlan {
  const changes: CaseChanges = {};
  if (request.status !== undefined && request.status !== current.status) {
    const refusal = transitionRefusal(current.status, request.status);
    if (refusal !== undefined) return { ok: false, field: 'status', message: refusal };
    changes.status = { from: current.status, to: request.status };
  }
  if (request.assignee !== undefined && request.assignee !== current.assignee) {
    changes.assignee = { from: current.assignee, to: request.assignee };
  }
  const have = new Set(current.tags);
  const remove = new Set(request.tags?.remove ?? []);
  const added = [...new Set(request.tags?.add ?? [])].filter((t) => !have.has(t) && !remove.has(t)).sort();
  const removed = [...remove].filter((t) => have.has(t)).sort();
  if (have.size + added.length - removed.length > MAX_TAGS)
    return { ok: false, field: 'tags.add', message: `an incident has at most ${MAX_TAGS} tags` };
  if (added.length > 0 || removed.length > 0) changes.tags = { added, removed };
  return { ok: true, changes };
}
