/**
 * The incident list, read from the incidents projection (incident-projection.ts: one row per
 * incident, kept with the audit trail in the same transaction: incident.opened/closed, alert
 * triggers, policy targets, case work), so listing needs no workflow query and shows closed
 * incidents too. Pages by offset, or by a keyset cursor that stays O(page) however deep.
 */
import type { Pool, QueryResultRow } from 'pg';
import { z } from 'zod';

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
  /** Keyset paging: the page after the incident this cursor names (from a previous `nextCursor`). */
  cursor?: IncidentCursor;
}

/** Where a keyset page starts: after this incident in the list's order (opened_at desc, incident_id). */
export interface IncidentCursor {
  /** opened_at in microseconds since the epoch (PostgreSQL's precision). */
  openedUs: string;
  incidentId: string;
}

const cursorSchema = z.tuple([z.string().regex(/^-?[0-9]{1,19}$/), z.string().min(1).max(200)]);

/** The opaque `cursor` parameter: base64url of JSON `[openedUs, incidentId]`. */
export function encodeCursor(cursor: IncidentCursor): string {
  return Buffer.from(JSON.stringify([cursor.openedUs, cursor.incidentId])).toString('base64url');
}

/** undefined when the text is not a cursor this API handed out. */
export function decodeCursor(text: string): IncidentCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? { openedUs: parsed.data[0], incidentId: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** Approval requests waiting for a decision now, from the approvals table (its own truth, not the trail). */
const PENDING_APPROVALS_SQL = `SELECT 1 FROM approvals a
  WHERE a.incident_id = incidents.incident_id AND a.status = 'pending' AND a.expires_at > now()`;

const COLUMNS = `incident_id, status, severity, title, sources, zones, unhandled, case_status, assignee, alert_count,
  opened_at, last_event_at, closed_at, (extract(epoch FROM opened_at) * 1000000)::bigint AS opened_us,
  (SELECT count(*) FROM (${PENDING_APPROVALS_SQL}) AS pending) AS pending_approvals`;

/** How many incidents of a zone match the other filters. */
export interface ZoneCount {
  zone: string;
  count: number;
}

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
  opened_us: string;
  pending_approvals: string;
}

/** Query parameters, bound in order: `$1`, `$2`, … */
class Params {
  readonly values: unknown[] = [];
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A filter as SQL: its WHERE clause (only the conditions given, so each query is planned for its own filter). */
interface FilterSql {
  where: string;
  /** The equality filters alone, as one boolean expression (undefined: there are none). */
  test?: string;
  /** The opening-time bounds, when given. */
  range: string[];
}

/**
 * A filter's conditions in one of three forms, which select the same incidents:
 *
 * - `walk`: each equality filter a test of its own column — `status = …`, `severity = …`,
 *   `case_status = …`, `unhandled`, `assignee = …`, `… = ANY(zones)`, `… = ANY(sources)` — all
 *   carried by the list's order index (migration 16), so walking it in list order past the
 *   incidents a filter or an offset skips is an index-only scan of small entries with cheap
 *   tests.
 * - `gin`: the equality filters as one `facets @> …` test, which the facets' GIN index answers
 *   by intersecting its posting lists — for a filter matching few incidents, which a walk would
 *   have to read the whole index to find.
 * - `facet`: for a filter of one equality (loneFacet), on `incident_facets` instead of
 *   `incidents` (migration 17): `facet = …`, the slice of that facet's list, in list order.
 */
function filterSql(
  filter: Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>,
  form: 'walk' | 'gin' | 'facet',
  params: Params,
): FilterSql {
  const conditions: string[] = [];
  if (filter.incidentId !== undefined) conditions.push(`incident_id = ${params.bind(filter.incidentId)}`);
  const tests: string[] = [];
  if (form === 'facet') {
    const facet = loneFacet(filter);
    if (facet === undefined) throw new Error('the facet form is for a filter of one equality');
    tests.push(`facet = ${params.bind(facet)}::text`);
  } else if (form === 'walk') {
    if (filter.status !== undefined) tests.push(`status = ${params.bind(filter.status)}::text`);
    if (filter.severity !== undefined) tests.push(`severity = ${params.bind(filter.severity)}::text`);
    if (filter.zone !== undefined) tests.push(`${params.bind(filter.zone)}::text = ANY(zones)`);
    if (filter.source !== undefined) tests.push(`${params.bind(filter.source)}::text = ANY(sources)`);
    if (filter.unhandled !== undefined) tests.push(filter.unhandled ? 'unhandled' : 'NOT unhandled');
    if (filter.caseStatus !== undefined) tests.push(`case_status = ${params.bind(filter.caseStatus)}::text`);
    if (filter.assignee !== undefined) tests.push(`assignee = ${params.bind(filter.assignee)}::text`);
  } else {
    const facets = equalityFacets(filter);
    if (facets.length > 0) tests.push(`facets @> ${params.bind(facets)}::text[]`);
  }
  conditions.push(...tests);
  const range: string[] = [];
  if (filter.from !== undefined) range.push(`opened_at >= ${params.bind(filter.from)}::timestamptz`);
  if (filter.to !== undefined) range.push(`opened_at < ${params.bind(filter.to)}::timestamptz`);
  conditions.push(...range);
  if (filter.waitingForApproval !== undefined)
    conditions.push(`${filter.waitingForApproval ? '' : 'NOT '}EXISTS (${PENDING_APPROVALS_SQL})`);
  return {
    where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`,
    ...(tests.length > 0 && { test: tests.join(' AND ') }),
    range,
  };
}

/** A filter's WHERE clause in one form, with its parameters (tests compare the two forms). */
export function filterWhere(
  filter: Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>,
  form: 'walk' | 'gin' | 'facet',
): { where: string; params: unknown[] } {
  const params = new Params();
  return { where: filterSql(filter, form, params).where, params: params.values };
}

/** The equality filters as facets (the `incidents_facets()` trigger's names, migration 11). */
function equalityFacets(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>): string[] {
  const facets: string[] = [];
  if (filter.status !== undefined) facets.push(`status:${filter.status}`);
  if (filter.severity !== undefined) facets.push(`severity:${filter.severity}`);
  if (filter.zone !== undefined) facets.push(`zone:${filter.zone}`);
  if (filter.source !== undefined) facets.push(`source:${filter.source}`);
  if (filter.unhandled !== undefined) facets.push(filter.unhandled ? 'unhandled' : 'handled');
  if (filter.caseStatus !== undefined) facets.push(`case:${filter.caseStatus}`);
  if (filter.assignee !== undefined) facets.push(`assignee:${filter.assignee}`);
  return facets;
}

/**
 * The facet of a filter that is one equality and nothing else but a time range (`zone=…`,
 * `source=…`, `status=…`, …): its own list in `incident_facets` answers it, count and any page,
 * with entries that all match. undefined for any other filter.
 */
export function loneFacet(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>): string | undefined {
  if (filter.incidentId !== undefined || filter.waitingForApproval !== undefined) return undefined;
  const facets = equalityFacets(filter);
  return facets.length === 1 ? facets[0] : undefined;
}

/**
 * Whether the GIN form is worth weighing (for a filter that is not a lone equality): some
 * equality filter other than a lone `status`, which holds too many incidents for the GIN read
 * to beat a walk of the order index.
 */
function ginCandidate(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>): boolean {
  const facets = equalityFacets(filter);
  return facets.length > 1 || (facets.length === 1 && filter.status === undefined);
}

function toSummary(r: SummaryRow): IncidentSummary {
  return {
    incidentId: r.incident_id,
    status: r.status,
    severity: r.severity,
    title: r.title,
    sources: [...r.sources].sort(),
    zones: [...r.zones].sort(),
    unhandled: r.unhandled,
    alertCount: Number(r.alert_count),
    openedAt: r.opened_at.toISOString(),
    lastEventAt: r.last_event_at.toISOString(),
    closedAt: r.closed_at?.toISOString() ?? null,
    caseStatus: r.case_status,
    assignee: r.assignee,
    pendingApprovals: Number(r.pending_approvals),
  };
}

/** `total` is exact up to this many matching incidents. */
export const TOTAL_CAP = 10_000;
/** The newest incidents that tell a dense filter from a sparse one (isDense). */
const DENSITY_SAMPLE = 1_000;
/** Matches among DENSITY_SAMPLE from which a filter is dense: one in ten. */
const DENSE_MATCHES = 100;

/** How a list query reads its matches (filterSql). */
type ListForm = 'walk' | 'gin' | 'facet';

/**
 * How many incidents match, up to TOTAL_CAP + 1, in one form (list() says which).
 *
 * - `facet` (a lone equality): the first TOTAL_CAP + 1 entries of its list, every one a match.
 * - `walk`: along the order index in list order, testing the columns it carries, until
 *   TOTAL_CAP + 1 match (at one match in ten, at most ~100,000 small entries, no row).
 * - `gin`: through the GIN index, stopping as soon as TOTAL_CAP + 1 rows are seen — for a
 *   filter whose matches are sparse among the newest incidents (isDense), which the walk would
 *   read most of the index to count.
 *
 * Measured at 100,000 incidents (docs/benchmarks.md, "History at scale"): for a filter matching
 * one incident in six, the walk reads ~60,000 index entries in 9–14 ms (~800 pages), where the
 * GIN read visits the heap page of each of its 10,001 matches (5,500–9,000 pages, 13–16 ms when
 * cached and several times that when not).
 */
function countSql(form: ListForm, sql: FilterSql): string {
  const limit = TOTAL_CAP + 1;
  if (form === 'facet')
    return `SELECT count(*) AS total FROM (SELECT 1 FROM incident_facets ${sql.where} LIMIT ${limit}) AS matching`;
  if (sql.where === '') return `SELECT count(*) AS total FROM (SELECT 1 FROM incidents LIMIT ${limit}) AS matching`;
  if (form === 'gin')
    return `SELECT count(*) AS total FROM (SELECT 1 FROM incidents ${sql.where} LIMIT ${limit}) AS matching`;
  return `SELECT count(*) AS total FROM (SELECT 1 FROM incidents ${sql.where}
            ORDER BY opened_at DESC, incident_id LIMIT ${limit}) AS matching`;
}

/**
 * A walk that tests equality columns: the planner's estimate of its matches decides whether it
 * walks the order index, so IncidentIndex.read() takes that choice from it. A walk without
 * tests (no filter, a time range, `waitingForApproval`) is planned well as it is.
 */
function walksWithTests(form: ListForm, sql: FilterSql): boolean {
  return form === 'walk' && sql.test !== undefined;
}

export interface IncidentPage {
  incidents: IncidentSummary[];
  total: number;
  /** More than TOTAL_CAP incidents match: `total` is TOTAL_CAP. */
  totalCapped?: true;
  nextCursor?: string;
}

export class IncidentIndex {
  constructor(private readonly pool: Pool) {}

  /** One incident's summary (primary-key read), undefined when it has no records. */
  async get(incidentId: string): Promise<IncidentSummary | undefined> {
    const { rows } = await this.pool.query<SummaryRow>(`SELECT ${COLUMNS} FROM incidents WHERE incident_id = $1`, [
      incidentId,
    ]);
    return rows[0] && toSummary(rows[0]);
  }

  /**
   * A page, newest opened first, and the total matching the filter, exactly up to TOTAL_CAP
   * (`totalCapped` beyond: a count is O(matches), and a page must not be). `nextCursor` names
   * the page after this one.
   *
   * The count and the page run at once, on two connections, in one form. A lone equality
   * (loneFacet) is read from its facet list. A filter that may be sparse (ginCandidate) and
   * that few of the newest incidents match (isDense) is read through its GIN index; the page
   * sorts its matches, with the order expression masked so the planner cannot walk (unless the
   * count finds more than TOTAL_CAP matches before the page is read). Any other filter walks the
   * order index, stopping after the page or at worst reading the index once, as its count may.
   */
  async list(filter: IncidentFilter): Promise<IncidentPage> {
    const form: ListForm =
      loneFacet(filter) !== undefined
        ? 'facet'
        : ginCandidate(filter) && !(await this.isDense(filter))
          ? 'gin'
          : 'walk';
    const counting = this.count(filter, form);
    let paged = false;
    const paging = this.page(filter, form).finally(() => (paged = true));
    // A GIN page reads and sorts every match. Few of the newest incidents match this filter, but
    // more than TOTAL_CAP older ones may (closed incidents, say, when the newest are open). Then
    // a walk of the order index, stopping after the page, is started too (unless the GIN page is
    // read already), and the first page read answers.
    const [counted, pageRows] = await Promise.all([
      counting,
      form === 'gin'
        ? Promise.race([paging, counting.then((n) => (n > TOTAL_CAP && !paged ? this.page(filter, 'walk') : paging))])
        : paging,
    ]);
    const rows = pageRows.slice(0, filter.limit);
    const last = rows[rows.length - 1];
    return {
      total: Math.min(counted, TOTAL_CAP),
      ...(counted > TOTAL_CAP && { totalCapped: true }),
      incidents: rows.map(toSummary),
      ...(pageRows.length > filter.limit &&
        last !== undefined && { nextCursor: encodeCursor({ openedUs: last.opened_us, incidentId: last.incident_id }) }),
    };
  }

  /** How many incidents match, up to TOTAL_CAP + 1 (countSql). */
  private async count(filter: IncidentFilter, form: ListForm): Promise<number> {
    const params = new Params();
    const sql = filterSql(filter, form, params);
    const rows = await this.read<{ total: string }>(walksWithTests(form, sql), countSql(form, sql), params.values);
    return Number(rows[0]?.total ?? 0);
  }

  /**
   * Runs a list query; with `walk` (walksWithTests), in a transaction of its own with
   * sequential scans and parallel workers off. Such a query is meant to walk the order index in
   * list order, testing its columns, and stop. When fewer matches than the count's limit are
   * expected, the planner reckons the walk must read the whole index. It then prefers to scan
   * the table and sort: 59 ms against 13–17 ms for the whole walk (`status=open&caseStatus=new`,
   * 10,000 of 100,000 incidents, docs/benchmarks.md). Or it splits the walk among workers and
   * merges their rows, 37–50 ms.
   */
  private async read<T extends QueryResultRow>(walk: boolean, sql: string, values: unknown[]): Promise<T[]> {
    if (!walk) return (await this.pool.query<T>(sql, values)).rows;
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(
        'BEGIN READ ONLY; SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0',
      );
      const { rows } = await client.query<T>(sql, values);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Whether at least DENSE_MATCHES of the newest DENSITY_SAMPLE incidents (in the time range)
   * match the filter's equalities, read from the order index alone: dense enough to walk.
   */
  private async isDense(filter: IncidentFilter): Promise<boolean> {
    const params = new Params();
    const walk = filterSql(filter, 'walk', params);
    if (walk.test === undefined) return true;
    const range = walk.range.length === 0 ? '' : `WHERE ${walk.range.join(' AND ')}`;
    const { rows } = await this.pool.query<{ dense: boolean }>(
      `SELECT count(*) FILTER (WHERE sampled.matches) >= ${DENSE_MATCHES} AS dense
         FROM (SELECT (${walk.test}) AS matches FROM incidents ${range}
                ORDER BY opened_at DESC, incident_id LIMIT ${DENSITY_SAMPLE}) AS sampled`,
      params.values,
    );
    return rows[0]?.dense === true;
  }

  /**
   * One more row than the page (whether there is a next one), in the given form. The page's keys
   * first, then its columns: rows skipped by `offset` (or walked past by the filter) are read
   * from an index alone — a lone equality's facet list (migration 17), or the order index, which
   * carries every filter's column (migration 16) — and the pending-approvals count runs for the
   * page's rows only.
   */
  private async page(filter: IncidentFilter, form: ListForm): Promise<SummaryRow[]> {
    const params = new Params();
    const sql = filterSql(filter, form, params);
    let { where } = sql;
    if (filter.cursor !== undefined) {
      const at = `(timestamptz 'epoch' + ${params.bind(filter.cursor.openedUs)}::bigint * interval '1 microsecond')`;
      const after = `opened_at <= ${at} AND (opened_at < ${at} OR incident_id > ${params.bind(filter.cursor.incidentId)})`;
      where = where === '' ? `WHERE ${after}` : `${where} AND ${after}`;
    }
    const order = form === 'gin' ? "opened_at + interval '0' DESC, incident_id || ''" : 'opened_at DESC, incident_id';
    return this.read<SummaryRow>(
      walksWithTests(form, sql),
      `SELECT ${COLUMNS} FROM incidents
         JOIN (SELECT incident_id AS page_id FROM ${form === 'facet' ? 'incident_facets' : 'incidents'} ${where}
                ORDER BY ${order}
                LIMIT ${params.bind(filter.limit + 1)} OFFSET ${params.bind(filter.offset)}) AS page
           ON incidents.incident_id = page.page_id
        ORDER BY opened_at DESC, incident_id`,
      params.values,
    );
  }

  /**
   * Incidents per zone under every filter but `zone` (the counts are what a zone filter would
   * give), zones in name order.
   */
  async zoneCounts(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'zone' | 'cursor'>): Promise<ZoneCount[]> {
    // Every match is read (at 100,000 incidents the planner scans the table), so the walk
    // form: a column test costs each row less than `facets @> …`.
    const params = new Params();
    const { where } = filterSql({ ...filter, zone: undefined }, 'walk', params);
    const { rows } = await this.pool.query<{ zone: string; count: string }>(
      `SELECT zone, count(*) AS count FROM incidents, unnest(zones) AS zone ${where} GROUP BY zone ORDER BY zone`,
      params.values,
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
