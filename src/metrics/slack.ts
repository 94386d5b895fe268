import { counter } from './registry';

/** Why a request to POST /slack/interactions was refused before it was authenticated. */
export const SLACK_REFUSAL_REASONS = [
  'missing_signature',
  'stale_timestamp',
  'bad_signature',
  'replayed_request',
] as const;
export type SlackRefusalReason = (typeof SLACK_REFUSAL_REASONS)[number];

export const slackRequestsRefused = counter(
  'interlock_slack_requests_refused_total',
  'Requests to POST /slack/interactions refused before authentication (missing, bad or stale signature, replay); counted, not audited',
  ['reason'],
);
// Every reason is exported from the start (at 0), so a rate() over it needs no first refusal.
for (const reason of SLACK_REFUSAL_REASONS) slackRequestsRefused.inc({ reason }, 0);
