import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Request } from 'express';
import type { Alert } from '../../alerts/alert';
import type { InterlockConfig } from '../../config/schema';
import { authenticateWebhook } from '../../intake/auth';
import { correlationKey, incidentIdFor } from '../../intake/correlation';
import { getNormalizer, NormalizationError } from '../../intake/normalizers';
import { sha256Hex } from '../../intake/raw-body';
import type { Logger } from '../../logging';
import { alertSignal, type IncidentInput } from '../../workflows/definitions';
import type { incidentWorkflow } from '../../workflows/incident-workflow';
import { ApiError } from '../common/api-error';

export interface AcceptedAlert {
  incidentId: string;
  workflowId: string;
  /** True when the alert joined an incident that was already open. */
  deduplicated: boolean;
}

export interface IntakeResponse extends AcceptedAlert {
  /** One entry per alert when a delivery carried several (e.g. Elastic). */
  alerts?: (AcceptedAlert & { alertUid: string })[];
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Webhook intake: authenticate, parse, normalize, then hand each alert to its incident
 * workflow. Answers only after Temporal has durably accepted every alert of the delivery.
 */
export class IntakeService {
  constructor(
    private readonly config: InterlockConfig,
    private readonly temporal: Client,
    private readonly log: Logger,
  ) {}

  async receive(sourceName: string, req: Request): Promise<IntakeResponse> {
    const source = Object.hasOwn(this.config.sources, sourceName) ? this.config.sources[sourceName] : undefined;
    if (source === undefined)
      throw new ApiError(404, 'unknown_source', `no webhook source named "${sourceName}" is configured`);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    const auth = authenticateWebhook({ source, headers: req.headers, query: req.query, rawBody });
    if (!auth.ok) {
      this.log.warn({ source: sourceName, reason: auth.reason, ip: req.ip }, 'webhook authentication failed');
      throw new ApiError(401, 'unauthorized', 'missing or invalid webhook credentials', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(contentType))
      throw new ApiError(
        415,
        'unsupported_media_type',
        `expected Content-Type application/json, got "${contentType || 'none'}"`,
      );
    if (rawBody.length === 0) throw new ApiError(400, 'empty_body', 'the request body is empty');

    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch (error) {
      throw new ApiError(400, 'malformed_json', `body is not valid JSON: ${(error as Error).message}`);
    }

    const format = source.format ?? sourceName;
    const normalize = getNormalizer(format);
    if (normalize === undefined) throw new ApiError(500, 'no_normalizer', `no normalizer for format "${format}"`);
    let alerts: Alert[];
    try {
      alerts = normalize(body, {
        source: sourceName,
        rawSha256: sha256Hex(rawBody),
        receivedAt: new Date().toISOString(),
      });
    } catch (error) {
      if (error instanceof NormalizationError) {
        throw new ApiError(
          400,
          'invalid_alert',
          `the body is not a valid ${format} alert`,
          error.fieldIssues.map((i) => ({ path: i.path || '(body)', message: i.message })),
        );
      }
      throw error;
    }
    if (alerts.length === 0) throw new ApiError(400, 'no_alerts', 'the delivery carried no alert');

    const accepted: (AcceptedAlert & { alertUid: string })[] = [];
    for (const alert of alerts) {
      accepted.push({ ...(await this.deliver(alert, source.correlationKey)), alertUid: alert.uid });
    }
    const [first] = accepted as [AcceptedAlert & { alertUid: string }];
    const response: IntakeResponse = {
      incidentId: first.incidentId,
      workflowId: first.workflowId,
      deduplicated: first.deduplicated,
    };
    if (accepted.length > 1) response.alerts = accepted;
    return response;
  }

  /** Starts the incident workflow, or signals it when it is already running. */
  private async deliver(alert: Alert, correlationFields: string[] | undefined): Promise<AcceptedAlert> {
    const key = correlationKey(alert, correlationFields);
    const incidentId = incidentIdFor(key);
    const workflowId = incidentId;
    const input: IncidentInput = {
      incidentId,
      correlationKey: key,
      alerts: [alert],
      settings: { closeAfterIdleMs: this.config.incidents.closeAfterIdle },
    };
    // Two attempts cover the race where the running incident closes between start and signal.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.temporal.workflow.start<typeof incidentWorkflow>('incidentWorkflow', {
          taskQueue: this.config.temporal.taskQueue,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
        });
        return { incidentId, workflowId, deduplicated: false };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw this.unavailable(error);
      }
      try {
        await this.temporal.workflow.getHandle(workflowId).signal(alertSignal, alert);
        return { incidentId, workflowId, deduplicated: true };
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError) || attempt >= 1) throw this.unavailable(error);
      }
    }
  }

  private unavailable(error: unknown): ApiError {
    this.log.error({ err: error }, 'Temporal did not accept an alert');
    return new ApiError(503, 'unavailable', 'the alert could not be durably accepted; retry later', undefined, {
      'Retry-After': '5',
    });
  }
}
