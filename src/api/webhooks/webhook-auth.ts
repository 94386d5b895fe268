import { Inject, Injectable } from '@nestjs/common';
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

/** What authentication reads of a `POST /webhooks/:source` request. */
export interface WebhookHttpRequest {
  params: unknown;
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
  body: unknown;
  ip: string;
}

/**
 * `POST /webhooks/:source`: 404 for a source that is not configured, then 401 unless every
 * credential presented verifies against that source (src/intake/auth.ts, constant-time). The
 * credentials cover the raw body (HMAC), which the body parser keeps as bytes on this route.
 * Runs before anything else reads the delivery (webhook-route.ts).
 */
@Injectable()
export class WebhookAuthenticator {
  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** The source the request authenticated as; throws the 404 or 401 ApiError otherwise. */
  authenticate(req: WebhookHttpRequest): WebhookSource {
    const name = (req.params as Record<string, string | undefined>)['source'] ?? '';
    const source = Object.hasOwn(this.config.sources, name) ? this.config.sources[name] : undefined;
    if (source === undefined)
      throw new ApiError(404, 'unknown_source', `no webhook source named "${name}" is configured`);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const query = req.query as Record<string, unknown>;
    const auth = authenticateWebhook({ source, headers: req.headers, query, rawBody });
    if (!auth.ok) {
      this.log.warn({ source: name, reason: auth.reason, ip: req.ip }, 'webhook authentication failed');
      throw new ApiError(401, 'unauthorized', 'missing or invalid webhook credentials', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    return { name, config: source };
  }
}
