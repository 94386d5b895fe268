import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

describe('createPool', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('identifies itself as interlock and sets a statement timeout', async () => {
    const pool = createPool(db.url, { statementTimeoutMs: 1234 });
    try {
      const { rows } = await pool.query<{ app: string; timeout: string }>(
        `SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout`,
      );
      expect(rows[0]).toEqual({ app: 'interlock', timeout: '1234ms' });
      await expect(pool.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
    } finally {
      await pool.end();
    }
  });

  it('survives an idle client being killed by the server and reports it to the listener', async () => {
    const errors: Error[] = [];
    const pool = createPool(db.url, { onIdleClientError: (error) => errors.push(error) });
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]?.pid;
      const killer = createPool(db.url);
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      await killer.end();
      // The 'error' event arrives when the socket closes; poll rather than guess a delay.
      for (let waited = 0; errors.length === 0 && waited < 5000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(errors.length).toBe(1);
      // The pool replaces the dead client.
      const after = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(after.rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
