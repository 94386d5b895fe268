/**
 * Who may decide an approval, and when: the validator of the decideApproval Update. Pure (it
 * runs in the workflow sandbox, before an approval enters history), so unit tests call it
 * directly.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ApprovalDecisionInput, ApprovalRefusal, PendingApprovalView } from './messages';

/** The engine itself requests approvals; no operator may approve their own request. */
export const REQUESTER = 'interlock';

/** Workflow time: the sandbox's deterministic clock (the current workflow task's start). */
export function workflowNow(): number {
  return new Date().getTime();
}

function refuse(type: ApprovalRefusal, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The role that may force a gated action on its own (rule 11). */
export const BREAK_GLASS_ROLE = 'break-glass';
/** A break-glass justification must say something: at least this many characters. */
export const MIN_JUSTIFICATION_LENGTH = 20;

/** Rule 11: only a break-glass operator, with a written justification, never past rules 4 and 5. */
function validateBreakGlass(
  approval: PendingApprovalView,
  decision: ApprovalDecisionInput,
  forced: { justification: string },
): void {
  if (decision.decision !== 'approve')
    refuse('BreakGlassRefused', 'break-glass forces an approval; reject normally instead');
  if (!decision.operator.roles.includes(BREAK_GLASS_ROLE)) {
    refuse('ApproverNotAuthorized', `${decision.operator.id} does not hold the ${BREAK_GLASS_ROLE} role`);
  }
  if (forced.justification.trim().length < MIN_JUSTIFICATION_LENGTH) {
    refuse(
      'BreakGlassRefused',
      `a written justification of at least ${MIN_JUSTIFICATION_LENGTH} characters is required`,
    );
  }
  if (approval.rule === 'rule-5-safety-system' || approval.rule === 'rule-4-never-automated-ot') {
    refuse('BreakGlassRefused', `${approval.rule} cannot be overridden, not even by break-glass`);
  }
}

/** Runs before an approval enters history; throwing refuses it (the caller gets the reason). */
export function validateApproval(approval: PendingApprovalView | undefined, decision: ApprovalDecisionInput): void {
  if (approval === undefined) refuse('ApprovalNotFound', `no approval ${decision.approvalId} in this run`);
  if (approval.status === 'expired')
    refuse('ApprovalExpired', `approval ${approval.approvalId} expired at ${approval.expiresAt}`);
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
  if (decision.breakGlass !== undefined) {
    validateBreakGlass(approval, decision, decision.breakGlass);
  } else if (!decision.operator.roles.some((role) => approval.requiredRoles.includes(role))) {
    refuse(
      'ApproverNotAuthorized',
      `${decision.operator.id} lacks a required role (${approval.requiredRoles.join(', ')})`,
    );
  }
  if (decision.actionDigest !== undefined && decision.actionDigest !== approval.actionDigest) {
    refuse('ActionChanged', 'the action changed since it was shown: its digest no longer matches');
  }
}
