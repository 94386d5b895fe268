import type { InterlockActivities, PeopleAlertRequest } from '../engine/contracts';
import type { NotificationEvent } from '../engine/notification-events';
import { ENGINE, nowIso, type ActivityDeps, type AuditWriter } from './activity-support';

/** Telling people: notifications the workflows emit, and alerts that need people now. */
export function createNotificationActivities(
  deps: ActivityDeps,
  { appendAudit }: AuditWriter,
): Pick<InterlockActivities, 'notify' | 'alertPeople'> {
  return {
    /** Delivers a notification (Slack, email); the workflow does not wait on it. */
    async notify(event: NotificationEvent): Promise<void> {
      await deps.notifier.notify(event);
    },

    /** Rule 9 and escalations: people are alerted (audited; routed by the notifier). */
    async alertPeople(input: PeopleAlertRequest): Promise<void> {
      await appendAudit({
        ...input.context,
        idempotencyKey: input.idempotencyKey,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'people.alerted',
        decision: { outcome: 'refuse', rule: input.rule, reason: input.reason },
        result: { status: 'pending', detail: input.reason },
      });
      // Delivered by the notifier; a Slack or SMTP outage must not hold the workflow here.
      try {
        await deps.notifier.notify({
          kind: 'people.alerted',
          context: input.context,
          alertId: input.idempotencyKey,
          subject:
            input.rule === 'rule-5-safety-system'
              ? `Safety system involved in incident ${input.context.incidentId}: action refused`
              : `Fail-safe in incident ${input.context.incidentId}: nothing was done`,
          rule: input.rule,
          reason: input.reason,
        });
      } catch (error) {
        deps.log.error(
          { err: error, incidentId: input.context.incidentId, rule: input.rule },
          'could not deliver the people.alerted notification',
        );
      }
    },
  };
}
