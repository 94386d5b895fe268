import type { Pool } from 'pg';

export type Probe = 'up' | 'down';
export interface HealthChecks {
  database: Probe;
  temporal: Probe;
}

async function probe(check: () => Promise<unknown>): Promise<Probe> {
  try {
    await check();
    return 'up';
  } catch {
    return 'down';
  }
}

/** Whether PostgreSQL and Temporal answer (GET /health, and the health gauges of both processes). */
export async function checkHealth(
  pool: Pick<Pool, 'query'>,
  temporal: { getSystemInfo(request: object): Promise<unknown> },
): Promise<HealthChecks> {
  const [database, temporalUp] = await Promise.all([
    probe(() => pool.query('SELECT 1')),
    probe(() => temporal.getSystemInfo({})),
  ]);
  return { database, temporal: temporalUp };
}
