import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import type { NotificationEvent, Notifier } from '../engine/notification-events';
import { SILENT_NOTIFIER } from '../engine/notification-events';
import type { InterlockConfig } from '../config/schema';
import { EmailClient } from '../../integrations/email';
import { SlackClient, SlackRejected } from '../../integrations/slack';
import { notificationFailed } from '../metrics/notifications';
import { DeliveryStore } from './delivery-store';
import { EmailNotifier } from './email-notifier';
import { Directory } from './links';
import { SlackNotifier } from './slack-notifier';

interface Channel {
  name: 'slack' | 'email';
  notify(event: NotificationEvent): Promise<void>;
}

/**
 * Delivers each event to every configured channel. A failing channel does not keep the others
 * from delivering; the error is rethrown so the activity retries (deliveries already made are
 * skipped by their delivery keys). A permanent Slack refusal is not retried.
 */
export class FanOutNotifier implements Notifier {
  constructor(private readonly channels: readonly Channel[]) {}

  async notify(event: NotificationEvent): Promise<void> {
    const results = await Promise.allSettled(this.channels.map((channel) => channel.notify(event)));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected'
        ? [{ channel: this.channels[i]?.name ?? ('?' as const), error: result.reason as unknown }]
        : [],
    );
    if (failures.length === 0) return;
    for (const failure of failures) if (failure.channel !== '?') notificationFailed(failure.channel, event.kind);
    const message = failures
      .map((f) => `${f.channel}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
      .join('; ');
    if (failures.every((f) => f.error instanceof SlackRejected))
      throw ApplicationFailure.nonRetryable(message, 'NotificationRejected');
    throw new Error(message);
  }
}

/** The notifier for this configuration: Slack and/or email, or silence when neither is set. */
export function createNotifier(config: InterlockConfig, pool: Pool): Notifier {
  const store = new DeliveryStore(pool);
  const directory = new Directory(config);
  const channels: Channel[] = [];
  if (config.slack !== undefined) {
    const slack = new SlackClient({ botToken: config.slack.botToken, apiUrl: config.slack.apiUrl });
    const notifier = new SlackNotifier(slack, store, directory);
    channels.push({ name: 'slack', notify: (event) => notifier.notify(event) });
  }
  if (config.email !== undefined) {
    const notifier = new EmailNotifier(new EmailClient(config.email), store, directory);
    channels.push({ name: 'email', notify: (event) => notifier.notify(event) });
  }
  return channels.length === 0 ? SILENT_NOTIFIER : new FanOutNotifier(channels);
}
