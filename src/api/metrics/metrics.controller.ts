import { Controller, Get, Inject, Res, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { OperatorAuth } from '../common/openapi-security';
import { MetricsGuard } from './metrics.guard';
import { MetricsService } from './metrics.service';

/** Prometheus metrics of this API process (text exposition format), for operators. */
@Controller('metrics')
@UseGuards(MetricsGuard)
@OperatorAuth()
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metricsService: MetricsService) {}

  @Get()
  @ApiOperation({ summary: "This API process's Prometheus metrics" })
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    void res.header('Content-Type', this.metricsService.contentType).header('Cache-Control', 'no-store');
    return this.metricsService.exposition();
  }
}
