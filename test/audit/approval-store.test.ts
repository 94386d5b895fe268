import type { Pool } from 'pg';
import { ApprovalStore, type ApprovalRequest } from '../../src/audit/approval-store';
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

  it('refuses to return a row the database holds in a malformed shape', async () => {
    await store.recordRequested(request('apr-1'));
    await pool.query(`UPDATE approvals SET decisions = '[{"operatorId": 42}]' WHERE id = 'apr-1'`);
    await expect(store.get('apr-1')).rejects.toThrow(/approval apr-1 .*malformed: decisions\.0\.operatorId/);
  });
});
