import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { checkHealth, type Probe } from '../../runtime/health';
import type { Services } from '../../runtime/services';
import { SERVICES, TEMPORAL_CLIENT } from '../tokens';

export type { Probe } from '../../runtime/health';

/** Whether PostgreSQL and Temporal answer. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  async check(): Promise<{ status: Probe; checks: { database: Probe; temporal: Probe } }> {
    const checks = await checkHealth(this.services.pool, this.temporal.connection.workflowService);
    return { status: checks.database === 'up' && checks.temporal === 'up' ? 'up' : 'down', checks };
  }
}
