import type { OperatorConfig } from '../config/schema';
import type { PolicyDecision } from './types';

/** The role that may force an action past approvals and zone modes (rule 11). */
export const BREAK_GLASS_ROLE = 'break-glass';
/** A break-glass justification must say something: at least this many characters. */
export const MIN_JUSTIFICATION_LENGTH = 20;

export interface BreakGlassEvidence {
  operatorId: string;
  justification: string;
}

export interface ApprovalEvidence {
  /** The digest the approvals were given for (rule 8). */
  approvedDigest?: string;
  votes: { operatorId: string; decision: 'approve' | 'reject' }[];
  /** Rule 11: an operator forced this exact action (approvedDigest must still match). */
  breakGlass?: BreakGlassEvidence;
}

export type GateResult = { allowed: true; breakGlass?: boolean } | { allowed: false; reason: string };

/**
 * Rules that nothing overrides, not even break-glass: safety systems, levels 0-2 device
 * operations, and an intent action with no enforcement point allowed (rule 6: nothing to force).
 */
export function isAbsoluteRefusal(decision: PolicyDecision): boolean {
  return (
    decision.rule === 'rule-5-safety-system' ||
    decision.rule === 'rule-4-never-automated-ot' ||
    decision.rule === 'rule-6-containment-order'
  );
}

/**
 * The last check before an integration is called, made on a decision computed afresh at
 * that moment: the workflow's earlier decision is not trusted. An approval counts only if
 * it was for this exact action and came from distinct operators who hold a required role
 * now (a role revoked since the vote voids it).
 */
export function checkExecution(
  decision: PolicyDecision,
  evidence: ApprovalEvidence,
  operators: OperatorConfig[],
): GateResult {
  if (evidence.breakGlass !== undefined && decision.outcome !== 'auto')
    return checkBreakGlass(decision, evidence, operators);
  switch (decision.outcome) {
    case 'refuse':
    case 'recommend':
      return { allowed: false, reason: `${decision.rule}: ${decision.reason}` };
    case 'auto':
      return { allowed: true };
    case 'approve': {
      const requirement = decision.approval;
      if (requirement === undefined) return { allowed: false, reason: 'approval required but no requirement recorded' };
      if (evidence.approvedDigest !== decision.actionDigest) {
        return { allowed: false, reason: 'rule-8: the approved action differs from the action about to run' };
      }
      if (evidence.votes.some((v) => v.decision === 'reject'))
        return { allowed: false, reason: 'the action was rejected' };
      const approvers = new Set<string>();
      for (const vote of evidence.votes) {
        const operator = operators.find((o) => o.id === vote.operatorId);
        if (operator !== undefined && operator.roles.some((role) => requirement.roles.includes(role)))
          approvers.add(operator.id);
      }
      if (approvers.size < requirement.approvals) {
        return {
          allowed: false,
          reason: `${decision.rule}: ${requirement.approvals} authorized approval(s) required, ${approvers.size} valid`,
        };
      }
      return { allowed: true };
    }
  }
}

/** Rule 11: a forced action, by a break-glass operator with a written justification — never an SIS. */
function checkBreakGlass(
  decision: PolicyDecision,
  evidence: ApprovalEvidence,
  operators: OperatorConfig[],
): GateResult {
  const forced = evidence.breakGlass as BreakGlassEvidence;
  if (isAbsoluteRefusal(decision))
    return { allowed: false, reason: `${decision.rule}: break-glass cannot override it (${decision.reason})` };
  if (evidence.approvedDigest !== decision.actionDigest)
    return { allowed: false, reason: 'rule-8: the forced action differs from the action about to run' };
  const operator = operators.find((o) => o.id === forced.operatorId);
  if (operator === undefined || !operator.roles.includes(BREAK_GLASS_ROLE))
    return { allowed: false, reason: `rule-11: ${forced.operatorId} does not hold the ${BREAK_GLASS_ROLE} role` };
  if (forced.justification.trim().length < MIN_JUSTIFICATION_LENGTH)
    return {
      allowed: false,
      reason: `rule-11: a written justification of at least ${MIN_JUSTIFICATION_LENGTH} characters is required`,
    };
  return { allowed: true, breakGlass: true };
}
