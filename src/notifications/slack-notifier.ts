import type { NotificationEvent } from '../engine/notification-events';
import type { SlackClient } from '../../integrations/slack';
import { describeActionLine } from '../policy/describe-action';
import type { DeliveryStore } from './delivery-store';
import type { Directory } from './links';
import { approvalMessage, escapeMrkdwn, noticeMessage } from './slack-messages';

/** The approval request's message is posted by another (possibly still retrying) activity. */
export class ApprovalMessageNotPosted extends Error {
  override readonly name = 'ApprovalMessageNotPosted';
}

/**
 * Slack delivery of notification events. Each post is idempotent: approval messages are
 * remembered by approval ID, other posts by a delivery key, both in PostgreSQL.
 */
export class SlackNotifier {
  constructor(
    private readonly slack: SlackClient,
    private readonly store: DeliveryStore,
    private readonly directory: Directory,
  ) {}

  async notify(event: NotificationEvent): Promise<void> {
    const { incidentId, workflowId, runId } = event.context;
    switch (event.kind) {
      case 'incident.opened':
        await this.post(
          `slack:incident.opened:${workflowId}:${runId}`,
          undefined,
          `:rotating_light: Incident *${incidentId}* opened: ${escapeMrkdwn(event.title)} (severity ${event.severity})`,
          incidentId,
        );
        return;
      case 'incident.closed':
        await this.post(
          `slack:incident.closed:${workflowId}:${runId}`,
          undefined,
          `:white_check_mark: Incident *${incidentId}* closed after ${event.alertCount} alert(s) (${event.duplicateCount} duplicate(s)).`,
          incidentId,
        );
        return;
      case 'incident.unhandled': {
        // The SOC channel, naming the zones' owners and shift leads so they are told too.
        const owners = this.directory.slackMentionsOf(event.zones.flatMap((z) => this.directory.plantContactsOf(z)));
        await this.post(
          `slack:incident.unhandled:${incidentId}:${runId}`,
          undefined,
          `:warning: *Unhandled OT alert* in incident *${incidentId}*: ${escapeMrkdwn(event.title)} (severity ${event.severity}, from ${escapeMrkdwn(event.source)}) — ${escapeMrkdwn(event.reason)}. No playbook acted: someone must look.${owners.length === 0 ? '' : ` Zone owners: ${owners.join(' ')}`}`,
          incidentId,
        );
        return;
      }
      case 'playbook.finished': {
        const lines = event.outcomes.map(
          (o) => `• \`${o.stepId}\`: ${o.status}${o.rule === undefined ? '' : ` (${o.rule})`}`,
        );
        const contained = event.outcomes.some((o) => o.status === 'executed');
        await this.post(
          `slack:playbook.finished:${workflowId}:${runId}`,
          undefined,
          `${contained ? ':shield: Contained' : ':clipboard: Playbook finished'} — *${event.context.playbookId ?? 'playbook'}* for incident *${incidentId}*:\n${lines.join('\n')}`,
          incidentId,
        );
        return;
      }
      case 'approval.requested': {
        if ((await this.store.findApprovalMessage(event.approvalId)) !== undefined) return;
        const message = approvalMessage({ ...event, status: 'pending', votes: [] }, this.directory);
        const channel = this.directory.slackChannelFor(event.decision.target.zone);
        const posted = await this.slack.postMessage({ channel, ...message });
        await this.store.saveApprovalMessage({
          approvalId: event.approvalId,
          channel: posted.channel,
          ts: posted.ts,
          expiresAt: event.expiresAt,
        });
        return;
      }
      case 'approval.vote':
        await this.refresh(event, { votes: [event.vote] });
        return;
      case 'approval.closed': {
        await this.refresh(event, { votes: event.votes, status: event.status });
        if (event.status === 'expired') {
          const stored = await this.store.findApprovalMessage(event.approvalId);
          await this.post(
            `slack:approval.expired:${event.approvalId}`,
            stored,
            `:hourglass: Approval \`${event.approvalId}\` to ${escapeMrkdwn(describeActionLine(event.decision))} expired without a decision. *Nothing was done.*`,
            incidentId,
          );
        }
        return;
      }
      case 'people.alerted': {
        const message = noticeMessage(
          `:rotating_light: *${escapeMrkdwn(event.subject)}* — ${escapeMrkdwn(event.reason)} (${event.rule})`,
          incidentId,
          this.directory,
        );
        // Delivered even when PostgreSQL is down (the alarm may be about it).
        await this.store.onceBestEffort(`slack:people.alerted:${event.alertId}`, async () => {
          await this.slack.postMessage({ channel: this.directory.slackChannelFor(undefined), ...message });
        });
        return;
      }
      case 'approval.escalated': {
        const stored = await this.store.findApprovalMessage(event.approvalId);
        const approvers = this.directory.approversWith(event.decision.approval?.roles ?? []);
        await this.post(
          `slack:approval.escalated:${event.approvalId}`,
          stored,
          `:alarm_clock: Reminder: approval \`${event.approvalId}\` to ${escapeMrkdwn(describeActionLine(event.decision))} is still waiting (approvers: ${approvers.join(', ')}). It expires at ${event.expiresAt}; after that nothing will be done.`,
          incidentId,
        );
        return;
      }
    }
  }

  /** Re-renders the approval message with what is now known (chat.update). */
  private async refresh(
    event: Extract<NotificationEvent, { kind: 'approval.vote' | 'approval.closed' }>,
    change: Parameters<DeliveryStore['updateApprovalMessage']>[1],
  ): Promise<void> {
    const updated = await this.store.updateApprovalMessage(event.approvalId, change, async (message) => {
      const rendered = approvalMessage({ ...event, ...message }, this.directory);
      await this.slack.update(message.channel, message.ts, rendered.text, rendered.blocks);
      return true;
    });
    if (updated === undefined)
      throw new ApprovalMessageNotPosted(`the Slack message of approval ${event.approvalId} is not posted yet`);
  }

  /** Posts once per key; in the approval message's thread when there is one. */
  private async post(
    key: string,
    thread: { channel: string; ts: string } | undefined,
    text: string,
    incidentId: string,
  ): Promise<void> {
    await this.store.once(key, async () => {
      const message = noticeMessage(text, incidentId, this.directory);
      await this.slack.postMessage({
        channel: thread?.channel ?? this.directory.slackChannelFor(undefined),
        ...message,
        ...(thread === undefined ? {} : { threadTs: thread.ts }),
      });
    });
  }
}
