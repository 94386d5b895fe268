/**
 * Alert completion: an asynchronous step after (synchronous) normalization that fills fields
 * the vendor's body only refers to, by asking the vendor's API — today QRadar's address IDs.
 * Bounded by the integration's timeout so the webhook still answers promptly; on any failure
 * the normalized alert is kept as is (its fields from the body's own text). The playbook
 * dry-run does not complete: it shows the text fallback.
 */
import type { Alert } from '../../alerts/alert';
import type { InterlockConfig } from '../../config/schema';
import { QRadarClient } from '../../../integrations/qradar';
import type { NormalizeContext } from '../normalizers';
import { PRODUCT as QRADAR_PRODUCT } from '../normalizers/qradar';
import { completeQRadarOffense } from './qradar';

export interface CompletionLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export class AlertCompletion {
  private readonly qradar: { client: QRadarClient; timeout: number } | undefined;

  constructor(
    integrations: InterlockConfig['integrations'],
    private readonly log?: CompletionLogger,
  ) {
    const config = integrations.qradar;
    this.qradar = config === undefined ? undefined : { client: new QRadarClient(config), timeout: config.timeout };
  }

  /** The delivery's alerts, completed where a configured vendor API can; never throws for the API's sake. */
  async complete(body: unknown, ctx: NormalizeContext, alerts: Alert[]): Promise<Alert[]> {
    if (this.qradar === undefined || alerts[0]?.source.product !== QRADAR_PRODUCT) return alerts;
    const outcome = await completeQRadarOffense(body, ctx, alerts, this.qradar.client, this.qradar.timeout);
    if (outcome.source === 'text' && outcome.reason !== undefined && outcome.reason !== 'no address IDs')
      this.log?.warn(
        { source: ctx.source, integration: 'qradar', reason: outcome.reason },
        'alert completion failed: addresses kept from the offense text',
      );
    return outcome.alerts;
  }
}
