import { Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { SlackInteractionsService } from './slack-interactions.service';
import { SlackSignatureAuth } from '../common/openapi-security';

/** Slack's interactivity request URL (buttons of approval messages). */
@Controller('slack')
@SlackSignatureAuth()
export class SlackInteractionsController {
  constructor(@Inject(SlackInteractionsService) private readonly service: SlackInteractionsService) {}

  @Post('interactions')
  @ApiOperation({ summary: 'Slack interactivity: approval buttons' })
  @HttpCode(200)
  async interactions(
    @Req() req: Request,
    @Headers('x-slack-request-timestamp') timestamp: string | undefined,
    @Headers('x-slack-signature') signature: string | undefined,
  ): Promise<void> {
    // The /slack routes keep the raw bytes: the signature is computed over them.
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await this.service.handle(
      rawBody,
      {
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(signature === undefined ? {} : { signature }),
      },
      req.ip,
    );
  }
}
