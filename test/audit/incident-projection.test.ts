import fc from 'fast-check';
import type { Pool } from 'pg';
import { AuditStore } from '../../src/audit/audit-store';
import {
  IncidentIndex,
  decodeCursor,
  filterWhere,
  loneFacet,
  type IncidentFilter,
} from '../../src/audit/incident-index';
import { rebuildIncidentProjection } from '../../src/audit/incident-projection';
import type { AuditEventInput } from '../../src/audit/types';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

let counter = 0;
function event(incidentId: string, eventType: AuditEventInput['eventType'], extra: Partial<AuditEventInput> = {}) {
  counter++;
  return {
    idempotencyKey: `evt-${counter}`,
    time: new Date(Date.UTC(2026, 2, 1, 10, 0, 0, counter * 7)).toISOString(),
    incidentId,
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType,
    ...extra,
  } satisfies AuditEventInput;
}

const alert = (incidentId: string, severity: string, source: string, title = `${severity} from ${source}`) =>
  event(incidentId, 'alert.received', {
    trigger: { source, alertUid: `u-${counter}`, title, severity, rawSha256: 'ab'.repeat(32) },
  });
const caseUpdate = (incidentId: string, changes: Record<string, unknown>) =>
  event(incidentId, 'case.updated', {
    actor: { type: 'operator', id: 'alice', channel: 'api' },
    details: { changes },
  });

/**
 * Every stored column of the projection, in a stable order, and the facet lists (migration 17),
 * which must hold exactly each incident's facets at its opening time.
 */
async function projection(pool: Pool): Promise<{ incidents: unknown[]; facetLists: unknown[] }> {
  const { rows } = await pool.query<Record<string, unknown>>('SELECT * FROM incidents ORDER BY incident_id');
  const lists = await pool.query<Record<string, unknown>>(
    'SELECT facet, opened_at, incident_id FROM incident_facets ORDER BY incident_id, facet',
  );
  const derived = await pool.query<Record<string, unknown>>(
    'SELECT f AS facet, opened_at, incident_id FROM incidents, unnest(facets) AS f ORDER BY incident_id, facet',
  );
  expect(lists.rows).toEqual(derived.rows);
  return { incidents: rows, facetLists: lists.rows };
}

describe('incidents projection', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let store: AuditStore;
  let index: IncidentIndex;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, { max: 10 });
    await runMigrations(pool);
    store = new AuditStore(pool);
    index = new IncidentIndex(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('is kept with each append and equals its rebuild from the audit trail after a varied scenario', async () => {
    const [a, b, c] = ['inc-scn-a', 'inc-scn-b', 'inc-scn-c'];
    await store.append(event(a, 'incident.opened'));
    // One batch spanning incidents, as a group commit writes it.
    await store.appendMany([
      alert(a, 'medium', 'splunk', 'first title'),
      alert(b, 'low', 'generic'),
      event(b, 'incident.opened'),
      alert(a, 'critical', 'generic'),
      event(a, 'policy.decided', { target: { ref: 'plc-1', zone: 'line1-cell', known: true } }),
    ]);
    const repeated = event(a, 'action.executed', { target: { ref: 'fw', zone: 'dmz', known: true } });
    await store.append(repeated);
    await store.append(repeated); // idempotent: stored and projected once
    await store.append(
      caseUpdate(a, { status: { from: 'new', to: 'triage' }, tags: { added: ['x', 'y'], removed: [] } }),
    );
    await store.appendMany([
      caseUpdate(a, { assignee: { from: null, to: 'grace' }, tags: { added: ['z'], removed: ['x'] } }),
      caseUpdate(a, { tags: { added: ['x'], removed: ['z'] } }),
    ]);
    await store.append(
      event(c, 'incident.unhandled', { details: { zones: ['safety-sis', 42], reason: 'no playbook' } }),
    );
    await store.append(alert(c, 'high', 'nozomi'));
    await store.append(event(b, 'incident.closed'));
    await store.append(event(a, 'incident.closed'));
    await store.append(event(a, 'incident.opened')); // reopened

    const [summaryA, summaryB, summaryC] = await Promise.all([index.get(a), index.get(b), index.get(c)]);
    expect(summaryA).toMatchObject({
      status: 'open',
      severity: 'critical',
      title: 'first title',
      sources: ['generic', 'splunk'],
      zones: ['dmz', 'line1-cell'],
      alertCount: 2,
      caseStatus: 'triage',
      assignee: 'grace',
      unhandled: false,
      closedAt: null,
    });
    expect(summaryB).toMatchObject({ status: 'closed', severity: 'low', caseStatus: 'new', assignee: null });
    expect(summaryB?.closedAt).not.toBeNull();
    expect(summaryC).toMatchObject({ unhandled: true, zones: ['safety-sis'], severity: 'high' });
    const tags = await pool.query<{ tags: string[] }>('SELECT tags FROM incidents WHERE incident_id = $1', [a]);
    expect(tags.rows[0]?.tags).toEqual(['x', 'y']);

    const ids = async (filter: Omit<Parameters<IncidentIndex['list']>[0], 'limit' | 'offset'>) =>
      (await index.list({ ...filter, limit: 50, offset: 0 })).incidents.map((i) => i.incidentId);
    expect(await ids({ status: 'closed' })).toEqual([b]);
    expect(await ids({ zone: 'dmz', source: 'generic', severity: 'critical', caseStatus: 'triage' })).toEqual([a]);
    expect(await ids({ assignee: 'grace', status: 'open' })).toEqual([a]);
    expect(await ids({ unhandled: true })).toEqual([c]);
    expect((await ids({ unhandled: false })).sort()).toEqual([a, b]);
    expect(await ids({ zone: 'safety-sis', status: 'closed' })).toEqual([]);

    await store.append(event(c, 'playbook.started', { playbookId: 'late' }));
    expect((await index.get(c))?.unhandled).toBe(false);

    const incremental = await projection(pool);
    expect(incremental.facetLists.length).toBeGreaterThan(15);
    expect(await rebuildIncidentProjection(pool)).toBe(3);
    expect(await projection(pool)).toEqual(incremental);
  });

  it('moves an incident in its facet lists when a record older than its opening arrives, and follows deletes and truncation', async () => {
    const id = 'inc-facets-late';
    await store.append(alert(id, 'high', 'late-source'));
    const listed = async (filter: Omit<IncidentFilter, 'limit' | 'offset'>) =>
      (await index.list({ ...filter, limit: 10, offset: 0 })).incidents.map((i) => [i.incidentId, i.openedAt]);
    const late = event(id, 'policy.decided', {
      time: '2020-01-01T00:00:00.000Z',
      target: { ref: 'plc-9', zone: 'late-zone', known: true },
    });
    await store.append(late);
    // Every facet of the incident, old (source) and new (zone), now listed at the earlier opening.
    expect(await listed({ source: 'late-source' })).toEqual([[id, '2020-01-01T00:00:00.000Z']]);
    expect(await listed({ zone: 'late-zone' })).toEqual([[id, '2020-01-01T00:00:00.000Z']]);
    expect(await listed({ zone: 'late-zone', to: '2020-01-02T00:00:00Z' })).toEqual([[id, '2020-01-01T00:00:00.000Z']]);
    expect(await listed({ zone: 'late-zone', from: '2020-01-02T00:00:00Z' })).toEqual([]);
    await projection(pool);

    // Deleting incidents (pruning does) and truncating them (by hand) empty their lists too.
    const owner = await pool.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('DELETE FROM incidents WHERE incident_id = $1', [id]);
      expect((await owner.query('SELECT 1 FROM incident_facets WHERE incident_id = $1', [id])).rowCount).toBe(0);
      await owner.query('TRUNCATE incidents');
      expect((await owner.query('SELECT 1 FROM incident_facets')).rowCount).toBe(0);
    } finally {
      await owner.query('ROLLBACK');
      owner.release();
    }
    await projection(pool);
  });

  it('equals its rebuild for random trails written in random batches', async () => {
    const incidents = ['p1', 'p2', 'p3'];
    const eventArb = fc.oneof(
      fc.record({
        kind: fc.constant('alert' as const),
        severity: fc.constantFrom('low', 'high', 'critical', 'bogus'),
        source: fc.constantFrom('splunk', 'generic', 'nozomi'),
      }),
      fc.record({
        kind: fc.constantFrom('incident.opened' as const, 'incident.closed' as const, 'playbook.started' as const),
      }),
      fc.record({ kind: fc.constant('zone' as const), zone: fc.constantFrom('dmz', 'line1', 'safety') }),
      fc.record({
        kind: fc.constant('unhandled' as const),
        zones: fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
      }),
      fc.record({
        kind: fc.constant('case' as const),
        status: fc.option(fc.constantFrom('triage', 'contained', 'closed')),
        assignee: fc.option(fc.option(fc.constantFrom('grace', 'alice'))),
        added: fc.array(fc.constantFrom('t1', 't2', 't3'), { maxLength: 2 }),
        removed: fc.array(fc.constantFrom('t1', 't2', 't3'), { maxLength: 2 }),
      }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...incidents), eventArb), { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
        async (steps, batchSizes) => {
          run++;
          const events = steps.map(([incident, step]) => {
            const id = `inc-prop-${run}-${incident}`;
            switch (step.kind) {
              case 'alert':
                return alert(id, step.severity, step.source);
              case 'zone':
                return event(id, 'policy.decided', { target: { ref: 'x', zone: step.zone, known: true } });
              case 'unhandled':
                return event(id, 'incident.unhandled', { details: { zones: step.zones } });
              case 'case':
                return caseUpdate(id, {
                  ...(step.status !== null && { status: { from: 'new', to: step.status } }),
                  ...(step.assignee !== null && { assignee: { from: null, to: step.assignee } }),
                  tags: { added: step.added, removed: step.removed },
                });
              default:
                return event(id, step.kind);
            }
          });
          for (let i = 0, b = 0; i < events.length; b++) {
            const size = batchSizes[b % batchSizes.length] ?? 1;
            await store.appendMany(events.slice(i, i + size));
            i += size;
          }
          const incremental = await projection(pool);
          await rebuildIncidentProjection(pool);
          expect(await projection(pool)).toEqual(incremental);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it('stays equal to its rebuild with writers in several processes sharing incidents, racing keys and a rebuild', async () => {
    // Each store on its own pool, as each worker process has: their appends lock the same
    // incidents' rows (listed in opposite orders) before the chain lock, and send the same keys.
    const pools = Array.from({ length: 4 }, () => createPool(db.url, { max: 3 }));
    const stores = pools.map((p) => new AuditStore(p));
    const shared = ['inc-mp-a', 'inc-mp-b', 'inc-mp-c', 'inc-mp-d'];
    const own = (round: number) =>
      shared.map((id, i) =>
        i % 2 === 0
          ? alert(id, ['low', 'high', 'critical'][round % 3] ?? 'low', `src-${round % 4}`)
          : caseUpdate(id, {
              status: { from: 'new', to: `s-${round}` },
              tags: { added: [`t${round % 3}`], removed: [`t${(round + 1) % 3}`] },
            }),
      );
    // Writers 0 and 1 write their own records, listing the incidents forwards and backwards;
    // writers 2 and 3 send the same keys as 0 and 1 at the same time (retries racing originals).
    const rounds = Array.from({ length: 12 }, (_, round) => [own(round), own(round).reverse()]);
    try {
      await Promise.all(
        stores.map(async (writer, w) => {
          for (const [round, batches] of rounds.entries()) {
            await writer.appendMany(batches[w % 2] ?? []);
            if (w === 0 && round === 6) await rebuildIncidentProjection(pool);
          }
        }),
      );
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const total = rounds.length * 2 * shared.length;
    expect(await store.verify()).toMatchObject({ ok: true });
    const { rows } = await pool.query<{ incident_id: string; record_count: string; n: string }>(
      `SELECT i.incident_id, i.record_count, (SELECT count(*) FROM audit_events e WHERE e.incident_id = i.incident_id) AS n
         FROM incidents i WHERE i.incident_id LIKE 'inc-mp-%' ORDER BY 1`,
    );
    expect(rows.map((r) => [r.incident_id, Number(r.record_count), Number(r.n)])).toEqual(
      shared.map((id) => [id, total / shared.length, total / shared.length]),
    );
    const incremental = await projection(pool);
    await rebuildIncidentProjection(pool);
    expect(await projection(pool)).toEqual(incremental);
  }, 60_000);

  it('selects the same incidents with each filter as a column test (walking the order index), as facets (GIN) and, for a lone equality, as its facet list', async () => {
    // The incidents the tests above left: varied statuses, severities, sources, zones, case
    // statuses, assignees, unhandled or not.
    type Equality = Omit<IncidentFilter, 'limit' | 'offset' | 'cursor'>;
    const values = async (sql: string) => (await pool.query<{ v: string }>(sql)).rows.map((r) => r.v);
    const singles: Equality[] = [
      { status: 'open' },
      { status: 'closed' },
      ...(await values('SELECT DISTINCT severity AS v FROM incidents WHERE severity IS NOT NULL')).map((severity) => ({
        severity,
      })),
      { severity: 'none-such' },
      ...(await values('SELECT DISTINCT unnest(zones) AS v FROM incidents')).map((zone) => ({ zone })),
      ...(await values('SELECT DISTINCT unnest(sources) AS v FROM incidents')).map((source) => ({ source })),
      { unhandled: true },
      { unhandled: false },
      ...(await values('SELECT DISTINCT case_status AS v FROM incidents')).map((caseStatus) => ({ caseStatus })),
      ...(await values('SELECT DISTINCT assignee AS v FROM incidents WHERE assignee IS NOT NULL')).map((assignee) => ({
        assignee,
      })),
    ];
    const filters: Equality[] = [...singles];
    for (const [i, a] of singles.entries()) for (const b of singles.slice(i + 1)) filters.push({ ...a, ...b });
    filters.push({ status: 'open', waitingForApproval: false, from: '2026-01-01T00:00:00Z' });
    const ids = async (form: 'walk' | 'gin' | 'facet', filter: Equality) => {
      const { where, params } = filterWhere(filter, form);
      const table = form === 'facet' ? 'incident_facets' : 'incidents';
      return (
        await pool.query<{ id: string }>(`SELECT incident_id AS id FROM ${table} ${where} ORDER BY 1`, params)
      ).rows.map((r) => r.id);
    };
    const total = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM incidents')).rows[0]?.n);
    let partial = 0;
    for (const filter of filters) {
      const walk = await ids('walk', filter);
      expect({ filter, ids: walk }).toEqual({ filter, ids: await ids('gin', filter) });
      if (walk.length > 0 && walk.length < total) partial++;
    }
    // A lone equality, with or without a time range, is also its facet's list (migration 17).
    for (const single of singles)
      for (const filter of [single, { ...single, from: '2026-03-01T10:00:00.100Z' }]) {
        expect(loneFacet(filter)).toBeDefined();
        expect({ filter, ids: await ids('facet', filter) }).toEqual({ filter, ids: await ids('walk', filter) });
      }
    expect(loneFacet({ status: 'open', zone: 'dmz' })).toBeUndefined();
    expect(loneFacet({ zone: 'dmz', waitingForApproval: true })).toBeUndefined();
    expect(loneFacet({ from: '2026-01-01T00:00:00Z' })).toBeUndefined();
    // Not vacuous: most filters select some incidents and leave others.
    expect(singles.length).toBeGreaterThan(15);
    expect(partial).toBeGreaterThan(filters.length / 3);
  });

  it('pages by cursor through the same incidents, in the same order, as by offset', async () => {
    for (let i = 0; i < 7; i++) await store.append(alert(`inc-page-${i}`, 'fatal', 'paging'));
    const byOffset = (await index.list({ source: 'paging', limit: 100, offset: 0 })).incidents.map((i) => i.incidentId);
    expect(byOffset).toHaveLength(7);
    const byCursor: string[] = [];
    let page = await index.list({ source: 'paging', limit: 3, offset: 0 });
    for (;;) {
      expect(page.total).toBe(7);
      byCursor.push(...page.incidents.map((i) => i.incidentId));
      if (page.nextCursor === undefined) break;
      const cursor = decodeCursor(page.nextCursor);
      expect(cursor).toBeDefined();
      page = await index.list({ source: 'paging', limit: 3, offset: 0, ...(cursor && { cursor }) });
    }
    expect(byCursor).toEqual(byOffset);
  });
});
