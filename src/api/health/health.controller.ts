import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { HealthService } from './health.service';

@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly service: HealthService) {}

  /** 200 when PostgreSQL and Temporal answer, 503 otherwise (for load balancers). */
  @Get()
  // Public on purpose (load balancers): `security: []` says so explicitly.
  @ApiOperation({ summary: 'Health of PostgreSQL and Temporal', security: [] })
  async health(@Res({ passthrough: true }) res: Response) {
    const result = await this.service.check();
    void res.status(result.status === 'up' ? 200 : 503);
    return result;
  }
}
