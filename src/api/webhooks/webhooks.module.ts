import { Module } from '@nestjs/common';
import { WebhookAuthGuard } from './webhook-auth.guard';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook intake: authenticate (guard), normalize, hand each alert to its incident workflow. */
@Module({ controllers: [WebhooksController], providers: [WebhooksService, WebhookAuthGuard] })
export class WebhooksModule {}
