import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` inside BEGIN/COMMIT on one pooled client; rolls back on any error. A client
 * whose ROLLBACK itself failed is destroyed rather than returned to the pool in an unknown state.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
