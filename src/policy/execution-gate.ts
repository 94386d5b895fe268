import type { OperatorConfig } from '../config/schema';
import type { PolicyDecision } from './types';

export interface ApprovalEvidence {
  /** The digest the approvals were given for (rule 8). */
  approvedDigest?: string;
  votes: { operatorId: string; decision: 'approve' | 'reject' }[];
}

export type GateResult = { allowed: true } | { allowed: false; reason: string };

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
