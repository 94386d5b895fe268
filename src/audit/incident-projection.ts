/**
 * The incidents projection (migrations 8 and 13, docs/audit.md "Incidents projection"): one row
 * per incident, kept in the same transaction as the audit append. A batch of new records is
 * folded per incident here, in order, into a delta of order-independent summaries (min/max
 * times, unions, counts, the record that last set a value, tags added/removed), which the
 * append function (migration 13, in the append's statement, before it takes the chain lock)
 * merges into the incidents' rows. Records are ordered within an incident by their number in
 * it (1 = its first record), not by chain seq: a delta's numbers count from 1 for the
 * incident's first record in the batch, and the function adds the row's `record_count`.
 * `incident_projection_rebuild()` (SQL, in the migrations) derives the same rows from the
 * whole trail; the tests check the two agree.
 */
import type { Pool } from 'pg';
import { SEVERITIES } from '../alerts/alert';
import { ADVISORY_LOCK_KEYS } from '../db/advisory-locks';
import { withTransaction } from '../db/transaction';
import type { AuditEventInput } from './types';

/** One incident's share of a batch; the field names are the jsonb_to_recordset columns below. */
export interface IncidentDelta {
  incident_id: string;
  opened_at: string;
  last_event_at: string;
  record_count: number;
  last_opened_no: number | null;
  last_closed_no: number | null;
  closed_time: string | null;
  alert_count: number;
  severity_rank: number | null;
  title: string | null;
  title_no: number | null;
  sources: string[];
  zones: string[];
  has_unhandled: boolean;
  has_playbook_started: boolean;
  case_status_to: string | null;
  case_status_no: number | null;
  assignee: string | null;
  assignee_no: number | null;
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

function emptyDelta(record: AuditEventInput): IncidentDelta {
  return {
    incident_id: record.incidentId,
    opened_at: record.time,
    last_event_at: record.time,
    record_count: 0,
    last_opened_no: null,
    last_closed_no: null,
    closed_time: null,
    alert_count: 0,
    severity_rank: null,
    title: null,
    title_no: null,
    sources: [],
    zones: [],
    has_unhandled: false,
    has_playbook_started: false,
    case_status_to: null,
    case_status_no: null,
    assignee: null,
    assignee_no: null,
    tags_added: [],
    tags_removed: [],
  };
}

/** Folds one record into its incident's delta (records arrive in seq order). */
function fold(d: IncidentDelta, r: AuditEventInput, tags: { added: Set<string>; removed: Set<string> }): void {
  d.opened_at = earlier(d.opened_at, r.time);
  d.last_event_at = later(d.last_event_at, r.time);
  // The record's number among the incident's records in this batch.
  const no = ++d.record_count;
  switch (r.eventType) {
    case 'incident.opened':
      d.last_opened_no = no;
      break;
    case 'incident.closed':
      d.last_closed_no = no;
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
        d.case_status_no = no;
      }
      if ('assignee' in changes) {
        d.assignee = jsonText(asObject(changes['assignee'])?.['to']);
        d.assignee_no = no;
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
    if (d.title_no === null) {
      d.title = r.trigger.title;
      d.title_no = no;
    }
    d.sources.push(r.trigger.source);
  }
  if (typeof r.target?.zone === 'string') d.zones.push(r.target.zone);
}

/** The per-incident deltas of newly written records, given in chain order. */
export function incidentDeltas(records: readonly AuditEventInput[]): IncidentDelta[] {
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
 * Taken before the chain lock by whoever writes incidents under it (the rebuild, pruning): an
 * append locks its incidents' rows and then waits for the chain lock, so the other order would
 * deadlock. It waits for the appends under way and holds new ones before they lock anything.
 */
export const LOCK_INCIDENTS_SQL = 'LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE';

/**
 * Recomputes the whole projection from the audit trail (after a restore, a bug fix in the
 * fold, or retention pruning), under the chain lock so no append interleaves. Returns the
 * number of incidents.
 */
export async function rebuildIncidentProjection(pool: Pool): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query(LOCK_INCIDENTS_SQL);
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCK_KEYS.auditChain]);
    const { rows } = await client.query<{ count: string }>('SELECT incident_projection_rebuild() AS count');
    return Number(rows[0]?.count ?? 0);
  });
}
