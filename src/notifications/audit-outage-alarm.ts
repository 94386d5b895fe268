import type { AuditContext } from '../engine/contracts';
import type { Notifier } from '../engine/notification-events';
import type { Logger } from '../logging';
import { isConnectionFailure } from '../db/connection-errors';

/** How often one process may alert about the same outage. */
export const AUDIT_OUTAGE_ALERT_INTERVAL_MS = 5 * 60_000;
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * Rule 9, "people are alerted": when an audit write cannot reach PostgreSQL, OT actions hold
 * (the write is retried until it succeeds) and this tells the OT approvers, safety owners and
 * SOC — at most once per interval per process, whatever the number of failing writes. Never
 * throws and never delays the caller: the audit retry must not wait on SMTP or Slack.
 */
export class AuditOutageAlarm {
  private lastAlertAt: number | undefined;
  private sending = false;

  constructor(
    private readonly notifier: Notifier,
    private readonly log: Logger,
    private readonly intervalMs = AUDIT_OUTAGE_ALERT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reports a failed audit write; alerts when it is a connection failure and none was sent recently. */
  report(error: unknown, context: AuditContext): void {
    if (!isConnectionFailure(error) || this.sending) return;
    const now = this.now();
    if (this.lastAlertAt !== undefined && now - this.lastAlertAt < this.intervalMs) return;
    this.lastAlertAt = now;
    this.sending = true;
    const message = error instanceof Error ? error.message : String(error);
    this.log.error({ incidentId: context.incidentId, error: message }, 'audit store unreachable: alerting people');
    this.notifier
      .notify({
        kind: 'people.alerted',
        context,
        alertId: `audit-store-unreachable:${process.pid}:${new Date(now).toISOString()}`,
        subject: 'Audit store unreachable: OT actions are on hold',
        rule: 'rule-9-fail-safe',
        reason: `The audit store (PostgreSQL) cannot be reached (${message}). No OT-affecting action runs until it is back; audit records are retried and nothing is lost. Check the database.`,
      })
      .catch((notifyError: unknown) => {
        // Not delivered everywhere: a failing write may try again after a short pause.
        this.lastAlertAt = now - this.intervalMs + RETRY_AFTER_FAILURE_MS;
        this.log.error(
          { error: notifyError instanceof Error ? notifyError.message : String(notifyError) },
          'could not alert people about the audit store outage',
        );
      })
      .finally(() => {
        this.sending = false;
      });
  }
}
