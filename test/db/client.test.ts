/**
 * A checked-out client whose connection dies must not crash the process (pg-pool only
 * listens for errors on idle clients): the caller sees the failure on its next query and the
 * dead client is destroyed, not handed out again. This crashed the worker when PostgreSQL
 * stopped in the middle of an audit transaction (S9).
 */
import type { Pool } from 'pg';
import { checkOut } from '../../src/db/client';
import { withTransaction } from '../../src/db/transaction';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let admin: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 2 });
  admin = createPool(db.url, { max: 1 });
});

afterAll(async () => {
  await Promise.all([pool.end(), admin.end()]);
  await db.drop();
});

async function terminate(pid: number): Promise<void> {
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  // Let the socket close reach the client before the caller's next query.
  await new Promise((r) => setTimeout(r, 200));
}

it('survives the connection dying while the client is checked out, and destroys that client', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    const { client, release } = await checkOut(pool);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await terminate(rows[0]!.pid);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    release();
    expect(uncaught).toEqual([]);
    // The pool hands out a working connection afterwards, not the dead one.
    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(again.rows[0]!.pid).not.toBe(rows[0]!.pid);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

it('rejects a transaction whose connection dies between statements, without crashing', async () => {
  await expect(
    withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await terminate(rows[0]!.pid);
      await client.query('SELECT 1');
    }),
  ).rejects.toThrow();
  const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
  expect(rows[0]!.ok).toBe(1);
});
