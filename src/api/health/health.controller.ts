import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import type { FastifyReply as Response } from 'fastify';
import type { Services } from '../../runtime/services';
import { SERVICES, TEMPORAL_CLIENT } from '../tokens';

async function probe(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  try {
    await check();
    return 'up';
  } catch {
    return 'down';
  }
}

@Controller('health')
export class HealthController {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  /** 200 when PostgreSQL and Temporal answer, 503 otherwise (for load balancers). */
  @Get()
  // Public on purpose (load balancers): `security: []` says so explicitly.
  @ApiOperation({ summary: 'Health of PostgreSQL and Temporal', security: [] })
  async health(@Res({ passthrough: true }) res: Response) {
    const [database, temporal] = await Promise.all([
      probe(() => this.services.pool.query('SELECT 1')),
      probe(() => this.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const status = database === 'up' && temporal === 'up' ? 'up' : 'down';
    void res.status(status === 'up' ? 200 : 503);
    return { status, checks: { database, temporal } };
  }
}
