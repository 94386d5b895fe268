import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import {
  checkHealth,
  liveness,
  readiness,
  type HealthChecks,
  type Lifecycle,
  type Liveness,
  type Probe,
  type Readiness,
} from '../../runtime/health';
import type { Services } from '../../runtime/services';
import { LIFECYCLE, SERVICES, TEMPORAL_CLIENT } from '../tokens';

export type { Probe } from '../../runtime/health';

/** Liveness (the process answers) and readiness (PostgreSQL and Temporal answer, not draining). */
@Injectable()
export class HealthService {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LIFECYCLE) private readonly lifecycle: Lifecycle,
  ) {}

  live(): Liveness {
    return liveness();
  }

  ready(): Promise<Readiness> {
    return readiness(() => this.dependencies(), this.lifecycle);
  }

  /** GET /health (the combined check, kept for existing load balancers): the readiness verdict in the original shape. */
  async check(): Promise<{ status: Probe; checks: HealthChecks }> {
    const { status, checks } = await this.ready();
    return { status, checks };
  }

  private dependencies(): Promise<HealthChecks> {
    return checkHealth(this.services.pool, this.temporal.connection.workflowService);
  }
}
