import { Pool } from 'pg';

export interface PoolOptions {
  /** Upper bound on open connections per process. */
  max?: number;
  /** Server-side cap on any one statement, so a stuck query cannot pin a connection forever. */
  statementTimeoutMs?: number;
  /** Called when an idle pooled client fails (server restart, network drop). */
  onIdleClientError?: (error: Error) => void;
}

const DEFAULTS = { max: 10, statementTimeoutMs: 30_000 } as const;

function reportIdleClientError(error: Error): void {
  // Only the message: connection errors never need the URL, which may carry a password.
  process.stderr.write(`interlock: idle PostgreSQL client error: ${error.message}\n`);
}

/**
 * A pg Pool with Interlock's defaults. The error listener matters: pg emits 'error' on the
 * pool when an idle client dies, and an EventEmitter 'error' with no listener crashes the
 * process. The broken client is discarded by pg; the next query opens a fresh one.
 */
export function createPool(url: string, options: PoolOptions = {}): Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs;
  const pool = new Pool({
    connectionString: url,
    max: options.max ?? DEFAULTS.max,
    application_name: 'interlock',
    statement_timeout: statementTimeoutMs,
    // A transaction left open by a crashed handler would otherwise hold locks (e.g. the audit
    // chain lock) indefinitely.
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', options.onIdleClientError ?? reportIdleClientError);
  return pool;
}
