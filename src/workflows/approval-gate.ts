import { condition, patched, proxyActivities, proxyLocalActivities, setHandler, uuid4 } from '@temporalio/workflow';
import type {
  ApprovalDecisionInput,
  ApprovalDecisionResult,
  ApprovalVote,
  PendingApprovalView,
} from '../approvals/messages';
import { REQUESTER, validateApproval, workflowNow } from '../approvals/validate-approval';
import { ENGINE_ACTOR } from '../engine/audit-helpers';
import type { AuditContext, InterlockActivities } from '../engine/contracts';
import type { PolicyDecision } from '../policy/types';
import { AUDIT_ACTIVITY, AUDIT_LOCAL_ACTIVITY } from './activity-options';
import type { BackgroundNotifications } from './background';
import { decideApprovalUpdate, pendingApprovalsQuery } from './definitions';

/**
 * The workflow side of approvals: asks, waits (with a reminder) and records each vote. Its
 * validator, messages and read model are in src/approvals/; it stays here because it is
 * workflow code (it schedules activities and registers handlers in the workflow sandbox).
 */

const { requestApproval, recordApprovalVote, closeApproval, recordApprovalOutcome, recordAudit } =
  proxyActivities<InterlockActivities>(AUDIT_ACTIVITY);
const local = proxyLocalActivities<InterlockActivities>(AUDIT_LOCAL_ACTIVITY);

/**
 * Runs of 2026-12-02 carried a decision out in the workflow task that accepted it: its vote and
 * the request's closing written by local activities, not regular ones each costing a server
 * round trip and a workflow task (docs/benchmarks.md#parked-incidents). Runs recorded before it
 * wrote them as regular activities, as runs with APPROVAL_OUTCOME_AFTER_ACCEPTANCE do again.
 * The playbook run checks the same patch before it tells its incident that it no longer waits.
 */
export const APPROVAL_OUTCOME_IN_ONE_TASK = 'approval-outcome-in-one-task';
/**
 * ...and undone: a local activity runs before the server has recorded the task, so when that
 * task failed (its worker killed, or over its timeout on a loaded machine) the vote and the
 * closing were already written — the approval showed as approved — while the decision itself
 * was never recorded in the run's history and the action never ran (69 of 200 approved actions
 * in the production-server fault run, docs/benchmarks.md#fault-run). Written by regular
 * activities, scheduled in the task that accepts the decision, nothing is written unless the
 * server recorded that task: an approval whose decision was lost still shows as pending, and
 * the operator's retry (or Slack click) delivers it again.
 */
export const APPROVAL_OUTCOME_AFTER_ACCEPTANCE = 'approval-outcome-after-acceptance';
const inOneTask = (): boolean => !patched(APPROVAL_OUTCOME_AFTER_ACCEPTANCE) && patched(APPROVAL_OUTCOME_IN_ONE_TASK);
/**
 * A vote that decides the approval is written together with the request's closing: one regular
 * activity (recordApprovalOutcome: the votes not yet written, then the closing, the same records
 * and keys as recordApprovalVote and closeApproval), scheduled by the workflow task that accepted
 * the decision, so still nothing is written before the server recorded that task. On the way
 * from the decision to its action that is one round trip and one workflow task fewer
 * (docs/benchmarks.md#parked-incidents). Runs recorded before it wrote the vote, and then in a
 * task of its own the closing.
 */
export const APPROVAL_OUTCOME_WRITTEN_TOGETHER = 'approval-outcome-written-together';

export interface ApprovalOutcome {
  approvalId: string;
  status: 'approved' | 'rejected' | 'expired';
  votes: ApprovalVote[];
  /** Set when a break-glass operator forced the approval (rule 11). */
  breakGlass?: { operatorId: string; justification: string };
}

/**
 * Approval requests of one workflow run: registers the decision Update (with its validator)
 * and the pending-approvals query, and waits for each request's outcome with reminders.
 */
export class ApprovalGate {
  private readonly approvals = new Map<string, PendingApprovalView>();

  constructor(private readonly notifications: BackgroundNotifications) {
    setHandler(pendingApprovalsQuery, () => [...this.approvals.values()]);
    setHandler(decideApprovalUpdate, (decision: ApprovalDecisionInput) => this.applyDecision(decision), {
      validator: (decision: ApprovalDecisionInput) =>
        validateApproval(this.approvals.get(decision.approvalId), decision),
    });
  }

  /** Asks for approval of a decided action and waits until it is approved, rejected or expired. */
  async request(decision: PolicyDecision, context: AuditContext): Promise<ApprovalOutcome> {
    const requirement = decision.approval;
    if (requirement === undefined) throw new Error('approval requested for a decision that needs none');
    const approvalId = `apr-${uuid4()}`;
    const requestedAtMs = workflowNow();
    const expiresAtMs = requestedAtMs + requirement.ttlMs;
    const expiresAt = new Date(expiresAtMs).toISOString();
    const view: PendingApprovalView = {
      approvalId,
      stepId: context.stepId ?? '',
      actionDigest: decision.actionDigest,
      requiredApprovals: requirement.approvals,
      requiredRoles: requirement.roles,
      expiresAt,
      status: 'pending',
      votes: [],
      rule: decision.rule,
    };
    // Registered before the request is published, so a decision can never arrive for an
    // approval this run does not know yet.
    this.approvals.set(approvalId, view);
    await requestApproval({ approvalId, decision, requestedBy: REQUESTER, expiresAt, context });
    this.notifications.send({ kind: 'approval.requested', context, approvalId, decision, expiresAt });

    let recorded = 0;
    /** Set once the closing was written with the deciding vote (APPROVAL_OUTCOME_WRITTEN_TOGETHER). */
    let closed = false;
    const voteRecord = (index: number) => ({
      approvalId,
      vote: view.votes[index] as ApprovalVote,
      decision,
      voteIndex: index + 1,
      context,
    });
    const notifyVote = (index: number) => {
      const approvalsGiven = view.votes.slice(0, index + 1).filter((v) => v.decision === 'approve').length;
      this.notifications.send({
        kind: 'approval.vote',
        context,
        approvalId,
        decision,
        vote: view.votes[index] as ApprovalVote,
        approvalsRemaining: Math.max(0, view.requiredApprovals - approvalsGiven),
      });
    };
    const recordNewVotes = async () => {
      while (recorded < view.votes.length) {
        if (view.status !== 'pending' && !inOneTask() && patched(APPROVAL_OUTCOME_WRITTEN_TOGETHER)) {
          // Decided: the votes left (the deciding one last; no vote is accepted after it) and the closing.
          const from = recorded;
          recorded = view.votes.length;
          const votes = view.votes.slice(from).map((_, i) => voteRecord(from + i));
          const closing = { approvalId, status: view.status, decision, votes: view.votes, context };
          await recordApprovalOutcome({ votes, closing });
          closed = true;
          for (let index = from; index < recorded; index += 1) notifyVote(index);
          return;
        }
        const index = recorded;
        recorded += 1;
        const input = voteRecord(index);
        await (inOneTask() ? local.recordApprovalVote(input) : recordApprovalVote(input));
        notifyVote(index);
      }
    };

    // Wait for votes until decided or expired, auditing each vote as it arrives; remind
    // once when escalateAfter passes without a decision.
    const escalateAtMs =
      requirement.escalateAfterMs > 0 && requirement.escalateAfterMs < requirement.ttlMs
        ? requestedAtMs + requirement.escalateAfterMs
        : undefined;
    let escalated = false;
    while (view.status === 'pending') {
      const now = workflowNow();
      if (now >= expiresAtMs) break;
      const wakeAt = !escalated && escalateAtMs !== undefined ? Math.min(escalateAtMs, expiresAtMs) : expiresAtMs;
      const woke = await condition(
        () => view.status !== 'pending' || recorded < view.votes.length,
        Math.max(1, wakeAt - now),
      );
      await recordNewVotes();
      if (
        !woke &&
        !escalated &&
        escalateAtMs !== undefined &&
        workflowNow() >= escalateAtMs &&
        view.status === 'pending'
      ) {
        escalated = true;
        await recordAudit({
          ...context,
          idempotencyKey: `${approvalId}:escalated`,
          time: new Date().toISOString(),
          actor: ENGINE_ACTOR,
          eventType: 'approval.escalated',
          approval: { approvalId, actionDigest: decision.actionDigest, expiresAt },
          details: {
            approvalsGiven: view.votes.filter((v) => v.decision === 'approve').length,
            requiredApprovals: view.requiredApprovals,
          },
        });
        this.notifications.send({ kind: 'approval.escalated', context, approvalId, decision, expiresAt });
      }
    }
    await recordNewVotes();
    if (view.status === 'pending') view.status = 'expired';
    const status = view.status;
    const closing = { approvalId, status, decision, votes: view.votes, context };
    if (!closed) await (inOneTask() ? local.closeApproval(closing) : closeApproval(closing));
    this.notifications.send({ kind: 'approval.closed', context, approvalId, decision, status, votes: view.votes });
    const forcedBy = view.votes.find((v) => v.breakGlass !== undefined);
    return {
      approvalId,
      status,
      votes: view.votes,
      ...(forcedBy?.breakGlass === undefined
        ? {}
        : { breakGlass: { operatorId: forcedBy.operatorId, justification: forcedBy.breakGlass.justification } }),
    };
  }

  private applyDecision(decision: ApprovalDecisionInput): ApprovalDecisionResult {
    const approval = this.approvals.get(decision.approvalId) as PendingApprovalView;
    const vote: ApprovalVote = {
      operatorId: decision.operator.id,
      roles: decision.operator.roles,
      decision: decision.decision,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      channel: decision.channel,
      at: new Date().toISOString(),
      ...(decision.breakGlass === undefined
        ? {}
        : { breakGlass: { justification: decision.breakGlass.justification } }),
    };
    approval.votes.push(vote);
    const approvalsGiven = approval.votes.filter((v) => v.decision === 'approve').length;
    if (decision.decision === 'reject') approval.status = 'rejected';
    else if (decision.breakGlass !== undefined || approvalsGiven >= approval.requiredApprovals)
      approval.status = 'approved';
    return {
      approvalId: approval.approvalId,
      status: approval.status === 'approved' || approval.status === 'rejected' ? approval.status : 'pending',
      approvalsRemaining: Math.max(0, approval.requiredApprovals - approvalsGiven),
      vote: { ...vote },
      ...(decision.requestDigest === undefined ? {} : { requestDigest: decision.requestDigest }),
    };
  }
}
