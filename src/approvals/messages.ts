/**
 * The approval messages: what an operator sends to decide an approval, what the workflow
 * answers and shows, and why it refuses. Pure types and constants (the workflow sandbox, the
 * activities, the notifiers and the API all import them); the Update and query that carry them
 * are defined in src/workflows/definitions.ts.
 */

export type ApprovalChannel = 'api' | 'slack' | 'cli' | 'console';

export interface ApprovalVote {
  operatorId: string;
  roles: string[];
  decision: 'approve' | 'reject';
  reason?: string;
  channel: ApprovalChannel;
  at: string;
  /** Rule 11: this vote forced the action on its own, with a written justification. */
  breakGlass?: { justification: string };
}

export interface ApprovalDecisionInput {
  approvalId: string;
  /** Authenticated by the API/Slack layer; authorized by the workflow's validator. */
  operator: { id: string; roles: string[] };
  decision: 'approve' | 'reject';
  reason?: string;
  channel: ApprovalChannel;
  /** The action digest the operator saw; refused if the action has changed since (rule 8). */
  actionDigest?: string;
  /** Rule 11: force the action now (break-glass role, written justification; never an SIS). */
  breakGlass?: { justification: string };
  /**
   * The caller's digest of its request, echoed in the result: a retry under the same Update ID
   * gets the first request's result, and comparing digests tells a retry from a reused key.
   */
  requestDigest?: string;
}

export interface ApprovalDecisionResult {
  approvalId: string;
  status: 'pending' | 'approved' | 'rejected';
  approvalsRemaining: number;
  /** The vote as the workflow recorded it (absent when an older worker handled the Update). */
  vote?: ApprovalVote;
  /** ApprovalDecisionInput.requestDigest of the request this result answers. */
  requestDigest?: string;
}

export interface PendingApprovalView {
  approvalId: string;
  stepId: string;
  actionDigest: string;
  requiredApprovals: number;
  requiredRoles: string[];
  expiresAt: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  votes: ApprovalVote[];
  /** The policy rule that asked for this approval. */
  rule?: string;
}

/** Why an approval was refused; the API maps each to an HTTP status. */
export const APPROVAL_REFUSALS = {
  ApprovalNotFound: 404,
  ApproverNotAuthorized: 403,
  SelfApproval: 403,
  DuplicateApprover: 409,
  ApprovalAlreadyDecided: 409,
  ActionChanged: 409,
  ApprovalExpired: 410,
  BreakGlassRefused: 422,
} as const;
export type ApprovalRefusal = keyof typeof APPROVAL_REFUSALS;
