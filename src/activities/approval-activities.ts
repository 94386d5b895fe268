import { ApplicationFailure } from '@temporalio/activity';
import { ApprovalMetrics } from '../metrics/approvals';
import type {
  ApprovalClosing,
  ApprovalOutcomeRecord,
  ApprovalRequest,
  ApprovalVoteRecord,
  InterlockActivities,
} from '../engine/contracts';
import {
  ENGINE,
  actionOf,
  decisionFields,
  nowIso,
  targetOf,
  type ActivityDeps,
  type AuditWriter,
} from './activity-support';

/**
 * The approval side effects of the workflow's ApprovalGate (src/workflows/approval-gate.ts):
 * the approvals read model (src/approvals/approval-store.ts) and the audit trail.
 */
export function createApprovalActivities(
  deps: ActivityDeps,
  { appendAudit }: AuditWriter,
): Pick<InterlockActivities, 'requestApproval' | 'recordApprovalVote' | 'closeApproval' | 'recordApprovalOutcome'> {
  const { approvals } = deps;
  const metrics = new ApprovalMetrics(deps.config.zones.map((zone) => zone.id));

  /**
   * Audits one operator's vote, in the order votes were accepted, and shows it in the
   * approvals read model (the API may have done so already; recordVote is idempotent).
   */
  async function writeVote(input: ApprovalVoteRecord): Promise<void> {
    const { vote, decision } = input;
    // The record and the read model at once: both are idempotent, a retry writes what is missing.
    const shown = approvals.recordVote(input.approvalId, { ...vote });
    const audited = appendAudit({
      ...input.context,
      idempotencyKey: `${input.approvalId}:vote:${input.voteIndex}`,
      time: vote.at,
      actor: { type: 'operator', id: vote.operatorId, roles: vote.roles, channel: vote.channel },
      eventType: 'approval.decided',
      target: targetOf(decision),
      action: actionOf(decision),
      approval: {
        approvalId: input.approvalId,
        actionDigest: decision.actionDigest,
        approvers: [
          {
            operatorId: vote.operatorId,
            roles: vote.roles,
            decision: vote.decision,
            at: vote.at,
            channel: vote.channel,
          },
        ],
        ...(vote.breakGlass === undefined ? {} : { breakGlass: true, justification: vote.breakGlass.justification }),
      },
      ...(vote.breakGlass === undefined ? {} : { details: { reviewRequired: true } }),
      result: {
        status: vote.decision === 'approve' ? 'succeeded' : 'refused',
        ...(vote.reason === undefined ? {} : { detail: vote.reason }),
      },
    });
    await Promise.all([audited, shown]);
  }

  /** Records the final state of an approval request; true when it expired (the action is not taken). */
  async function writeClosing(input: ApprovalClosing): Promise<boolean> {
    const status = input.status === 'pending' ? 'expired' : input.status;
    await approvals.markDecided(
      input.approvalId,
      status,
      input.votes.map((vote) => ({ ...vote })),
      nowIso(),
    );
    if (status !== 'expired') return false;
    await appendAudit({
      ...input.context,
      idempotencyKey: `${input.approvalId}:expired`,
      time: nowIso(),
      actor: ENGINE,
      eventType: 'approval.expired',
      target: targetOf(input.decision),
      action: actionOf(input.decision),
      decision: {
        outcome: 'refuse',
        rule: 'rule-8-approval-expired',
        reason: 'no decision before expiry: do not act',
      },
      approval: { approvalId: input.approvalId, actionDigest: input.decision.actionDigest },
      result: { status: 'skipped', detail: 'approval expired: the action was not taken' },
    });
    return true;
  }

  return {
    async requestApproval(input: ApprovalRequest): Promise<void> {
      const { decision, context } = input;
      const requirement = decision.approval;
      if (requirement === undefined)
        throw ApplicationFailure.nonRetryable(
          'approval requested for a decision that needs none',
          'InvalidApprovalRequest',
        );
      await approvals.recordRequested({
        id: input.approvalId,
        incidentId: context.incidentId,
        workflowId: context.workflowId,
        playbookId: context.playbookId ?? '',
        stepId: context.stepId ?? '',
        action: { ...decision.action },
        target: { ...targetOf(decision) },
        decision: { outcome: decision.outcome, rule: decision.rule, reason: decision.reason },
        requiredApprovals: requirement.approvals,
        requiredRoles: requirement.roles,
        requestedBy: input.requestedBy,
        actionDigest: decision.actionDigest,
        enforcementPoint: decision.enforcementPoint,
        createdAt: nowIso(),
        expiresAt: input.expiresAt,
      });
      await appendAudit({
        ...context,
        idempotencyKey: `${input.approvalId}:requested`,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'approval.requested',
        ...decisionFields(decision),
        approval: {
          approvalId: input.approvalId,
          requester: input.requestedBy,
          requiredApprovals: requirement.approvals,
          requiredRoles: requirement.roles,
          expiresAt: input.expiresAt,
          actionDigest: decision.actionDigest,
        },
      });
      metrics.requested(decision.target.zone);
    },

    /** One vote, in the order votes were accepted (writeVote). */
    async recordApprovalVote(input: ApprovalVoteRecord): Promise<void> {
      await writeVote(input);
      metrics.voted(input.vote.channel, input.vote.decision);
    },

    /** Records the final state of an approval request; expiry means the action is not taken. */
    async closeApproval(input: ApprovalClosing): Promise<void> {
      if (await writeClosing(input)) metrics.expired(input.decision.target.zone);
    },

    /**
     * The votes not yet written, then the closing: what recordApprovalVote for each vote and
     * closeApproval write, in that order, in one activity — one server round trip and one
     * workflow task instead of two each on the way from a decision to its action. A retry
     * writes again what is missing (every write is idempotent); the metrics count once, at the end.
     */
    async recordApprovalOutcome(input: ApprovalOutcomeRecord): Promise<void> {
      for (const vote of input.votes) await writeVote(vote);
      const expired = await writeClosing(input.closing);
      for (const { vote } of input.votes) metrics.voted(vote.channel, vote.decision);
      if (expired) metrics.expired(input.closing.decision.target.zone);
    },
  };
}
