import { Module } from '@nestjs/common';
import { WebhookAuthenticator } from './webhook-auth';
import { WebhooksService } from './webhooks.service';

/**
 * Webhook intake: authenticate, normalize, hand each alert to its incident workflow. The route
 * itself is a Fastify handler over these providers (webhook-route.ts), not a controller.
 */
@Module({ providers: [WebhooksService, WebhookAuthenticator] })
export class WebhooksModule {}
