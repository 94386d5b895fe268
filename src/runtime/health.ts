import type { Pool } from 'pg';

export type Probe = 'up' | 'down';
export interface HealthChecks {
  database: Probe;
  temporal: Probe;
}

/** GET /health/ready's answer: dependencies, and whether the process is shutting down. */
export interface Readiness {
  status: Probe;
  /** True from the first SIGTERM/SIGINT on: the process finishes its work and takes no more. */
  draining: boolean;
  checks: HealthChecks;
}

/** GET /health/live's answer: the process runs and its event loop answered. */
export interface Liveness {
  status: 'up';
  uptimeSeconds: number;
}

/** A probe as a plain route (the worker's metrics port): its HTTP status and JSON body. */
export type ProbeRoute = () => Promise<{ status: number; body: Liveness | Readiness }>;

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

/**
 * Whether this process is shutting down. main.ts starts draining on the first SIGTERM/SIGINT,
 * before anything is closed, so readiness fails at once and load balancers stop sending work.
 */
export class Lifecycle {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }
}

/**
 * Liveness never looks at PostgreSQL or Temporal: a database blip must not make Kubernetes
 * restart every pod. Answering at all shows the event loop turns; a blocked loop fails the
 * probe by its timeout.
 */
export function liveness(): Liveness {
  return { status: 'up', uptimeSeconds: Math.round(process.uptime()) };
}

/** Ready: PostgreSQL and Temporal answer, and the process is not draining. */
export async function readiness(check: () => Promise<HealthChecks>, lifecycle: Lifecycle): Promise<Readiness> {
  const checks = await check();
  const draining = lifecycle.draining;
  const up = !draining && checks.database === 'up' && checks.temporal === 'up';
  return { status: up ? 'up' : 'down', draining, checks };
}

/** GET /health/live and GET /health/ready as plain routes, for a process without the API (the worker). */
export function probeRoutes(check: () => Promise<HealthChecks>, lifecycle: Lifecycle): Record<string, ProbeRoute> {
  return {
    '/health/live': () => Promise.resolve({ status: 200, body: liveness() }),
    '/health/ready': async () => {
      const body = await readiness(check, lifecycle);
      return { status: body.status === 'up' ? 200 : 503, body };
    },
  };
}
