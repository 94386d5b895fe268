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
  /** Rule 10: how long the change lasts before it lapses on its own (e.g. a FortiGate ban expiry). */
  timeBox?: TimeBox;
  /** Rule 3 exception: the OT sign-off that lets this exact action run without a new approval. */
  preAuthorizations?: PreAuthorization[];
  /** Rule 6: the enforcement point the engine picked for an intent action (contain.source). */
  containment?: ContainmentChoice;
}

export interface TimeBox {
  expiresAfterMs: number;
  /** What makes it lapse, e.g. "fortigate banned-IP expiry". */
  mechanism: string;
  /** Extending it is a new action that goes through policy again. */
  extendWith: ActionType;
}

/** One zone's sign-off (an action touching several OT zones needs one from each). */
export interface PreAuthorization {
  zone: string;
  approvedBy: string[];
  ticket: string;
  dual: boolean;
}

export interface ContainmentChoice {
  enforcementPointId: string;
  side: 'it-dmz' | 'conduit';
  /** The firewall connector, e.g. fortigate, panos. */
  integration: string;
  /** Where on it the change applies: the FortiGate VDOM, the PAN-OS vsys. */
  vdom: string;
  /** The zone the traffic reached, which the point guards. */
  protectedZone: string;
  /** The source address the deny blocks. */
  blockedIp: string;
}
