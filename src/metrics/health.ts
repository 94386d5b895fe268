/** The shape of src/runtime/health.ts's checks (metrics import nothing from the rest of src/). */
interface HealthChecks {
  database: 'up' | 'down';
  temporal: 'up' | 'down';
}

import { gauge } from './registry';

let source: (() => Promise<HealthChecks>) | undefined;
let registered = false;

/**
 * Whether PostgreSQL and Temporal answer: the checks of GET /health, run when scraped (once
 * for both gauges). Registered on the first call; a later call (a new app in the same process)
 * replaces the check.
 */
export function collectHealth(check: () => Promise<HealthChecks>): void {
  source = check;
  if (registered) return;
  registered = true;
  let inflight: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (inflight ??= probe().finally(() => {
      inflight = undefined;
    }));
  const postgres = gauge(
    'interlock_postgres_up',
    'Whether PostgreSQL answered the health check when scraped (1) or not (0)',
    [],
    refresh,
  );
  const temporal = gauge(
    'interlock_temporal_up',
    'Whether Temporal answered the health check when scraped (1) or not (0)',
    [],
    refresh,
  );
  async function probe(): Promise<void> {
    if (source === undefined) return;
    const checks = await source();
    postgres.set(checks.database === 'up' ? 1 : 0);
    temporal.set(checks.temporal === 'up' ? 1 : 0);
  }
}
