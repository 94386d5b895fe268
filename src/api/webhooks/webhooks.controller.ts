import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IntakeService, type IntakeResponse } from './intake.service';
import { WebhookAuth } from '../common/openapi-security';

@Controller('webhooks')
@WebhookAuth()
export class WebhooksController {
  constructor(@Inject(IntakeService) private readonly intake: IntakeService) {}

  /** `202 {incidentId, workflowId, deduplicated}` once Temporal has durably accepted the alert. */
  @Post(':source')
  @ApiOperation({ summary: 'Receive a SIEM or OT-sensor alert' })
  @HttpCode(202)
  receive(
    @Param('source') source: string,
    @Req() req: FastifyRequest<{ Querystring: Record<string, unknown> }>,
  ): Promise<IntakeResponse> {
    return this.intake.receive(source, req);
  }
}
