import type { ActionRequest, ActionType } from '../actions/catalog';
import type { AuditTarget } from '../audit/types';

/** A target resolved against the inventory (rule 1: unknown targets are treated as OT). */
export interface ResolvedTarget extends AuditTarget {
  /** IT = Purdue 4-5; everything else, and anything unknown, is OT. */
  domain: 'it' | 'ot';
  /** Zone mode in force for this target; unknown targets get "approve". */
  mode: 'monitor' | 'recommend' | 'approve' | 'auto';
  /** EDR agent IDs of a known asset. */
  edr: Record<string, string>;
  /** For an account target: the inventory asset of the host it was seen on. */
  hostAssetId?: string;
}

export type PolicyOutcome = 'auto' | 'approve' | 'recommend' | 'refuse';

export interface ApprovalRequirement {
  approvals: number;
  /** At least one approver must hold one of these roles. */
  roles: string[];
  ttlMs: number;
  /** Remind and escalate when no decision has come after this long (policy.escalateAfter). */
  escalateAfterMs: number;
}

export interface PolicyDecision {
  outcome: PolicyOutcome;
  /** The rule of ot-safety.md that decided, e.g. "rule-2-auto-it". */
  rule: string;
  reason: string;
  target: ResolvedTarget;
  /** Every segment the action affects (the target, plus e.g. the IP it quarantines). */
  affected: ResolvedTarget[];
  approval?: ApprovalRequirement;
  /** SHA-256 over action type, target, parameters and enforcement point (rule 8). */
  actionDigest: string;
  enforcementPoint: string;
  action: ActionRequest;
  /** Rule 13: the maintenance window the target is in right now, if any (never relaxes approvals). */
  maintenanceWindow?: { id: string; changeTicket?: string };
  /** Rule 10: the action that undoes this one, from the catalog. */
  compensation?: ActionType;
}
