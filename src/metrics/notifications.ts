import { counter } from './registry';

const failures = counter(
  'interlock_notification_failures_total',
  'Notification deliveries that failed (each attempt), by channel (slack, email) and event kind',
  ['channel', 'kind'],
);
for (const channel of ['slack', 'email']) failures.inc({ channel, kind: 'incident.opened' }, 0);

/** `kind`: the notification event's kind (a closed set: src/engine/notification-events.ts). */
export function notificationFailed(channel: 'slack' | 'email', kind: string): void {
  failures.inc({ channel, kind });
}
