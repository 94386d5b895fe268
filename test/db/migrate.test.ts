import type { Pool } from 'pg';
import { MIGRATIONS } from '../../src/db/migrations';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

async function tableNames(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function appliedVersions(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

describe('runMigrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const pools: Pool[] = [];
  const newPool = (): Pool => {
    const pool = createPool(db.url);
    pools.push(pool);
    return pool;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await db.drop();
  });

  it('creates the schema and records each migration once', async () => {
    const pool = newPool();
    await runMigrations(pool);
    expect(await tableNames(pool)).toEqual(
      expect.arrayContaining(['action_ledger', 'approvals', 'audit_events', 'schema_migrations']),
    );
    expect(await appliedVersions(pool)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('is idempotent: a second run changes nothing and does not fail', async () => {
    const pool = newPool();
    await runMigrations(pool);
    const { rows: before } = await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    await runMigrations(pool);
    const { rows: after } = await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    expect(after).toEqual(before);
  });

  it('applies each migration once when several processes start together', async () => {
    // Separate pools stand in for separate processes: each has its own sessions.
    await Promise.all(Array.from({ length: 5 }, () => runMigrations(newPool())));
    const pool = newPool();
    expect(await appliedVersions(pool)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await tableNames(pool)).toContain('audit_events');
  });

  it('rolls a failing migration back whole and reports which one failed', async () => {
    const pool = newPool();
    const broken = [
      ...MIGRATIONS,
      { version: 999, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;' },
    ];
    await expect(runMigrations(pool, broken)).rejects.toThrow(/migration 999 \(broken\) failed: .*no_such_table/);
    expect(await tableNames(pool)).not.toContain('half_done');
    expect(await appliedVersions(pool)).toEqual(MIGRATIONS.map((m) => m.version));
    // The advisory lock was released: a later run is not blocked.
    await runMigrations(newPool());
  });
});
