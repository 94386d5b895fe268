import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { metricsRegistry } from '../../metrics';
import { OperatorGuard } from '../auth/operator.guard';
import { OperatorAuth } from '../common/openapi-security';

/** Prometheus metrics of this API process (text exposition format), for operators. */
@Controller('metrics')
@UseGuards(OperatorGuard)
@OperatorAuth()
export class MetricsController {
  @Get()
  @ApiOperation({ summary: "This API process's Prometheus metrics" })
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    void res.header('Content-Type', metricsRegistry.contentType).header('Cache-Control', 'no-store');
    return metricsRegistry.metrics();
  }
}
