/**
 * Messages shared by workflows, activities and clients: signal, update and query
 * definitions and their payload types. Imported by workflow code, so it must stay pure.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../alerts/alert';
import type { Playbook } from '../playbooks/schema';
import type { StepPlan } from '../activities/activities';
import type { AuditEventInput } from '../audit/types';

export interface IncidentSettings {
  /** Close the incident after this long without a new alert once playbooks are done. */
  closeAfterIdleMs: number;
  /** Continue-as-new once the run's history has this many events (default 5,000). */
  continueAsNewAfterEvents?: number;
}

/** Deliveries of one alert (by uid) aggregated by the API before they are signalled. */
export interface AlertDeliveries {
  alert: Alert;
  /** How many webhook deliveries carried this alert. */
  deliveries: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
}

/** What one incident run hands to the next on continue-as-new. */
export interface CarriedIncident {
  state: IncidentState;
  seenUids: string[];
  startedPlaybooks: string[];
  /** Whether a notification channel was configured when last checked. */
  notify?: boolean;
}

export interface IncidentInput {
  incidentId: string;
  correlationKey: string;
  /** Alerts to process first: the one that opened the incident, or those carried over. */
  alerts: Alert[];
  settings: IncidentSettings;
  /** Aggregated deliveries to process first (batched intake, or carried over). */
  deliveries?: AlertDeliveries[];
  /** Set when this run continues an earlier run of the same incident. */
  carried?: CarriedIncident;
}

export interface IncidentState {
  incidentId: string;
  status: 'open' | 'closed';
  /** Every delivery counts: a storm of 10,000 copies of one alert is 10,000. */
  alertCount: number;
  /** Deliveries of an alert (by uid) the incident had already seen. */
  duplicateCount: number;
  /** Distinct alerts (by uid). */
  distinctAlertCount?: number;
  /** Runs of this incident so far (continue-as-new keeps history bounded). */
  runCount?: number;
  firstSeen: string;
  lastSeen: string;
  playbookRuns: { playbookId: string; workflowId: string; status: 'running' | 'completed' | 'failed' | 'detached' }[];
}

export interface PlaybookRunInput {
  incidentId: string;
  playbook: Playbook;
  alert: Alert;
  /** False when no notification channel is configured (default true). */
  notify?: boolean;
  /** Leading steps the incident's admission already decided (and carried out when automatic). */
  prepared?: PreparedRun;
}

/** One step the incident's admission decided and, when automatic, carried out. */
export interface PreparedStep {
  plan: StepPlan;
  /** For an automatic action the admission carried out: what it gave. */
  execution?: { summary: string };
  /** For an automatic action whose first attempt failed: the ledger key the run retries it with. */
  executionKey?: string;
}

/**
 * The leading steps of a playbook run that the incident's admission (the `admitAlert` local
 * activity) handled — those that need nobody: automatic actions (IT containment) and skipped
 * steps. The run's workflow takes over at the first step that needs people, fails or cannot be
 * decided, and is not started at all when every step was handled.
 */
export interface PreparedRun {
  /** Idempotency key of the run's `playbook.started` record (written with the first decision). */
  startedKey: string;
  steps: PreparedStep[];
  /**
   * Records of handled steps not yet in the audit trail (the admission stopped at a step whose
   * decision failed): the run writes them first, ahead of its own.
   */
  unwritten?: AuditEventInput[];
}

export type ApprovalChannel = 'api' | 'slack' | 'cli';

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

export const alertSignal = defineSignal<[Alert]>('alert');
/** Many deliveries in one Temporal call: what the API's per-incident batcher sends. */
export const alertBatchSignal = defineSignal<[AlertDeliveries[]]>('alertBatch');
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('decideApproval');
export const pendingApprovalsQuery = defineQuery<PendingApprovalView[]>('pendingApprovals');
