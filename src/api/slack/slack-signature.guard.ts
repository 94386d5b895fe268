import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { InterlockConfig } from '../../config/schema';
import { SlackReplayStore } from '../../db/slack-replay-store';
import { type Logger, RateLimitedLog } from '../../logging';
import { type SlackRefusalReason, slackRequestsRefused } from '../../metrics';
import { ApiError } from '../common/api-error';
import { CONFIG, LOGGER } from '../tokens';
import { verifySlackSignature } from './slack-signature';

/**
 * `POST /slack/interactions`: 404 when Slack is not configured; 401 unless Slack's v0
 * signature over the raw body verifies (slack-signature.ts) and the signed request was not
 * received before (SlackReplayStore). A refusal is counted and logged (rate-limited), never
 * audited: an unauthenticated caller must not be able to grow an incident's audit trail.
 */
@Injectable()
export class SlackSignatureGuard implements CanActivate {
  private readonly refusalLog: RateLimitedLog;

  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(SlackReplayStore) private readonly replays: SlackReplayStore,
    @Inject(LOGGER) log: Logger,
  ) {
    this.refusalLog = new RateLimitedLog(log);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const slackConfig = this.config.slack;
    if (slackConfig === undefined) throw new ApiError(404, 'slack_not_configured', 'Slack is not configured');
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    // The /slack routes keep the raw bytes: the signature is computed over them.
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = header(req, 'x-slack-signature');
    const check = verifySlackSignature({
      rawBody,
      timestamp: header(req, 'x-slack-request-timestamp'),
      signature,
      signingSecret: slackConfig.signingSecret,
      nowMs: Date.now(),
    });
    if (!check.ok) {
      this.countRefused(check.reason, req.ip);
      throw new ApiError(401, check.reason, 'the request is not signed by Slack, or too old');
    }
    if (!(await this.replays.firstDelivery(signature as string))) {
      this.countRefused('replayed_request', req.ip);
      throw new ApiError(401, 'replayed_request', 'this signed request was already received');
    }
    return true;
  }

  /**
   * Nothing of the body is trusted or kept: it may name any approval and any user. The counter
   * and a rate-limited warning are all an outsider can make grow.
   */
  private countRefused(reason: SlackRefusalReason, remoteAddress: string | undefined): void {
    slackRequestsRefused.inc({ reason });
    this.refusalLog.warn(
      reason,
      { reason, ...(remoteAddress === undefined ? {} : { remoteAddress }) },
      'refused a Slack request that failed verification',
    );
  }
}

/** A header as Nest's @Headers(name) reads it. */
function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
