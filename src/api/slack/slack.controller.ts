import { Controller, Headers, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { SlackSignatureAuth } from '../common/openapi-security';
import { SlackSignatureGuard } from './slack-signature.guard';
import { SlackService } from './slack.service';

/** Slack's interactivity request URL (buttons of approval messages). */
@Controller('slack')
@UseGuards(SlackSignatureGuard)
@SlackSignatureAuth()
export class SlackController {
  constructor(@Inject(SlackService) private readonly service: SlackService) {}

  @Post('interactions')
  @ApiOperation({ summary: 'Slack interactivity: approval buttons' })
  @HttpCode(200)
  async interactions(@Req() req: Request, @Headers('x-slack-signature') signature: string | undefined): Promise<void> {
    // The /slack routes keep the raw bytes (the guard verified the signature over them).
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await this.service.handle(rawBody, (signature ?? '').slice(3, 19));
  }
}
