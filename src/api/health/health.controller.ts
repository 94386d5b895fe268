import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { HealthService } from './health.service';

/**
 * Probes for load balancers and Kubernetes, public on purpose (`security: []` says so
 * explicitly). While the process drains after SIGTERM these keep answering; every other
 * route answers 503 (create-app.ts).
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly service: HealthService) {}

  /** 200 when PostgreSQL and Temporal answer and the process is not shutting down, else 503 (legacy: /health/ready says the same with `draining`). */
  @Get()
  @ApiOperation({
    summary: 'Combined health (legacy): PostgreSQL and Temporal answer, not shutting down',
    security: [],
  })
  async health(@Res({ passthrough: true }) res: Response) {
    const result = await this.service.check();
    void res.status(result.status === 'up' ? 200 : 503);
    return result;
  }

  /** Always 200 while the process runs: never checks PostgreSQL or Temporal (a blip must not restart pods). */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process runs and its event loop answers', security: [] })
  live() {
    return this.service.live();
  }

  /** 200 when PostgreSQL and Temporal answer and the process is not draining, else 503. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Temporal answer, not shutting down', security: [] })
  async ready(@Res({ passthrough: true }) res: Response) {
    const result = await this.service.ready();
    void res.status(result.status === 'up' ? 200 : 503);
    return result;
  }
}
