import type { Pool, PoolClient } from 'pg';
import { checkOut } from './client';

/**
 * Runs `work` inside BEGIN/COMMIT on one pooled client; rolls back on any error. A client
 * whose ROLLBACK itself failed is destroyed rather than returned to the pool in an unknown state.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  /** The statement(s) that open the transaction: BEGIN, optionally with constant-only statements after it. */
  options: { begin?: string } = {},
): Promise<T> {
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    await client.query(options.begin ?? 'BEGIN');
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
    release(broken);
  }
}
