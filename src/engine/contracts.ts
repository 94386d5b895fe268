/**
 * The contract between workflows and activities: every activity's signature and the shapes
 * they exchange. Types only; workflows import them with `import type` (and proxy activities by
 * InterlockActivities), activities implement them (src/activities/activities.ts assembles the
 * implementation and the compiler checks it against InterlockActivities).
 */
import type { ActionRequest } from '../actions/catalog';
import type { Alert } from '../alerts/alert';
import type { ApprovalVote } from '../approvals/messages';
import type { AuditEventInput } from '../audit/types';
import type { Playbook, PlaybookStep } from '../playbooks/schema';
import type { BreakGlassEvidence } from '../policy/execution-gate';
import type { PolicyDecision } from '../policy/types';
import type { NotificationEvent } from './notification-events';
import type { StepOutcome, StepResult } from './step-outcomes';

/** Where an event happened, passed by the workflow with every audited activity. */
export interface AuditContext {
  incidentId: string;
  workflowId: string;
  runId: string;
  playbookId?: string;
  playbookVersion?: number;
  stepId?: string;
  trigger?: AuditEventInput['trigger'];
}

/** One playbook step to decide (and, on the incident's fast path, to attempt). */
export interface StepRequest {
  step: PlaybookStep;
  /** The expression variables: the alert, the incident and earlier steps' results. */
  vars: Readonly<Record<string, unknown>>;
  context: AuditContext;
  idempotencyKey: string;
  preceding?: AuditEventInput[];
  /**
   * The incident admission's fast path: when the decision needs nobody, make the action's
   * first attempt in this same call, under this ledger key. A failed attempt is reported in
   * the answer (the playbook run retries it under the same key), not thrown.
   */
  executeAutomatic?: { idempotencyKey: string };
}

/** What a playbook step comes to once its expressions are evaluated and its action decided. */
export type StepPlan =
  | { kind: 'skipped' }
  | { kind: 'invalid'; message: string }
  | { kind: 'decided'; action: ActionRequest; decision: PolicyDecision };

/** The incident workflow's first attempt at an automatic action, made with its decision. */
export type FirstAttempt = { ok: true; summary: string; result?: StepResult } | { ok: false; message: string };

export interface DecisionRequest {
  action: ActionRequest;
  context: AuditContext;
  idempotencyKey: string;
  preceding?: AuditEventInput[];
}

/** An action to carry out, with the approvals that allow it. */
export interface ExecutionRequest {
  action: ActionRequest;
  approvedDigest: string | undefined;
  approvalId: string | undefined;
  votes: ApprovalVote[];
  idempotencyKey: string;
  context: AuditContext;
  /** Rule 11: the action was forced by a break-glass operator. */
  breakGlass?: BreakGlassEvidence;
}

export interface ExecutionResult {
  summary: string;
  details: Record<string, unknown>;
  /** What later steps read as `steps.<id>.result` (intel.lookup), when the connector gave one. */
  result?: StepResult;
}

/** One step the incident's admission decided and, when automatic, carried out. */
export interface PreparedStep {
  plan: StepPlan;
  /** For an automatic action the admission carried out: what it gave. */
  execution?: { summary: string; result?: StepResult };
  /** For an automatic action whose first attempt failed: the ledger key the run retries it with. */
  executionKey?: string;
}

/**
 * The leading steps of a playbook run that the incident's admission (the `admitAlert` local
 * activity) handled — those that need nobody: automatic actions (IT containment) and skipped
 * steps. The run's workflow takes over at the first step that needs people, fails or cannot be
 * decided, and is not started at all when every step was handled. The step machine
 * (step-machine.ts) takes these as its answers for those steps and resumes after them.
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

export interface AdmissionRequest {
  alert: Alert;
  /** The alert's records: `alert.received`, with `incident.opened` for an incident's first. */
  records: AuditEventInput[];
  incident: { id: string; workflowId: string; runId: string };
  /** Playbooks this incident run has already started: an alert does not start them again. */
  startedPlaybooks: string[];
  /** The incident was already recorded as unhandled: it is not recorded or notified again. */
  unhandledNoticed?: boolean;
  /** When the API received the alert's first delivery (metrics: webhook → decision and → action). */
  receivedAt?: string;
}

/**
 * An OT alert no playbook handles (issue 15: no silent non-match): recorded as
 * `incident.unhandled` by the admission, then notified by the incident workflow.
 */
export interface UnhandledNotice {
  /** The OT zones the alert touches (their owners and shift leads are told). */
  zones: string[];
  /** Endpoints the inventory cannot place. */
  unknown: string[];
  reason: string;
}

/** A playbook the alert starts, with the steps the admission handled. */
export interface AdmittedRun {
  playbook: Playbook;
  /** The run's workflow ID: its records carry it whether or not the workflow is started. */
  runWorkflowId: string;
  prepared: PreparedRun;
  /** Set when every step was handled: no playbook-run workflow is needed. */
  outcomes?: StepOutcome[];
}

export interface Admission {
  runs: AdmittedRun[];
  /** Set when this alert made the incident unhandled (recorded once per incident). */
  unhandled?: UnhandledNotice;
  /** False when no notification channel (Slack, email) is configured. */
  notify: boolean;
  /** The zones the alert's endpoints are in (search attributes); absent in admissions recorded before. */
  zones?: string[];
}

export interface RecommendationTaskRequest {
  decision: PolicyDecision;
  idempotencyKey: string;
  context: AuditContext;
}

export interface PeopleAlertRequest {
  reason: string;
  rule: string;
  idempotencyKey: string;
  context: AuditContext;
}

export interface ApprovalRequest {
  approvalId: string;
  decision: PolicyDecision;
  requestedBy: string;
  expiresAt: string;
  context: AuditContext;
}

export interface ApprovalVoteRecord {
  approvalId: string;
  vote: ApprovalVote;
  voteIndex: number;
  decision: PolicyDecision;
  context: AuditContext;
}

export interface ApprovalClosing {
  approvalId: string;
  status: 'approved' | 'rejected' | 'expired' | 'pending';
  votes: ApprovalVote[];
  decision: PolicyDecision;
  context: AuditContext;
}

/**
 * The votes of an approval not yet written, the last of them the one that decided it, and the
 * request's closing: one activity writes them in this order, as recordApprovalVote and
 * closeApproval would one after the other (the same records, the same idempotency keys).
 */
export interface ApprovalOutcomeRecord {
  votes: ApprovalVoteRecord[];
  closing: ApprovalClosing;
}

/** Every activity the workflows call; the activity type names are these method names. */
export interface InterlockActivities {
  recordAudit(event: AuditEventInput): Promise<void>;
  /** Several records in one call, appended in order in one transaction. */
  recordAudits(events: AuditEventInput[]): Promise<void>;
  /** Delivers a notification (Slack, email); the workflow does not wait on it. */
  notify(event: NotificationEvent): Promise<void>;
  /** Admits a new alert: its records, the playbooks it starts and their leading steps that need nobody. */
  admitAlert(input: AdmissionRequest): Promise<Admission>;
  decideAction(input: DecisionRequest): Promise<PolicyDecision>;
  /** A step decided on its own (the playbook run): nothing is executed. */
  decideStep(input: StepRequest): Promise<StepPlan>;
  createRecommendationTask(input: RecommendationTaskRequest): Promise<{ taskKey?: string }>;
  alertPeople(input: PeopleAlertRequest): Promise<void>;
  requestApproval(input: ApprovalRequest): Promise<void>;
  recordApprovalVote(input: ApprovalVoteRecord): Promise<void>;
  closeApproval(input: ApprovalClosing): Promise<void>;
  /** The deciding vote (with any accepted with it) and the closing, in one activity. */
  recordApprovalOutcome(input: ApprovalOutcomeRecord): Promise<void>;
  /** The gate every action passes through: decides again, checks approvals, acts at most once per key. */
  executeAction(input: ExecutionRequest): Promise<ExecutionResult>;
}

/** The worker's scheduled audit maintenance (src/workflows/maintenance-workflows.ts). */
export interface MaintenanceActivities {
  /**
   * Removes records older than audit.retention, leaving a checkpoint (src/audit/retention.ts),
   * and raw webhook bodies older than theirs (src/intake/raw-body-store.ts).
   */
  pruneAuditRecords(): Promise<{ pruned: number; cutoff: string; checkpointSeq?: number; rawBodiesPruned?: number }>;
  /** Writes the chain head to audit.anchor's file and/or syslog target. */
  anchorAuditHead(): Promise<{ seq: number; hash: string; at: string }>;
}
