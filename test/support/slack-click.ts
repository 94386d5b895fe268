/**
 * A Slack button click as Slack sends it to the interactivity URL: a `block_actions` payload,
 * form-encoded, signed with the app's signing secret (v0 HMAC-SHA256).
 */
import { signBody } from '../../src/api/slack/slack-signature';
import type { SlackStubMessage } from '../stubs/slack-stub';

export interface SlackClick {
  /** The clicking Slack user's ID (`U…`). */
  user: string;
  approvalId: string;
  action: 'approve' | 'reject';
  /** The approval message the button belongs to. */
  message: SlackStubMessage;
  /** Slack's `action_ts`; distinct per click. */
  actionTs: string;
}

/** The form-encoded body of a click on an approval message's button. */
export function slackClickBody(click: SlackClick): string {
  const { user, approvalId, action, message, actionTs } = click;
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0PLANT01' },
    api_app_id: 'A0INTERLOCK',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'plant-a-ot' },
    response_url: 'https://hooks.slack.com/actions/T0PLANT01/1/placeholder',
    actions: [
      {
        type: 'button',
        action_id: `interlock.approval.${action}`,
        block_id: `approval:${approvalId}`,
        value: approvalId,
        action_ts: actionTs,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The headers Slack sends with `body`, signed with `signingSecret` at `timestamp` (seconds). */
export function slackSignedHeaders(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${signBody(signingSecret, String(timestamp), body)}`,
  };
}
