import type { Pool } from 'pg';
import { ApprovalStore, type ApprovalRequest } from '../../src/approvals/approval-store';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

const HOUR = 3_600_000;

function request(id: string, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id,
    incidentId: 'inc-1',
    workflowId: 'incident-inc-1',
    playbookId: 'ot-modbus-write',
    stepId: 'block-conduit',
    action: { type: 'firewall.quarantine_ip', target: '10.20.0.7', params: { durationMinutes: 60 } },
    target: { ref: '10.20.0.7', known: true, zone: 'cell-1', purdueLevel: 2 },
    decision: { outcome: 'approve', rule: 'rule-4-ot-approve', reason: 'OT target' },
    requiredApprovals: 2,
    requiredRoles: ['ot-engineer'],
    requestedBy: 'interlock',
    actionDigest: 'a'.repeat(64),
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + HOUR).toISOString(),
    ...overrides,
  };
}

const vote = (operatorId: string) => ({
  operatorId,
  roles: ['ot-engineer'],
  decision: 'approve',
  at: '2026-03-01T10:05:00.000Z',
  channel: 'slack',
});

describe('ApprovalStore', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let store: ApprovalStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url);
    await runMigrations(pool);
    store = new ApprovalStore(pool);
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  it('records a pending approval and reads it back in camelCase', async () => {
    const input = request('apr-1');
    const row = await store.recordRequested(input);
    expect(row).toEqual({ ...input, status: 'pending', decisions: [], decidedAt: null });
    expect(await store.get('apr-1')).toEqual(row);
    expect(await store.get('apr-missing')).toBeUndefined();
  });

  it('ignores a retried request with the same id', async () => {
    const first = await store.recordRequested(request('apr-1'));
    const retried = await store.recordRequested(request('apr-1', { requiredApprovals: 5 }));
    expect(retried).toEqual(first);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM approvals');
    expect(rows[0]?.n).toBe('1');
  });

  it('refuses an invalid request with the field path', async () => {
    const bad: unknown = {
      ...request('apr-1'),
      requiredApprovals: 0,
      action: { type: 'plc.stop', target: 'x', params: {} },
    };
    await expect(store.recordRequested(bad as ApprovalRequest)).rejects.toThrow(
      /requiredApprovals.*action\.type|action\.type.*requiredApprovals/,
    );
    expect(await store.get('apr-1')).toBeUndefined();
  });

  it('lists pending approvals without the ones whose expiry has passed', async () => {
    await store.recordRequested(request('apr-live', { incidentId: 'inc-1' }));
    await store.recordRequested(request('apr-other', { incidentId: 'inc-2' }));
    await store.recordRequested(
      request('apr-lapsed', {
        createdAt: new Date(Date.now() - 2 * HOUR).toISOString(),
        expiresAt: new Date(Date.now() - HOUR).toISOString(),
      }),
    );
    await store.recordRequested(request('apr-done'));
    await store.markDecided('apr-done', 'rejected', [vote('alice')], new Date().toISOString());

    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    expect(ids(await store.list({ status: 'pending' }))).toEqual(['apr-live', 'apr-other']);
    expect(ids(await store.list({ status: 'pending', incidentId: 'inc-1' }))).toEqual(['apr-live']);
    expect(ids(await store.list({ status: 'expired' }))).toEqual(['apr-lapsed']);
    expect(ids(await store.list({ status: 'rejected' }))).toEqual(['apr-done']);
    expect(ids(await store.list({ incidentId: 'inc-1' }))).toEqual(['apr-done', 'apr-lapsed', 'apr-live']);
    expect(ids(await store.list())).toHaveLength(4);
    // A lapsed request reads as expired even before the workflow records it.
    expect((await store.get('apr-lapsed'))?.status).toBe('expired');
  });

  it('records the decision once; a retry or a later conflicting call changes nothing', async () => {
    await store.recordRequested(request('apr-1'));
    const decidedAt = '2026-03-01T10:06:00.000Z';
    const decided = await store.markDecided('apr-1', 'approved', [vote('alice'), vote('bob')], decidedAt);
    expect(decided).toMatchObject({ status: 'approved', decidedAt, decisions: [vote('alice'), vote('bob')] });

    expect(await store.markDecided('apr-1', 'approved', [vote('alice'), vote('bob')], decidedAt)).toEqual(decided);
    expect(await store.markDecided('apr-1', 'cancelled', [], '2026-03-01T11:00:00.000Z')).toEqual(decided);
    expect(await store.list({ status: 'pending' })).toEqual([]);
  });

  it('rejects markDecided for an unknown approval or a pending status', async () => {
    await expect(store.markDecided('apr-nope', 'approved', [], new Date().toISOString())).rejects.toThrow(/not found/);
    await store.recordRequested(request('apr-1'));
    await expect(store.markDecided('apr-1', 'pending' as never, [], new Date().toISOString())).rejects.toThrow(
      /status/,
    );
  });

  it('shows each vote as soon as it is recorded, once per operator, in time order, only while pending', async () => {
    await store.recordRequested(request('apr-1'));
    const omar = { ...vote('omar'), at: '2026-03-01T10:05:00.000Z', reason: 'checked with the plant' };
    const grace = { ...vote('grace'), at: '2026-03-01T10:04:00.000Z' };

    const afterOmar = await store.recordVote('apr-1', omar);
    expect(afterOmar).toMatchObject({ status: 'pending', decidedAt: null, decisions: [omar] });
    // The API and the workflow's activity both record the same vote: it is shown once.
    expect(await store.recordVote('apr-1', omar)).toEqual(afterOmar);
    // A second vote by the same operator (another time) is not added either.
    expect((await store.recordVote('apr-1', { ...omar, at: '2026-03-01T10:09:00.000Z' })).decisions).toEqual([omar]);

    // Concurrent writers of the same and another vote: each vote lands exactly once.
    await Promise.all([
      store.recordVote('apr-1', grace),
      store.recordVote('apr-1', grace),
      store.recordVote('apr-1', omar),
      store.recordVote('apr-1', grace),
    ]);
    expect((await store.get('apr-1'))?.decisions).toEqual([grace, omar]);
    expect(await store.list({ status: 'pending' })).toEqual([expect.objectContaining({ id: 'apr-1' })]);

    // Once closed, the workflow's final list stands; a late vote changes nothing.
    const decided = await store.markDecided('apr-1', 'approved', [omar, grace], '2026-03-01T10:06:00.000Z');
    expect(await store.recordVote('apr-1', vote('victor'))).toEqual(decided);
    expect(decided.decisions).toEqual([omar, grace]);

    await expect(store.recordVote('apr-missing', omar)).rejects.toThrow(/not found/);
    await expect(store.recordVote('apr-1', { ...omar, at: 'yesterday' })).rejects.toThrow(/at/);
  });

  it('pages through more approvals than a page holds, in list order, without gaps or repeats', async () => {
    const base = Date.now() - HOUR;
    // 7 approvals: three share one created_at (the id breaks the tie), one is another incident.
    const specs: [string, number, string][] = [
      ['apr-a', 0, 'inc-1'],
      ['apr-c', 1, 'inc-1'],
      ['apr-b', 1, 'inc-1'],
      ['apr-d', 1, 'inc-2'],
      ['apr-e', 2, 'inc-1'],
      ['apr-f', 3, 'inc-1'],
      ['apr-g', 4, 'inc-1'],
    ];
    for (const [id, offsetMs, incidentId] of specs) {
      await store.recordRequested(request(id, { incidentId, createdAt: new Date(base + offsetMs).toISOString() }));
    }
    const all = (await store.list()).map((r) => r.id);
    expect(all).toEqual(['apr-a', 'apr-b', 'apr-c', 'apr-d', 'apr-e', 'apr-f', 'apr-g']);

    const pages: string[][] = [];
    let page = await store.page({}, 3);
    pages.push(page.approvals.map((r) => r.id));
    while (page.next !== undefined) {
      page = await store.page({}, 3, page.next);
      pages.push(page.approvals.map((r) => r.id));
    }
    expect(pages).toEqual([['apr-a', 'apr-b', 'apr-c'], ['apr-d', 'apr-e', 'apr-f'], ['apr-g']]);

    // A page that ends exactly at the last row says there is no next page.
    const exact = await store.page({ incidentId: 'inc-1' }, 6);
    expect(exact.approvals.map((r) => r.id)).toEqual(['apr-a', 'apr-b', 'apr-c', 'apr-e', 'apr-f', 'apr-g']);
    expect(exact.next).toBeUndefined();

    // Filters apply across pages; the position keeps PostgreSQL's microseconds.
    const first = await store.page({ incidentId: 'inc-1' }, 2);
    expect(first.approvals.map((r) => r.id)).toEqual(['apr-a', 'apr-b']);
    expect(first.next).toEqual({ createdAt: expect.stringMatching(/\.\d{6}Z$/), id: 'apr-b' });
    const second = await store.page({ incidentId: 'inc-1' }, 2, first.next);
    expect(second.approvals.map((r) => r.id)).toEqual(['apr-c', 'apr-e']);

    // Rows added after the first page was read do not shift the pages that follow.
    await store.recordRequested(request('apr-0', { createdAt: new Date(base - 1).toISOString() }));
    const third = await store.page({ incidentId: 'inc-1' }, 2, second.next);
    expect(third.approvals.map((r) => r.id)).toEqual(['apr-f', 'apr-g']);
    expect(third.next).toBeUndefined();

    await expect(store.page({}, 0)).rejects.toThrow(/limit/);
    await expect(store.page({}, 2, { createdAt: 'not a time', id: 'apr-a' })).rejects.toThrow(/position/);
  });

  it('refuses to return a row the database holds in a malformed shape', async () => {
    await store.recordRequested(request('apr-1'));
    await pool.query(`UPDATE approvals SET decisions = '[{"operatorId": 42}]' WHERE id = 'apr-1'`);
    await expect(store.get('apr-1')).rejects.toThrow(/approval apr-1 .*malformed: decisions\.0\.operatorId/);
  });
});
