import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { InterlockConfig } from '../../config/schema';
import { authenticateWebhook, type SourceConfig } from '../../intake/auth';
import type { Logger } from '../../logging';
import { ApiError } from '../common/api-error';
import { CONFIG, LOGGER } from '../tokens';

/** The configured source a webhook delivery authenticated as. */
export interface WebhookSource {
  name: string;
  config: SourceConfig;
}

type WebhookHttpRequest = {
  params: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body: unknown;
  ip: string;
  webhookSource?: WebhookSource;
};

/**
 * `POST /webhooks/:source`: 404 for a source that is not configured, then 401 unless every
 * credential presented verifies against that source (src/intake/auth.ts, constant-time). The
 * credentials cover the raw body (HMAC), which the body parser keeps as bytes on this route.
 */
@Injectable()
export class WebhookAuthGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WebhookHttpRequest>();
    const name = req.params['source'] ?? '';
    const source = Object.hasOwn(this.config.sources, name) ? this.config.sources[name] : undefined;
    if (source === undefined)
      throw new ApiError(404, 'unknown_source', `no webhook source named "${name}" is configured`);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const auth = authenticateWebhook({ source, headers: req.headers, query: req.query, rawBody });
    if (!auth.ok) {
      this.log.warn({ source: name, reason: auth.reason, ip: req.ip }, 'webhook authentication failed');
      throw new ApiError(401, 'unauthorized', 'missing or invalid webhook credentials', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    req.webhookSource = { name, config: source };
    return true;
  }
}

/** The source WebhookAuthGuard authenticated. */
export const AuthenticatedSource = createParamDecorator((_data: unknown, context: ExecutionContext): WebhookSource => {
  const source = context.switchToHttp().getRequest<WebhookHttpRequest>().webhookSource;
  if (source === undefined) throw new ApiError(401, 'unauthorized', 'missing or invalid webhook credentials');
  return source;
});
