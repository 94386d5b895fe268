import type { Pool } from 'pg';
import { z } from 'zod';

const ledgerKeySchema = z.string().min(1);
const nonEmpty = z.string().min(1);

/** What is about to be done, recorded before the vendor is called. */
export interface LedgerIntent {
  key: string;
  actionType: string;
  /** What is acted on, as the audit names it (asset ID, else the reference). */
  target: string;
  /** The decided action's digest (type, resolved target, params, enforcement point). */
  actionDigest: string;
}

/**
 * A key's entry: `intent` while a call may be under way (or was interrupted: its outcome is
 * unknown), `succeeded` once its outcome is recorded. `recovered` marks an outcome found by
 * reading the vendor's state after an interrupted attempt, not returned by the call itself.
 */
export type LedgerEntry =
  | { status: 'intent'; actionType: string; target: string; actionDigest: string; startedAt: Date }
  | { status: 'succeeded'; result: unknown; recovered: boolean; startedAt?: Date };

interface LedgerRow {
  status: 'intent' | 'succeeded';
  action_type: string;
  target: string | null;
  action_digest: string | null;
  started_at: Date | null;
  result: unknown;
  recovered: boolean;
}

/**
 * The action ledger: one row per idempotency key. Intent is recorded before a vendor call and
 * the outcome after it, so a retry can tell "done" (return the recorded result) from "maybe
 * done" (intent without outcome: read the vendor's state before acting again, see
 * src/activities/ledger-guard.ts) from "never tried".
 */
export class ActionLedger {
  constructor(private readonly pool: Pool) {}

  async find(key: string): Promise<LedgerEntry | undefined> {
    const { rows } = await this.pool.query<LedgerRow>(
      `SELECT status, action_type, target, action_digest, started_at, result, recovered
         FROM action_ledger WHERE idempotency_key = $1`,
      [ledgerKeySchema.parse(key)],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.status === 'succeeded')
      return {
        status: 'succeeded',
        result: row.result,
        recovered: row.recovered,
        ...(row.started_at === null ? {} : { startedAt: row.started_at }),
      };
    return {
      status: 'intent',
      actionType: row.action_type,
      target: row.target ?? '',
      actionDigest: row.action_digest ?? '',
      startedAt: row.started_at ?? new Date(0),
    };
  }

  /**
   * Records the intent to act under `intent.key`. Answers undefined when this call recorded it
   * (nobody tried before), else the entry already there — an earlier attempt's intent or outcome.
   */
  async recordIntent(intent: LedgerIntent): Promise<LedgerEntry | undefined> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO action_ledger (idempotency_key, action_type, status, result, target, action_digest, started_at)
       VALUES ($1, $2, 'intent', NULL, $3, $4, now())
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        ledgerKeySchema.parse(intent.key),
        nonEmpty.parse(intent.actionType),
        nonEmpty.parse(intent.target),
        nonEmpty.parse(intent.actionDigest),
      ],
    );
    if (rowCount === 1) return undefined;
    const existing = await this.find(intent.key);
    if (existing === undefined) throw new Error(`action ledger: entry ${intent.key} vanished`);
    return existing;
  }

  /**
   * Records a key's outcome. The first outcome wins; a second one is ignored. `result` must be
   * JSON-serializable (undefined is stored as null).
   */
  async recordOutcome(
    key: string,
    actionType: string,
    result: unknown,
    options: { recovered?: boolean } = {},
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO action_ledger (idempotency_key, action_type, status, result, completed_at, recovered)
       VALUES ($1, $2, 'succeeded', $3::jsonb, now(), $4)
       ON CONFLICT (idempotency_key) DO UPDATE
         SET status = 'succeeded', result = EXCLUDED.result, completed_at = EXCLUDED.completed_at,
             recovered = EXCLUDED.recovered
         WHERE action_ledger.status = 'intent'`,
      [
        ledgerKeySchema.parse(key),
        nonEmpty.parse(actionType),
        JSON.stringify(result ?? null),
        options.recovered ?? false,
      ],
    );
  }
}
