/** The incident detail: Temporal's view of the workflow joined with the audit trail and approvals. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Connectors } from '../../../integrations';
import type { ApprovalRow } from '../../approvals/approval-store';
import { IncidentIndex, type IncidentSummary } from '../../audit/incident-index';
import type { AuditRecord } from '../../audit/types';
import type { InterlockConfig } from '../../config/schema';
import { caseFrom, type CaseView } from '../../cases/case-state';
import type { Services } from '../../runtime/services';
import { incidentStateQuery } from '../../workflows/definitions';
import { incidentTasks, type IncidentTask } from './incident-tasks';

export interface PlaybookRunView {
  playbookId: string;
  workflowId?: string;
  status: 'running' | 'completed' | 'failed';
  startedAt: string;
  endedAt?: string;
}

export interface IncidentDetail {
  incidentId: string;
  workflowId: string;
  runId?: string;
  /** Temporal's workflow status (RUNNING, COMPLETED, ...), or null when Temporal no longer knows it. */
  status: string | null;
  summary?: IncidentSummary;
  state?: unknown;
  alerts: {
    seq: number;
    time: string;
    eventType: string;
    trigger: AuditRecord['trigger'];
    /** What the alert means (network, ot, attacks, category) and where each field came from. */
    meaning?: unknown;
    /** Per playbook: matched, or the first trigger filter that was false with the values it read. */
    playbooks?: unknown;
  }[];
  /** Set when an OT alert matched no playbook (incident.unhandled): why, and where. */
  unhandled: { time: string; reason: unknown; zones: unknown; unknown: unknown } | null;
  runs: PlaybookRunView[];
  approvals: ApprovalRow[];
  pendingApprovals: ApprovalRow[];
  actions: (Pick<
    AuditRecord,
    'seq' | 'time' | 'eventType' | 'playbookId' | 'stepId' | 'action' | 'target' | 'result'
  > & {
    /** What an executed action gave later steps (`steps.<id>.result`), e.g. an intel lookup's verdict. */
    output?: unknown;
  })[];
  /** Tasks for people (recommendations, task.create) and whether each is done, read from the ticketing tool. */
  tasks: IncidentTask[];
  /** Case work (status, assignee, tags, comments) and time to acknowledge / contain, from the audit trail. */
  case: CaseView;
  links: { temporalUi?: string; timeline: string; audit: string; evidence: string };
}

export function temporalUiLink(config: InterlockConfig, workflowId: string): string | undefined {
  const base = config.temporal.uiUrl.replace(/\/+$/, '');
  if (base === '') return undefined;
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export async function summaryOf(services: Services, incidentId: string): Promise<IncidentSummary | undefined> {
  return new IncidentIndex(services.pool).get(incidentId);
}

function runsFrom(records: AuditRecord[]): PlaybookRunView[] {
  const runs = new Map<string, PlaybookRunView>();
  for (const r of records) {
    if (!r.playbookId || !r.eventType.startsWith('playbook.')) continue;
    if (r.eventType === 'playbook.started') {
      runs.set(r.playbookId, {
        playbookId: r.playbookId,
        ...(r.workflowId !== undefined && { workflowId: r.workflowId }),
        status: 'running',
        startedAt: r.time,
      });
    } else {
      const run = runs.get(r.playbookId);
      if (run) {
        run.status = r.eventType === 'playbook.completed' ? 'completed' : 'failed';
        run.endedAt = r.time;
      }
    }
  }
  return [...runs.values()];
}

function unhandledOf(records: AuditRecord[]): IncidentDetail['unhandled'] {
  const record = records.find((r) => r.eventType === 'incident.unhandled');
  if (record === undefined || records.some((r) => r.eventType === 'playbook.started')) return null;
  const details = record.details ?? {};
  return { time: record.time, reason: details['reason'], zones: details['zones'], unknown: details['unknown'] };
}

/** undefined when neither Temporal nor the audit trail knows the incident. */
export async function loadIncidentDetail(
  config: InterlockConfig,
  services: Services,
  temporal: Client,
  incidentId: string,
  connectors: Connectors,
): Promise<IncidentDetail | undefined> {
  return (await loadIncidentView(config, services, temporal, incidentId, connectors))?.detail;
}

/** The detail and the audit records it was made from (the console's incident page shows both). */
export async function loadIncidentView(
  config: InterlockConfig,
  services: Services,
  temporal: Client,
  incidentId: string,
  connectors: Connectors,
): Promise<{ detail: IncidentDetail; records: AuditRecord[] } | undefined> {
  const handle = temporal.workflow.getHandle(incidentId);
  const [description, records, approvals, summary] = await Promise.all([
    handle.describe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }),
    services.audit.listByIncident(incidentId),
    services.approvals.list({ incidentId }),
    summaryOf(services, incidentId),
  ]);
  if (description === undefined && records.length === 0) return undefined;
  const [state, tasks] = await Promise.all([
    description ? handle.query(incidentStateQuery).catch(() => undefined) : undefined,
    incidentTasks(records, connectors),
  ]);
  const temporalUi = temporalUiLink(config, incidentId);
  const detail: IncidentDetail = {
    incidentId,
    workflowId: incidentId,
    ...(description && { runId: description.runId }),
    status: description?.status.name ?? null,
    ...(summary && { summary }),
    ...(state !== undefined && { state }),
    alerts: records
      .filter((r) => r.eventType === 'alert.received' || r.eventType === 'alert.duplicate')
      .map((r) => ({
        seq: r.seq,
        time: r.time,
        eventType: r.eventType,
        trigger: r.trigger,
        ...(r.details?.['meaning'] !== undefined && { meaning: r.details['meaning'] }),
        ...(r.details?.['playbooks'] !== undefined && { playbooks: r.details['playbooks'] }),
      })),
    unhandled: unhandledOf(records),
    runs: runsFrom(records),
    approvals,
    pendingApprovals: approvals.filter((a) => a.status === 'pending'),
    actions: records
      .filter((r) => r.eventType.startsWith('action.'))
      .map(({ seq, time, eventType, playbookId, stepId, action, target, result, details }) => ({
        seq,
        time,
        eventType,
        ...(playbookId !== undefined && { playbookId }),
        ...(stepId !== undefined && { stepId }),
        ...(action !== undefined && { action }),
        ...(target !== undefined && { target }),
        ...(result !== undefined && { result }),
        ...(eventType === 'action.executed' && details?.['result'] !== undefined && { output: details['result'] }),
      })),
    tasks,
    case: caseFrom(records),
    links: {
      ...(temporalUi !== undefined && { temporalUi }),
      timeline: `/ui/incidents/${incidentId}`,
      audit: `/incidents/${incidentId}/audit`,
      evidence: `/incidents/${incidentId}/evidence`,
    },
  };
  return { detail, records };
}
