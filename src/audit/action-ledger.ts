import type { Pool } from 'pg';
import { z } from 'zod';

const ledgerKeySchema = z.string().min(1);

/**
 * Remembers integration calls that succeeded, keyed by an idempotency key, so a retried
 * activity returns the earlier result instead of acting on the world twice.
 */
export class ActionLedger {
  constructor(private readonly pool: Pool) {}

  async find(key: string): Promise<{ result: unknown } | undefined> {
    const { rows } = await this.pool.query<{ result: unknown }>(
      'SELECT result FROM action_ledger WHERE idempotency_key = $1',
      [ledgerKeySchema.parse(key)],
    );
    const row = rows[0];
    return row ? { result: row.result } : undefined;
  }

  /**
   * Records a succeeded call. The first record for a key wins; a second one is ignored.
   * `result` must be JSON-serializable (undefined is stored as null).
   */
  async record(key: string, actionType: string, result: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO action_ledger (idempotency_key, action_type, status, result)
       VALUES ($1, $2, 'succeeded', $3::jsonb)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [ledgerKeySchema.parse(key), z.string().min(1).parse(actionType), JSON.stringify(result ?? null)],
    );
  }
}
