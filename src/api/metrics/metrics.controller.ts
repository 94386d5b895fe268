import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply as Response } from 'fastify';
import { metricsRegistry } from '../../metrics';
import { OperatorGuard } from '../auth/operator.guard';

/** Prometheus metrics of this API process (text exposition format), for operators. */
@Controller('metrics')
@UseGuards(OperatorGuard)
export class MetricsController {
  @Get()
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    void res.header('Content-Type', metricsRegistry.contentType).header('Cache-Control', 'no-store');
    return metricsRegistry.metrics();
  }
}
