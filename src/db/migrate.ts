import { checkOut } from './client';
import type { Pool, PoolClient } from 'pg';
import { ADVISORY_LOCK_KEYS } from './advisory-locks';
import { MIGRATIONS, type Migration } from './migrations';

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function appliedVersions(client: PoolClient): Promise<Set<number>> {
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((row) => row.version));
}

async function migrationsTableExists(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS exists",
  );
  return rows[0]?.exists === true;
}

async function applyOne(client: PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /permission denied|must be owner/.test(reason)
      ? ' (run `interlock migrate` as the schema owner: the service role may not change the schema)'
      : '';
    throw new Error(`migration ${migration.version} (${migration.name}) failed: ${reason}${hint}`, { cause: error });
  }
}

/**
 * Brings the schema up to date. A session-level advisory lock serializes concurrent callers
 * (several API/worker processes starting together): the second waits, then finds nothing to do.
 * Each migration runs in its own transaction together with its schema_migrations row, so a
 * failure leaves no half-applied migration behind.
 */
export async function runMigrations(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    // Waiting for another process's migrations must not trip the pool's statement timeout.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1::bigint)', [ADVISORY_LOCK_KEYS.migrations]);
    try {
      // The least-privileged service role cannot CREATE: only the owner creates the table, and
      // a service started on an up-to-date schema finds nothing to do.
      if (!(await migrationsTableExists(client))) await client.query(CREATE_MIGRATIONS_TABLE);
      const applied = await appliedVersions(client);
      const pending = [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
      for (const migration of pending) await applyOne(client, migration);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [ADVISORY_LOCK_KEYS.migrations]);
      await client.query('RESET statement_timeout');
    }
  } catch (error) {
    // The session may still hold the lock or a changed setting: never hand it back to the pool.
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    release(broken);
  }
}
