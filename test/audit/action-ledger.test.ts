import type { Pool } from 'pg';
import { ActionLedger } from '../../src/audit/action-ledger';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

describe('ActionLedger', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ledger: ActionLedger;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url);
    await runMigrations(pool);
    ledger = new ActionLedger(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('finds nothing for an unknown key', async () => {
    expect(await ledger.find('never-recorded')).toBeUndefined();
  });

  it('returns the recorded result, and the first record wins', async () => {
    await ledger.record('wf-1/step-2/contain', 'edr.contain_host', { deviceId: 'abc', state: 'contained' });
    await ledger.record('wf-1/step-2/contain', 'edr.contain_host', { deviceId: 'abc', state: 'changed' });
    expect(await ledger.find('wf-1/step-2/contain')).toEqual({ result: { deviceId: 'abc', state: 'contained' } });
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM action_ledger WHERE idempotency_key = 'wf-1/step-2/contain'`,
    );
    expect(rows[0]?.n).toBe('1');
  });

  it('stores arrays as JSON and undefined as null', async () => {
    await ledger.record('k-array', 'firewall.quarantine_ip', [1, 'two']);
    await ledger.record('k-undefined', 'firewall.release_ip', undefined);
    expect(await ledger.find('k-array')).toEqual({ result: [1, 'two'] });
    expect(await ledger.find('k-undefined')).toEqual({ result: null });
  });

  it('keeps one entry when the same key is recorded concurrently', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.record('k-race', 'edr.contain_host', { attempt: i })),
    );
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM action_ledger WHERE idempotency_key = 'k-race'`,
    );
    expect(rows[0]?.n).toBe('1');
    const stored = await ledger.find('k-race');
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => ({ attempt }))).toContainEqual(stored?.result);
  });
});
