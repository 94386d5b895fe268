import { counter } from './registry';

/** The source label of a delivery to a source that is not configured (never the name it used). */
export const UNKNOWN_SOURCE = 'unknown';

const received = counter(
  'interlock_webhook_deliveries_received_total',
  'Webhook deliveries received (POST /webhooks/:source), whatever their answer',
  ['source'],
);
const accepted = counter(
  'interlock_webhook_deliveries_accepted_total',
  'Webhook deliveries answered 202: every alert durably accepted by Temporal (a copy: its delivery by the copy ledger)',
  ['source'],
);
const deduplicated = counter(
  'interlock_webhook_deliveries_deduplicated_total',
  'Accepted webhook deliveries whose alert joined an incident already open (answer deduplicated: true)',
  ['source'],
);
const refused = counter(
  'interlock_webhook_deliveries_refused_total',
  'Webhook deliveries refused, by HTTP status code (401, 404, 413, 429, 503, ...)',
  ['source', 'code'],
);

/**
 * Counts webhook deliveries as they are answered. Source labels are the configured sources
 * (computed once): a delivery to any other name counts as `unknown`.
 */
export class IntakeMetrics {
  private readonly sources: ReadonlySet<string>;

  constructor(sources: Iterable<string>) {
    this.sources = new Set(sources);
    for (const source of this.sources) {
      received.inc({ source }, 0);
      accepted.inc({ source }, 0);
      deduplicated.inc({ source }, 0);
    }
  }

  sourceLabel(name: string | undefined): string {
    return name !== undefined && this.sources.has(name) ? name : UNKNOWN_SOURCE;
  }

  /** One answered delivery. */
  answered(sourceName: string | undefined, statusCode: number): void {
    const source = this.sourceLabel(sourceName);
    received.inc({ source });
    if (statusCode === 202) accepted.inc({ source });
    else if (statusCode >= 400) refused.inc({ source, code: String(statusCode) });
  }

  /** An accepted delivery whose alert joined an open incident (the source is authenticated, so configured). */
  static deduplicated(source: string): void {
    deduplicated.inc({ source });
  }
}
