import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { Services } from '../../runtime/services';
import { SERVICES, TEMPORAL_CLIENT } from '../tokens';

export type Probe = 'up' | 'down';

async function probe(check: () => Promise<unknown>): Promise<Probe> {
  try {
    await check();
    return 'up';
  } catch {
    return 'down';
  }
}

/** Whether PostgreSQL and Temporal answer. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  async check(): Promise<{ status: Probe; checks: { database: Probe; temporal: Probe } }> {
    const [database, temporal] = await Promise.all([
      probe(() => this.services.pool.query('SELECT 1')),
      probe(() => this.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    return { status: database === 'up' && temporal === 'up' ? 'up' : 'down', checks: { database, temporal } };
  }
}
