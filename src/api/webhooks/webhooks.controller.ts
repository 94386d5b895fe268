import { Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { WebhookAuth } from '../common/openapi-security';
import { AuthenticatedSource, WebhookAuthGuard, type WebhookSource } from './webhook-auth.guard';
import { WebhooksService, type IntakeResponse } from './webhooks.service';

@Controller('webhooks')
@UseGuards(WebhookAuthGuard)
@WebhookAuth()
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly intake: WebhooksService) {}

  /** `202 {incidentId, workflowId, deduplicated}` once Temporal has durably accepted the alert. */
  @Post(':source')
  @ApiOperation({ summary: 'Receive a SIEM or OT-sensor alert' })
  @ApiParam({ name: 'source', required: true, schema: { type: 'string' } })
  @HttpCode(202)
  receive(
    @AuthenticatedSource() source: WebhookSource,
    @Req() req: FastifyRequest<{ Querystring: Record<string, unknown> }>,
  ): Promise<IntakeResponse> {
    return this.intake.receive(source, req);
  }
}
