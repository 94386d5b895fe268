import type { KnownBlock } from '@slack/web-api';
import type { AuditContext } from '../engine/contracts';
import { describeAction } from '../policy/describe-action';
import type { PolicyDecision } from '../policy/types';
import type { ApprovalVote } from '../approvals/messages';
import type { ApprovalMessage } from './delivery-store';
import { approvalLink, incidentLinks, type Directory } from './links';

/** Slack action IDs of the approval buttons; the interactions endpoint accepts only these. */
export const APPROVE_ACTION_ID = 'interlock.approval.approve';
export const REJECT_ACTION_ID = 'interlock.approval.reject';

export interface SlackText {
  text: string;
  blocks: KnownBlock[];
}

/** Slack mrkdwn escaping of untrusted text (alert titles come from outside). */
export function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function targetName(decision: PolicyDecision): string {
  return decision.target.assetId ?? decision.target.ref;
}

/** "plc-7 in line1-cell (Purdue 1, criticality high)" */
export function describeTarget(decision: PolicyDecision): string {
  const t = decision.target;
  const parts = [t.zone === undefined ? 'no known zone' : `zone ${t.zone}`];
  if (t.purdueLevel !== undefined) parts.push(`Purdue level ${t.purdueLevel}`);
  if (t.criticality !== undefined) parts.push(`criticality ${t.criticality}`);
  if (t.safetySystem === true) parts.push('SAFETY SYSTEM');
  return `${targetName(decision)} (${parts.join(', ')})`;
}

/** The technical form as inline code: a backtick in it would end the code span. */
function code(technical: string): string {
  return `\`${escapeMrkdwn(technical.replace(/`/g, "'"))}\``;
}

function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${iso}>`;
}

function remaining(decision: PolicyDecision, votes: readonly ApprovalVote[]): number {
  const required = decision.approval?.approvals ?? 1;
  return Math.max(0, required - votes.filter((v) => v.decision === 'approve').length);
}

function voteLine(vote: ApprovalVote, directory: Directory): string {
  const verb = vote.decision === 'approve' ? ':white_check_mark: approved' : ':x: rejected';
  const reason = vote.reason === undefined ? '' : ` — “${escapeMrkdwn(vote.reason)}”`;
  return `${verb} by *${escapeMrkdwn(directory.nameOf(vote.operatorId))}* at ${slackDate(vote.at)} via ${vote.channel}${reason}`;
}

const FINAL_TEXT: Record<Exclude<ApprovalMessage['status'], 'pending'>, string> = {
  approved: ':white_check_mark: *Approved* — the action goes ahead through the execution gate.',
  rejected: ':no_entry: *Rejected* — the action will not be taken.',
  expired: ':hourglass: *Expired* — no decision in time: nothing was done (rule 8).',
};

/**
 * The approval request as Block Kit: what, on which target, why, how many approvals are
 * still needed and until when; buttons while it is pending, the outcome once decided.
 */
export function approvalMessage(
  input: {
    approvalId: string;
    decision: PolicyDecision;
    context: AuditContext;
    expiresAt: string;
    status: ApprovalMessage['status'];
    votes: readonly ApprovalVote[];
  },
  directory: Directory,
): SlackText {
  const { approvalId, decision, context, expiresAt, status, votes } = input;
  const requirement = decision.approval;
  const stillNeeded = remaining(decision, votes);
  const links = incidentLinks(directory.publicUrl, context.incidentId);
  const trigger = context.trigger;
  const described = describeAction(decision);
  const why = [
    trigger === undefined
      ? undefined
      : `*Alert:* ${escapeMrkdwn(trigger.title)} (${trigger.severity}, from ${trigger.source})`,
    context.playbookId === undefined ? undefined : `*Playbook:* ${context.playbookId} step ${context.stepId ?? '?'}`,
    `*Policy:* ${decision.rule} — ${escapeMrkdwn(decision.reason)}`,
  ].filter((line): line is string => line !== undefined);

  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `Approval needed: ${described.text}`.slice(0, 150),
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Proposed action:* ${escapeMrkdwn(described.text)}\n${code(described.technical)}`,
      },
      fields: [
        { type: 'mrkdwn', text: `*Asset:*\n${escapeMrkdwn(targetName(decision))}` },
        { type: 'mrkdwn', text: `*Zone:*\n${decision.target.zone ?? 'unknown (treated as OT)'}` },
        { type: 'mrkdwn', text: `*Purdue level:*\n${decision.target.purdueLevel ?? 'unknown'}` },
        { type: 'mrkdwn', text: `*Criticality:*\n${decision.target.criticality ?? 'unknown'}` },
        {
          type: 'mrkdwn',
          text: `*Approvals still needed:*\n${stillNeeded} of ${requirement?.approvals ?? 1} (roles: ${(requirement?.roles ?? []).join(', ')})`,
        },
        { type: 'mrkdwn', text: `*Expires:*\n${slackDate(expiresAt)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: why.join('\n') } },
  ];
  if (votes.length > 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: votes.map((vote) => voteLine(vote, directory)).join('\n') },
    });
  }
  if (status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval:${approvalId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION_ID,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: approvalId,
          confirm: {
            title: { type: 'plain_text', text: 'Approve this OT change?' },
            text: {
              type: 'mrkdwn',
              text: `${escapeMrkdwn(described.text)} — ${escapeMrkdwn(describeTarget(decision))}`.slice(0, 300),
            },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button',
          action_id: REJECT_ACTION_ID,
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value: approvalId,
        },
      ],
    });
  } else {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: FINAL_TEXT[status] } });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Approval <${approvalLink(directory.publicUrl, approvalId)}|${approvalId}> (open in the console) · incident <${links.incident}|${context.incidentId}> · <${links.audit}|audit trail>`,
      },
    ],
  });
  const state = status === 'pending' ? `${stillNeeded} approval(s) still needed` : status;
  return {
    text: `Approval ${approvalId}: ${described.text} (${described.technical}), ${state}, expires ${expiresAt}`,
    blocks,
  };
}

/** A plain message with the incident links below it. */
export function noticeMessage(text: string, incidentId: string, directory: Directory): SlackText {
  const links = incidentLinks(directory.publicUrl, incidentId);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `<${links.incident}|incident ${incidentId}> · <${links.audit}|audit trail>` },
        ],
      },
    ],
  };
}
