import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActionRequest } from '../actions/catalog';
import type { InterlockActivities } from '../activities/activities';
import type { AuditEventInput } from '../audit/types';
import { ExpressionError, evaluateCondition, renderParams, renderTarget } from '../playbooks/expressions';
import type { PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';
import { ACTION_ACTIVITY, AUDIT_ACTIVITY, DECISION_ACTIVITY } from './activity-options';
import { ENGINE_ACTOR, triggerOf } from './audit-helpers';
import {
  decideApprovalUpdate,
  pendingApprovalsQuery,
  type ApprovalDecisionInput,
  type ApprovalDecisionResult,
  type ApprovalRefusal,
  type PendingApprovalView,
  type PlaybookRunInput,
} from './definitions';

const { recordAudit, requestApproval, recordApprovalVote, closeApproval } =
  proxyActivities<InterlockActivities>(AUDIT_ACTIVITY);
const { decideAction } = proxyActivities<InterlockActivities>(DECISION_ACTIVITY);
const { executeAction } = proxyActivities<InterlockActivities>(ACTION_ACTIVITY);

export interface StepOutcome {
  stepId: string;
  status: 'executed' | 'failed' | 'skipped' | 'refused' | 'recommended' | 'rejected' | 'expired';
  rule?: string;
  detail?: string;
}

/** Workflow time: the sandbox's deterministic clock (the current workflow task's start). */
function workflowNow(): number {
  return new Date().getTime();
}

/** The engine itself requests approvals; no operator may approve their own request. */
const REQUESTER = 'interlock';

function refuse(type: ApprovalRefusal, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * Interprets one playbook for one incident, step by step. Every action goes through the
 * policy engine (decideAction) and, when it says so, waits for operator approval sent as a
 * workflow Update; the validator refuses bad approvals before they enter history.
 */
export async function playbookRunWorkflow(input: PlaybookRunInput): Promise<StepOutcome[]> {
  const { incidentId, playbook, alert } = input;
  const { workflowId, runId } = workflowInfo();
  const approvals = new Map<string, PendingApprovalView>();
  const outcomes: StepOutcome[] = [];
  const stepResults: Record<string, StepOutcome> = {};

  setHandler(pendingApprovalsQuery, () => [...approvals.values()]);
  setHandler(
    decideApprovalUpdate,
    (decision: ApprovalDecisionInput): ApprovalDecisionResult => {
      const approval = approvals.get(decision.approvalId) as PendingApprovalView;
      approval.votes.push({
        operatorId: decision.operator.id,
        roles: decision.operator.roles,
        decision: decision.decision,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        channel: decision.channel,
        at: new Date().toISOString(),
      });
      const approvalsGiven = approval.votes.filter((v) => v.decision === 'approve').length;
      if (decision.decision === 'reject') approval.status = 'rejected';
      else if (approvalsGiven >= approval.requiredApprovals) approval.status = 'approved';
      return {
        approvalId: approval.approvalId,
        status: approval.status === 'approved' || approval.status === 'rejected' ? approval.status : 'pending',
        approvalsRemaining: Math.max(0, approval.requiredApprovals - approvalsGiven),
      };
    },
    { validator: (decision: ApprovalDecisionInput) => validateApproval(approvals.get(decision.approvalId), decision) },
  );

  const context = (stepId?: string) => ({
    incidentId,
    workflowId,
    runId,
    playbookId: playbook.id,
    playbookVersion: playbook.version,
    ...(stepId === undefined ? {} : { stepId }),
    trigger: triggerOf(alert),
  });
  const audit = (event: Omit<AuditEventInput, 'incidentId' | 'time' | 'actor'> & Partial<AuditEventInput>) =>
    recordAudit({ ...context(), time: new Date().toISOString(), actor: ENGINE_ACTOR, ...event });

  await audit({ idempotencyKey: `${runId}:started`, eventType: 'playbook.started', details: { name: playbook.name } });

  const vars = () => ({ alert, incident: { id: incidentId }, steps: stepResults });

  const runStep = async (step: PlaybookStep): Promise<StepOutcome> => {
    let action: ActionRequest;
    try {
      if (step.if !== undefined && !evaluateCondition(step.if, vars())) {
        await audit({
          idempotencyKey: `${runId}:${step.id}:skipped`,
          stepId: step.id,
          eventType: 'action.skipped',
          result: { status: 'skipped', detail: `condition false: ${step.if}` },
        });
        return { stepId: step.id, status: 'skipped', detail: 'condition false' };
      }
      action = {
        type: step.action,
        target: renderTarget(step.target, vars()),
        params: renderParams(step.params ?? {}, vars()),
      };
    } catch (error) {
      // An expression that cannot be evaluated for this alert fails the step, not the workflow task.
      if (!(error instanceof ExpressionError)) throw error;
      await audit({
        idempotencyKey: `${runId}:${step.id}:expression`,
        stepId: step.id,
        eventType: 'action.failed',
        result: { status: 'failed', detail: error.message },
      });
      return { stepId: step.id, status: 'failed', detail: error.message };
    }

    let decision: PolicyDecision;
    try {
      decision = await decideAction({
        action,
        context: context(step.id),
        idempotencyKey: `${runId}:${step.id}:policy`,
      });
    } catch (error) {
      // Rule 9: without a policy decision nothing runs.
      await audit({
        idempotencyKey: `${runId}:${step.id}:fail-safe`,
        stepId: step.id,
        eventType: 'action.skipped',
        decision: { outcome: 'refuse', rule: 'rule-9-fail-safe', reason: 'policy or inventory unreachable' },
        result: { status: 'refused', detail: errorMessage(error) },
      });
      return { stepId: step.id, status: 'refused', rule: 'rule-9-fail-safe' };
    }

    if (decision.outcome === 'refuse')
      return { stepId: step.id, status: 'refused', rule: decision.rule, detail: decision.reason };
    if (decision.outcome === 'recommend')
      return { stepId: step.id, status: 'recommended', rule: decision.rule, detail: decision.reason };

    let votes: PendingApprovalView['votes'] = [];
    let grantedApprovalId: string | undefined;
    if (decision.outcome === 'approve' && decision.approval !== undefined) {
      const approvalId = `apr-${uuid4()}`;
      const expiresAt = new Date(workflowNow() + decision.approval.ttlMs).toISOString();
      const view: PendingApprovalView = {
        approvalId,
        stepId: step.id,
        actionDigest: decision.actionDigest,
        requiredApprovals: decision.approval.approvals,
        requiredRoles: decision.approval.roles,
        expiresAt,
        status: 'pending',
        votes: [],
      };
      // Registered before the request is published, so a decision can never arrive for an
      // approval this run does not know yet.
      approvals.set(approvalId, view);
      await requestApproval({ approvalId, decision, requestedBy: REQUESTER, expiresAt, context: context(step.id) });
      let recordedVotes = 0;
      const recordNewVotes = async () => {
        while (recordedVotes < view.votes.length) {
          const vote = view.votes[recordedVotes] as PendingApprovalView['votes'][number];
          recordedVotes += 1;
          await recordApprovalVote({ approvalId, vote, decision, voteIndex: recordedVotes, context: context(step.id) });
        }
      };
      // Wait for votes until decided or expired; each vote is audited as it arrives.
      const expiresAtMs = Date.parse(expiresAt);
      while (view.status === 'pending') {
        const remainingMs = expiresAtMs - workflowNow();
        if (remainingMs <= 0) break;
        const woke = await condition(() => view.status !== 'pending' || recordedVotes < view.votes.length, remainingMs);
        await recordNewVotes();
        if (!woke) break;
      }
      await recordNewVotes();
      if (view.status === 'pending') view.status = 'expired';
      await closeApproval({ approvalId, status: view.status, decision, votes: view.votes, context: context(step.id) });
      if (view.status === 'expired')
        return {
          stepId: step.id,
          status: 'expired',
          rule: 'rule-8-approval-expired',
          detail: 'approval expired: not acted',
        };
      if (view.status === 'rejected')
        return { stepId: step.id, status: 'rejected', rule: decision.rule, detail: 'approval rejected' };
      votes = view.votes;
      grantedApprovalId = approvalId;
    }

    try {
      const result = await executeAction({
        action,
        approvedDigest: decision.outcome === 'approve' ? decision.actionDigest : undefined,
        approvalId: grantedApprovalId,
        votes,
        idempotencyKey: `${workflowId}:${step.id}`,
        context: context(step.id),
      });
      return { stepId: step.id, status: 'executed', rule: decision.rule, detail: result.summary };
    } catch (error) {
      await audit({
        idempotencyKey: `${runId}:${step.id}:failed`,
        stepId: step.id,
        eventType: 'action.failed',
        action: {
          type: action.type,
          params: action.params,
          enforcementPoint: decision.enforcementPoint,
          digest: decision.actionDigest,
        },
        target: decision.target,
        result: { status: 'failed', detail: errorMessage(error) },
      });
      return { stepId: step.id, status: 'failed', rule: decision.rule, detail: errorMessage(error) };
    }
  };

  let failed = false;
  for (const step of playbook.steps) {
    const outcome = await runStep(step);
    outcomes.push(outcome);
    stepResults[step.id] = outcome;
    if (outcome.status === 'failed' && step.onFailure !== 'continue') {
      failed = true;
      break;
    }
  }

  await condition(allHandlersFinished);
  await audit({
    idempotencyKey: `${runId}:completed`,
    eventType: failed ? 'playbook.failed' : 'playbook.completed',
    details: { outcomes },
  });
  return outcomes;
}

/** Runs before an approval enters history; throwing refuses it (the caller gets the reason). */
function validateApproval(approval: PendingApprovalView | undefined, decision: ApprovalDecisionInput): void {
  if (approval === undefined) refuse('ApprovalNotFound', `no approval ${decision.approvalId} in this run`);
  if (approval.status !== 'pending')
    refuse('ApprovalAlreadyDecided', `approval ${approval.approvalId} is already ${approval.status}`);
  if (workflowNow() >= Date.parse(approval.expiresAt))
    refuse('ApprovalExpired', `approval ${approval.approvalId} expired at ${approval.expiresAt}`);
  if (decision.operator.id === REQUESTER) refuse('SelfApproval', 'the requester cannot approve its own request');
  if (approval.votes.some((v) => v.operatorId === decision.operator.id)) {
    refuse(
      'DuplicateApprover',
      `${decision.operator.id} has already decided on ${approval.approvalId}; a second approval must come from another operator`,
    );
  }
  if (!decision.operator.roles.some((role) => approval.requiredRoles.includes(role))) {
    refuse(
      'ApproverNotAuthorized',
      `${decision.operator.id} lacks a required role (${approval.requiredRoles.join(', ')})`,
    );
  }
  if (decision.actionDigest !== undefined && decision.actionDigest !== approval.actionDigest) {
    refuse('ActionChanged', 'the action changed since it was shown: its digest no longer matches');
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause !== undefined) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
