/**
 * The incidents projection (migration 8, docs/audit.md "Incidents projection"): one row per
 * incident, kept in the same transaction as the audit append. A batch of new records is folded
 * per incident here, in order, into a delta of order-independent summaries (min/max times and
 * seqs, unions, the seq that last set a value, tags added/removed), which the append function
 * (migration 11, in the append's statement and under the chain lock) merges into the incidents'
 * rows. Deltas are computed before the lock, so their seqs are relative to the chain head
 * (1 = the group's first record); the function adds the head's seq. `incident_projection_rebuild()` (SQL, in the migration)
 * derives the same rows from the whole trail; the tests check the two agree.
 */
import type { Pool } from 'pg';
import { SEVERITIES } from '../alerts/alert';
import { ADVISORY_LOCK_KEYS } from '../db/advisory-locks';
import { withTransaction } from '../db/transaction';
import type { AuditRecord } from './types';

/** One incident's share of a batch; the field names are the jsonb_to_recordset columns below. */
export interface IncidentDelta {
  incident_id: string;
  opened_at: string;
  last_event_at: string;
  last_seq: number;
  record_count: number;
  last_opened_seq: number | null;
  last_closed_seq: number | null;
  closed_time: string | null;
  alert_count: number;
  severity_rank: number | null;
  title: string | null;
  title_seq: number | null;
  sources: string[];
  zones: string[];
  has_unhandled: boolean;
  has_playbook_started: boolean;
  case_status_to: string | null;
  case_status_seq: number | null;
  assignee: string | null;
  assignee_seq: number | null;
  tags_added: string[];
  tags_removed: string[];
}

/** `->>` of a JSON value: strings as they are, null as null, anything else as its JSON text. */
function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const later = (a: string, b: string) => (Date.parse(b) > Date.parse(a) ? b : a);
const earlier = (a: string, b: string) => (Date.parse(b) < Date.parse(a) ? b : a);

function emptyDelta(record: AuditRecord): IncidentDelta {
  return {
    incident_id: record.incidentId,
    opened_at: record.time,
    last_event_at: record.time,
    last_seq: record.seq,
    record_count: 0,
    last_opened_seq: null,
    last_closed_seq: null,
    closed_time: null,
    alert_count: 0,
    severity_rank: null,
    title: null,
    title_seq: null,
    sources: [],
    zones: [],
    has_unhandled: false,
    has_playbook_started: false,
    case_status_to: null,
    case_status_seq: null,
    assignee: null,
    assignee_seq: null,
    tags_added: [],
    tags_removed: [],
  };
}

/** Folds one record into its incident's delta (records arrive in seq order). */
function fold(d: IncidentDelta, r: AuditRecord, tags: { added: Set<string>; removed: Set<string> }): void {
  d.opened_at = earlier(d.opened_at, r.time);
  d.last_event_at = later(d.last_event_at, r.time);
  d.last_seq = Math.max(d.last_seq, r.seq);
  d.record_count++;
  switch (r.eventType) {
    case 'incident.opened':
      d.last_opened_seq = r.seq;
      break;
    case 'incident.closed':
      d.last_closed_seq = r.seq;
      d.closed_time = d.closed_time === null ? r.time : later(d.closed_time, r.time);
      break;
    case 'alert.received':
    case 'alert.quarantined':
      d.alert_count++;
      break;
    case 'incident.unhandled':
      d.has_unhandled = true;
      d.zones.push(...strings(r.details?.['zones']));
      break;
    case 'playbook.started':
      d.has_playbook_started = true;
      break;
    case 'case.updated': {
      const changes = asObject(r.details?.['changes']) ?? {};
      if ('status' in changes) {
        d.case_status_to = jsonText(asObject(changes['status'])?.['to']);
        d.case_status_seq = r.seq;
      }
      if ('assignee' in changes) {
        d.assignee = jsonText(asObject(changes['assignee'])?.['to']);
        d.assignee_seq = r.seq;
      }
      // Within a record adds apply before removes, as case-state.ts folds them.
      const tagChanges = asObject(changes['tags']);
      for (const tag of strings(tagChanges?.['added'])) {
        tags.added.add(tag);
        tags.removed.delete(tag);
      }
      for (const tag of strings(tagChanges?.['removed'])) {
        tags.removed.add(tag);
        tags.added.delete(tag);
      }
      break;
    }
    default:
      break;
  }
  if (r.trigger !== undefined) {
    const rank = (SEVERITIES as readonly string[]).indexOf(r.trigger.severity) + 1;
    if (rank > 0) d.severity_rank = Math.max(d.severity_rank ?? 0, rank);
    if (d.title_seq === null) {
      d.title = r.trigger.title;
      d.title_seq = r.seq;
    }
    d.sources.push(r.trigger.source);
  }
  if (typeof r.target?.zone === 'string') d.zones.push(r.target.zone);
}

/** The per-incident deltas of newly written records (in seq order; seqs may be relative to the head). */
export function incidentDeltas(records: readonly AuditRecord[]): IncidentDelta[] {
  const deltas = new Map<string, { delta: IncidentDelta; tags: { added: Set<string>; removed: Set<string> } }>();
  for (const record of records) {
    let entry = deltas.get(record.incidentId);
    if (entry === undefined) {
      entry = { delta: emptyDelta(record), tags: { added: new Set(), removed: new Set() } };
      deltas.set(record.incidentId, entry);
    }
    fold(entry.delta, record, entry.tags);
  }
  return [...deltas.values()].map(({ delta, tags }) => ({
    ...delta,
    sources: [...new Set(delta.sources)],
    zones: [...new Set(delta.zones)],
    tags_added: [...tags.added],
    tags_removed: [...tags.removed],
  }));
}

/**
 * Recomputes the whole projection from the audit trail (after a restore, a bug fix in the
 * fold, or retention pruning), under the chain lock so no append interleaves. Returns the
 * number of incidents.
 */
export async function rebuildIncidentProjection(pool: Pool): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCK_KEYS.auditChain]);
    const { rows } = await client.query<{ count: string }>('SELECT incident_projection_rebuild() AS count');
    return Number(rows[0]?.count ?? 0);
  });
}
