/**
 * The incident list, derived from the audit trail (incident.opened/closed, alert triggers,
 * policy targets), so listing needs no workflow query and shows closed incidents too.
 */
import type { Pool } from 'pg';
import { SEVERITIES } from '../alerts/alert';

export interface IncidentSummary {
  incidentId: string;
  status: 'open' | 'closed';
  /** Highest severity among the incident's alerts. */
  severity: string | null;
  title: string | null;
  sources: string[];
  zones: string[];
  /** An OT alert matched no playbook and no playbook has run for the incident (incident.unhandled). */
  unhandled: boolean;
  alertCount: number;
  openedAt: string;
  lastEventAt: string;
  closedAt: string | null;
  /** The case status people set (case.updated), `new` until one is set. */
  caseStatus: string;
  /** The operator the case is assigned to, if any. */
  assignee: string | null;
  /** Approval requests of the incident waiting for a decision now (pending, not expired). */
  pendingApprovals: number;
}

export interface IncidentFilter {
  status?: 'open' | 'closed';
  severity?: string;
  zone?: string;
  source?: string;
  /** openedAt >= from */
  from?: string;
  /** openedAt < to */
  to?: string;
  incidentId?: string;
  unhandled?: boolean;
  caseStatus?: string;
  assignee?: string;
  /** true: only incidents with an approval request waiting now; false: the others. */
  waitingForApproval?: boolean;
  limit: number;
  offset: number;
}

/** How many incidents of a zone match the other filters. */
export interface ZoneCount {
  zone: string;
  count: number;
}

// Severity rank from the alert model's own order (OCSF 0–6), so "highest" is well defined.
const SEVERITY_RANK_SQL = `array_position(ARRAY[${SEVERITIES.map((s) => `'${s}'`).join(',')}]::text[], e.record->'trigger'->>'severity')`;

/**
 * The incidents matching the filters (parameters $1–$11, see filterParams), as the CTE
 * `filtered`; the list and the zone counts select from it.
 */
const FILTERED_SQL = `
WITH per_incident AS (
  SELECT e.incident_id,
         min(e.time) AS opened_at,
         max(e.time) AS last_event_at,
         max(e.seq) FILTER (WHERE e.event_type = 'incident.opened') AS last_opened_seq,
         max(e.seq) FILTER (WHERE e.event_type = 'incident.closed') AS last_closed_seq,
         max(e.time) FILTER (WHERE e.event_type = 'incident.closed') AS closed_at,
         count(*) FILTER (WHERE e.event_type IN ('alert.received', 'alert.quarantined')) AS alert_count,
         max(${SEVERITY_RANK_SQL}) AS severity_rank,
         (array_agg(e.record->'trigger'->>'title' ORDER BY e.seq) FILTER (WHERE e.record ? 'trigger'))[1] AS title,
         coalesce(array_agg(DISTINCT e.record->'trigger'->>'source') FILTER (WHERE e.record ? 'trigger'), '{}') AS sources,
         coalesce(array_agg(DISTINCT coalesce(e.record->'target'->>'zone', uz.zone))
                    FILTER (WHERE e.record->'target' ? 'zone' OR uz.zone IS NOT NULL), '{}') AS zones,
         bool_or(e.event_type = 'incident.unhandled') AND NOT bool_or(e.event_type = 'playbook.started') AS unhandled,
         -- Case work: the last status and assignee a case.updated record set (it holds only what changed).
         (array_agg(e.record->'details'->'changes'->'status'->>'to' ORDER BY e.seq DESC)
            FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'status'))[1] AS case_status,
         (array_agg(e.record->'details'->'changes'->'assignee'->>'to' ORDER BY e.seq DESC)
            FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'assignee'))[1] AS assignee
    FROM audit_events e
    -- The zones an unhandled OT alert touches (it has no action target to place it).
    LEFT JOIN LATERAL jsonb_array_elements_text(
           CASE WHEN e.event_type = 'incident.unhandled' THEN e.record->'details'->'zones' END) AS uz(zone) ON true
   WHERE ($7::text IS NULL OR e.incident_id = $7)
   GROUP BY e.incident_id
), summary AS (
  SELECT incident_id, opened_at, last_event_at, alert_count, title, sources, zones, unhandled,
         coalesce(case_status, 'new') AS case_status, assignee,
         (SELECT count(*) FROM approvals a
           WHERE a.incident_id = per_incident.incident_id AND a.status = 'pending' AND a.expires_at > now())
           AS pending_approvals,
         (ARRAY[${SEVERITIES.map((s) => `'${s}'`).join(',')}]::text[])[severity_rank] AS severity,
         CASE WHEN last_closed_seq IS NOT NULL AND last_closed_seq > coalesce(last_opened_seq, 0)
              THEN 'closed' ELSE 'open' END AS status,
         CASE WHEN last_closed_seq IS NOT NULL AND last_closed_seq > coalesce(last_opened_seq, 0)
              THEN closed_at END AS closed_at
    FROM per_incident
), filtered AS (
  SELECT *
    FROM summary
 WHERE ($1::text IS NULL OR status = $1)
   AND ($2::text IS NULL OR severity = $2)
   AND ($3::text IS NULL OR $3 = ANY (zones))
   AND ($4::text IS NULL OR $4 = ANY (sources))
   AND ($5::timestamptz IS NULL OR opened_at >= $5)
   AND ($6::timestamptz IS NULL OR opened_at < $6)
   AND ($8::boolean IS NULL OR unhandled = $8)
   AND ($9::text IS NULL OR case_status = $9)
   AND ($10::text IS NULL OR assignee = $10)
   AND ($11::boolean IS NULL OR (pending_approvals > 0) = $11)
)`;

const LIST_SQL = `${FILTERED_SQL}
SELECT *, count(*) OVER () AS total
  FROM filtered
 ORDER BY opened_at DESC, incident_id
 LIMIT $12 OFFSET $13`;

/** Per zone, the matching incidents (an incident in two zones counts in both). */
const ZONE_COUNTS_SQL = `${FILTERED_SQL}
SELECT zone, count(*) AS count
  FROM filtered, unnest(zones) AS zone
 WHERE zone IS NOT NULL
 GROUP BY zone
 ORDER BY zone`;

interface SummaryRow {
  incident_id: string;
  status: 'open' | 'closed';
  severity: string | null;
  title: string | null;
  sources: string[];
  zones: string[];
  unhandled: boolean;
  case_status: string;
  assignee: string | null;
  pending_approvals: string;
  alert_count: string;
  opened_at: Date;
  last_event_at: Date;
  closed_at: Date | null;
  total: string;
}

function filterParams(filter: Omit<IncidentFilter, 'limit' | 'offset'>): unknown[] {
  return [
    filter.status ?? null,
    filter.severity ?? null,
    filter.zone ?? null,
    filter.source ?? null,
    filter.from ?? null,
    filter.to ?? null,
    filter.incidentId ?? null,
    filter.unhandled ?? null,
    filter.caseStatus ?? null,
    filter.assignee ?? null,
    filter.waitingForApproval ?? null,
  ];
}

export class IncidentIndex {
  constructor(private readonly pool: Pool) {}

  async list(filter: IncidentFilter): Promise<{ incidents: IncidentSummary[]; total: number }> {
    const { rows } = await this.pool.query<SummaryRow>(LIST_SQL, [
      ...filterParams(filter),
      filter.limit,
      filter.offset,
    ]);
    return {
      total: rows[0] ? Number(rows[0].total) : 0,
      incidents: rows.map((r) => ({
        incidentId: r.incident_id,
        status: r.status,
        severity: r.severity,
        title: r.title,
        sources: r.sources.filter((s) => s !== null).sort(),
        zones: r.zones.filter((z) => z !== null).sort(),
        unhandled: r.unhandled,
        alertCount: Number(r.alert_count),
        openedAt: r.opened_at.toISOString(),
        lastEventAt: r.last_event_at.toISOString(),
        closedAt: r.closed_at?.toISOString() ?? null,
        caseStatus: r.case_status,
        assignee: r.assignee,
        pendingApprovals: Number(r.pending_approvals),
      })),
    };
  }

  /**
   * Incidents per zone under every filter but `zone` (the counts are what a zone filter would
   * give), zones in name order.
   */
  async zoneCounts(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'zone'>): Promise<ZoneCount[]> {
    const { rows } = await this.pool.query<{ zone: string; count: string }>(
      ZONE_COUNTS_SQL,
      filterParams({ ...filter, zone: undefined }),
    );
    return rows.map((r) => ({ zone: r.zone, count: Number(r.count) }));
  }

  /** The newest audit record's seq (0 when there is none): where a change feed starts. */
  async lastSeq(): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM audit_events');
    return Number(rows[0]?.seq ?? 0);
  }

  /**
   * The incidents with audit records after `afterSeq` (at most `limit` records read), and the
   * last seq read: a change feed for the console's live updates, on the primary key's index.
   */
  async changedSince(afterSeq: number, limit = 1000): Promise<{ lastSeq: number; incidentIds: string[] }> {
    const { rows } = await this.pool.query<{ seq: string; incident_id: string }>(
      'SELECT seq, incident_id FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, limit],
    );
    const last = rows.at(-1);
    return {
      lastSeq: last === undefined ? afterSeq : Number(last.seq),
      incidentIds: [...new Set(rows.map((r) => r.incident_id))],
    };
  }
}
