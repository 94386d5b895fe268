import type { Pool } from 'pg';
import { ActionLedger } from '../audit/action-ledger';
import { ApprovalStore } from '../approvals/approval-store';
import { AuditStore } from '../audit/audit-store';
import type { InterlockConfig } from '../config/schema';
import { runMigrations } from '../db/migrate';
import { createPool } from '../db/pool';

/** The PostgreSQL-backed stores shared by the API and the worker of one process. */
export interface Services {
  pool: Pool;
  audit: AuditStore;
  approvals: ApprovalStore;
  ledger: ActionLedger;
  close(): Promise<void>;
}

export async function createServices(config: InterlockConfig): Promise<Services> {
  if (config.database.url === '')
    throw new Error('database.url is empty: set DATABASE_URL (only `dev` mode embeds a database)');
  const pool = createPool(config.database.url);
  await runMigrations(pool);
  return servicesOn(pool);
}

/** The stores over an existing pool (no migrations); closing them ends the pool. */
export function servicesOn(pool: Pool): Services {
  return {
    pool,
    audit: new AuditStore(pool),
    approvals: new ApprovalStore(pool),
    ledger: new ActionLedger(pool),
    close: () => pool.end(),
  };
}
