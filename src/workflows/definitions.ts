/**
 * Messages shared by workflows, activities and clients: signal, update and query
 * definitions and their payload types. Imported by workflow code, so it must stay pure.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../alerts/alert';
import type { Playbook } from '../playbooks/schema';

export interface IncidentSettings {
  /** Close the incident after this long without a new alert once playbooks are done. */
  closeAfterIdleMs: number;
}

export interface IncidentInput {
  incidentId: string;
  correlationKey: string;
  /** Alerts to process first: the one that opened the incident, or those carried over. */
  alerts: Alert[];
  settings: IncidentSettings;
}

export interface IncidentState {
  incidentId: string;
  status: 'open' | 'closed';
  alertCount: number;
  duplicateCount: number;
  firstSeen: string;
  lastSeen: string;
  playbookRuns: { playbookId: string; workflowId: string; status: 'running' | 'completed' | 'failed' }[];
}

export interface PlaybookRunInput {
  incidentId: string;
  playbook: Playbook;
  alert: Alert;
}

export type ApprovalChannel = 'api' | 'slack' | 'cli';

export interface ApprovalVote {
  operatorId: string;
  roles: string[];
  decision: 'approve' | 'reject';
  reason?: string;
  channel: ApprovalChannel;
  at: string;
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
}

export interface ApprovalDecisionResult {
  approvalId: string;
  status: 'pending' | 'approved' | 'rejected';
  approvalsRemaining: number;
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
} as const;
export type ApprovalRefusal = keyof typeof APPROVAL_REFUSALS;

export const alertSignal = defineSignal<[Alert]>('alert');
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('decideApproval');
export const pendingApprovalsQuery = defineQuery<PendingApprovalView[]>('pendingApprovals');
