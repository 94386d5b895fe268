import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { InterlockActivities } from '../engine/contracts';
import type { NotificationEvent } from '../engine/notification-events';
import { AUDIT_ACTIVITY, NOTIFY_ACTIVITY } from './activity-options';
import { ENGINE_ACTOR } from '../engine/audit-helpers';

const { notify } = proxyActivities<InterlockActivities>(NOTIFY_ACTIVITY);
const { recordAudit } = proxyActivities<InterlockActivities>(AUDIT_ACTIVITY);

/**
 * Notifications run beside the workflow's safety logic, never in its way: a workflow starts
 * them, carries on, and waits for them only before it completes. A delivery that still fails
 * after its retries is audited.
 */
export class BackgroundNotifications {
  private readonly pending: Promise<void>[] = [];
  private count = 0;

  /** @param enabled false when no channel is configured: nothing is scheduled. */
  constructor(public enabled = true) {}

  send(event: NotificationEvent): void {
    if (!this.enabled) return;
    this.count += 1;
    const key = `${workflowInfo().runId}:notify:${this.count}`;
    this.pending.push(
      notify(event).catch((error: unknown) =>
        recordAudit({
          ...event.context,
          idempotencyKey: key,
          time: new Date().toISOString(),
          actor: ENGINE_ACTOR,
          eventType: 'notification.failed',
          result: {
            status: 'failed',
            detail: `${event.kind}: ${error instanceof Error ? error.message : String(error)}`,
          },
        }),
      ),
    );
  }

  /** Resolves once every notification started so far was delivered or its failure audited. */
  async settle(): Promise<void> {
    while (this.pending.length > 0) await this.pending.shift();
  }
}
