import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { InterlockConfig } from '../../config/schema';
import { metricsRegistry } from '../../metrics';
import { ApprovalMetrics } from '../../metrics/approvals';
import { collectHealth } from '../../metrics/health';
import { checkHealth } from '../../runtime/health';
import type { Services } from '../../runtime/services';
import { CONFIG, SERVICES, TEMPORAL_CLIENT } from '../tokens';

/** This process's Prometheus registry (src/metrics/), with the health gauges of GET /health and the pending approvals. */
@Injectable()
export class MetricsService {
  readonly contentType = metricsRegistry.contentType;

  constructor(
    @Inject(CONFIG) config: InterlockConfig,
    @Inject(SERVICES) services: Services,
    @Inject(TEMPORAL_CLIENT) temporal: Client,
  ) {
    collectHealth(() => checkHealth(services.pool, temporal.connection.workflowService));
    // Pending approvals are read from PostgreSQL when scraped: served by the API, which every deployment scrapes.
    new ApprovalMetrics(config.zones.map((zone) => zone.id)).collectPendingFrom(services.pool);
  }

  exposition(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
