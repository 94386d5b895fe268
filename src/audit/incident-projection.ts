/**
 * The incidents projection (migration 8, docs/audit.md "Incidents projection"): one row per
 * incident, kept in the same transaction as the audit append. A batch of new records is folded
 * per incident here, in order, into a delta of order-independent summaries (min/max times and
 * seqs, unions, the seq that last set a value, tags added/removed), which one SQL statement
 * merges into the incidents' rows. `incident_projection_rebuild()` (SQL, in the migration)
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

/** The per-incident deltas of newly written records (in seq order). */
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

const DELTA_COLUMNS = `incident_id text, opened_at timestamptz, last_event_at timestamptz, last_seq bigint,
  record_count bigint, last_opened_seq bigint, last_closed_seq bigint, closed_time timestamptz, alert_count bigint,
  severity_rank integer, title text, title_seq bigint, sources text[], zones text[], has_unhandled boolean,
  has_playbook_started boolean, case_status_to text, case_status_seq bigint, assignee text, assignee_seq bigint,
  tags_added text[], tags_removed text[]`;

/** A sorted set union (arrays stored sorted in the database's collation, as the rebuild does). */
const union = (a: string, b: string) =>
  `CASE WHEN cardinality(${b}) = 0 THEN ${a} ELSE ARRAY(SELECT DISTINCT x FROM unnest(${a} || ${b}) x ORDER BY 1) END`;

/**
 * CTEs merging the deltas (jsonb parameter `$n`) into `incidents`, for the audit INSERT's
 * statement (one round trip). Appends hold the chain lock, so no other transaction inserts the
 * same incident between the UPDATE and the INSERT.
 */
export function projectionCtes(param: number): string {
  return `delta AS (SELECT * FROM jsonb_to_recordset($${param}::jsonb) AS d(${DELTA_COLUMNS})),
projection_updated AS (
  UPDATE incidents i SET
    opened_at = least(i.opened_at, d.opened_at),
    last_event_at = greatest(i.last_event_at, d.last_event_at),
    last_seq = greatest(i.last_seq, d.last_seq),
    record_count = i.record_count + d.record_count,
    last_opened_seq = greatest(i.last_opened_seq, d.last_opened_seq),
    last_closed_seq = greatest(i.last_closed_seq, d.last_closed_seq),
    closed_time = greatest(i.closed_time, d.closed_time),
    alert_count = i.alert_count + d.alert_count,
    severity_rank = greatest(i.severity_rank, d.severity_rank),
    title = CASE WHEN i.title_seq IS NULL OR d.title_seq < i.title_seq THEN d.title ELSE i.title END,
    title_seq = least(i.title_seq, d.title_seq),
    sources = ${union('i.sources', 'd.sources')},
    zones = ${union('i.zones', 'd.zones')},
    has_unhandled = i.has_unhandled OR d.has_unhandled,
    has_playbook_started = i.has_playbook_started OR d.has_playbook_started,
    case_status_to = CASE WHEN d.case_status_seq > coalesce(i.case_status_seq, 0) THEN d.case_status_to ELSE i.case_status_to END,
    case_status_seq = greatest(i.case_status_seq, d.case_status_seq),
    assignee = CASE WHEN d.assignee_seq > coalesce(i.assignee_seq, 0) THEN d.assignee ELSE i.assignee END,
    assignee_seq = greatest(i.assignee_seq, d.assignee_seq),
    tags = CASE WHEN cardinality(d.tags_added) = 0 AND cardinality(d.tags_removed) = 0 THEN i.tags
                ELSE ARRAY(SELECT t FROM (SELECT unnest(i.tags) EXCEPT SELECT unnest(d.tags_removed)
                                          UNION SELECT unnest(d.tags_added)) AS x(t) ORDER BY 1) END
    FROM delta d
   WHERE i.incident_id = d.incident_id
  RETURNING i.incident_id
),
projection_inserted AS (
  INSERT INTO incidents (incident_id, opened_at, last_event_at, last_seq, record_count, last_opened_seq,
                         last_closed_seq, closed_time, alert_count, severity_rank, title, title_seq, sources, zones,
                         has_unhandled, has_playbook_started, case_status_to, case_status_seq, assignee,
                         assignee_seq, tags)
  SELECT d.incident_id, d.opened_at, d.last_event_at, d.last_seq, d.record_count, d.last_opened_seq,
         d.last_closed_seq, d.closed_time, d.alert_count, d.severity_rank, d.title, d.title_seq,
         ARRAY(SELECT DISTINCT x FROM unnest(d.sources) x ORDER BY 1),
         ARRAY(SELECT DISTINCT x FROM unnest(d.zones) x ORDER BY 1),
         d.has_unhandled, d.has_playbook_started, d.case_status_to, d.case_status_seq, d.assignee, d.assignee_seq,
         ARRAY(SELECT DISTINCT x FROM unnest(d.tags_added) x ORDER BY 1)
    FROM delta d
   WHERE NOT EXISTS (SELECT 1 FROM projection_updated u WHERE u.incident_id = d.incident_id)
)`;
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
