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
  limit: number;
  offset: number;
}

// Severity rank from the alert model's own order (OCSF 0–6), so "highest" is well defined.
const SEVERITY_RANK_SQL = `array_position(ARRAY[${SEVERITIES.map((s) => `'${s}'`).join(',')}]::text[], e.record->'trigger'->>'severity')`;

const SUMMARY_SQL = `
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
   WHERE ($9::text IS NULL OR e.incident_id = $9)
   GROUP BY e.incident_id
), summary AS (
  SELECT incident_id, opened_at, last_event_at, alert_count, title, sources, zones, unhandled,
         coalesce(case_status, 'new') AS case_status, assignee,
         (ARRAY[${SEVERITIES.map((s) => `'${s}'`).join(',')}]::text[])[severity_rank] AS severity,
         CASE WHEN last_closed_seq IS NOT NULL AND last_closed_seq > coalesce(last_opened_seq, 0)
              THEN 'closed' ELSE 'open' END AS status,
         CASE WHEN last_closed_seq IS NOT NULL AND last_closed_seq > coalesce(last_opened_seq, 0)
              THEN closed_at END AS closed_at
    FROM per_incident
)
SELECT *, count(*) OVER () AS total
  FROM summary
 WHERE ($1::text IS NULL OR status = $1)
   AND ($2::text IS NULL OR severity = $2)
   AND ($3::text IS NULL OR $3 = ANY (zones))
   AND ($4::text IS NULL OR $4 = ANY (sources))
   AND ($5::timestamptz IS NULL OR opened_at >= $5)
   AND ($6::timestamptz IS NULL OR opened_at < $6)
   AND ($10::boolean IS NULL OR unhandled = $10)
   AND ($11::text IS NULL OR case_status = $11)
   AND ($12::text IS NULL OR assignee = $12)
 ORDER BY opened_at DESC, incident_id
 LIMIT $7 OFFSET $8`;

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
  alert_count: string;
  opened_at: Date;
  last_event_at: Date;
  closed_at: Date | null;
  total: string;
}

export class IncidentIndex {
  constructor(private readonly pool: Pool) {}

  async list(filter: IncidentFilter): Promise<{ incidents: IncidentSummary[]; total: number }> {
    const { rows } = await this.pool.query<SummaryRow>(SUMMARY_SQL, [
      filter.status ?? null,
      filter.severity ?? null,
      filter.zone ?? null,
      filter.source ?? null,
      filter.from ?? null,
      filter.to ?? null,
      filter.limit,
      filter.offset,
      filter.incidentId ?? null,
      filter.unhandled ?? null,
      filter.caseStatus ?? null,
      filter.assignee ?? null,
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
      })),
    };
  }
}
