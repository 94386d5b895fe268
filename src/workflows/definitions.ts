/**
 * Messages shared by workflows, activities and clients: signal, update and query
 * definitions and their payload types. Imported by workflow code, so it must stay pure.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../alerts/alert';
import type { Playbook } from '../playbooks/schema';
import type { ApprovalDecisionInput, ApprovalDecisionResult, PendingApprovalView } from '../approvals/messages';
import type { PreparedRun } from '../engine/contracts';
import type { IncidentFacets } from './search-attributes';

// Payload types that live with their feature, re-exported so clients find every message here.
export type { PreparedRun, PreparedStep } from '../engine/contracts';
export {
  APPROVAL_REFUSALS,
  type ApprovalChannel,
  type ApprovalDecisionInput,
  type ApprovalDecisionResult,
  type ApprovalRefusal,
  type ApprovalVote,
  type PendingApprovalView,
} from '../approvals/messages';

export interface IncidentSettings {
  /** Close the incident after this long without a new alert once playbooks are done. */
  closeAfterIdleMs: number;
  /** Continue-as-new once the run's history has this many events (default 5,000). */
  continueAsNewAfterEvents?: number;
  /** Keep search attributes current (set by the API when they are registered; absent in older runs). */
  searchAttributes?: boolean;
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
  /** The incident's search-attribute facets so far, and its playbook runs waiting for approval. */
  facets?: IncidentFacets;
  awaitingApproval?: string[];
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
  /** An OT alert matched no playbook and the incident was recorded and notified as unhandled. */
  unhandled?: boolean;
}

export interface PlaybookRunInput {
  incidentId: string;
  playbook: Playbook;
  alert: Alert;
  /** False when no notification channel is configured (default true). */
  notify?: boolean;
  /** Leading steps the incident's admission already decided (and carried out when automatic). */
  prepared?: PreparedRun;
  /** The incident's facets, when the run keeps search attributes (absent in older runs). */
  searchAttributes?: IncidentFacets;
}

export const alertSignal = defineSignal<[Alert]>('alert');
/** Many deliveries in one Temporal call: what the API's per-incident batcher sends. */
export const alertBatchSignal = defineSignal<[AlertDeliveries[]]>('alertBatch');
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('decideApproval');
export const pendingApprovalsQuery = defineQuery<PendingApprovalView[]>('pendingApprovals');
/** A playbook run tells its incident when it starts or stops waiting for an approval (search attributes). */
export const runAwaitingApprovalSignal =
  defineSignal<[{ workflowId: string; waiting: boolean }]>('runAwaitingApproval');
