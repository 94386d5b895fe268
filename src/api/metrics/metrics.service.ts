import { Injectable } from '@nestjs/common';
import { metricsRegistry } from '../../metrics';

/** This process's Prometheus registry (src/metrics.ts). */
@Injectable()
export class MetricsService {
  readonly contentType = metricsRegistry.contentType;

  exposition(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
