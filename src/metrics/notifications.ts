import type { NotificationEvent } from '../engine/notification-events';
import { counter } from './registry';

const failures = counter(
  'interlock_notification_failures_total',
  'Notification deliveries that failed (each attempt), by channel (slack, email) and event kind',
  ['channel', 'kind'],
);
for (const channel of ['slack', 'email']) failures.inc({ channel, kind: 'incident.opened' }, 0);

export function notificationFailed(channel: 'slack' | 'email', kind: NotificationEvent['kind']): void {
  failures.inc({ channel, kind });
}
