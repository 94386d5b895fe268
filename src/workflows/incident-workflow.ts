import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Alert } from '../alerts/alert';
import type { AuditEventInput } from '../audit/types';
import type { InterlockActivities } from '../activities/activities';
import { AUDIT_ACTIVITY, DECISION_ACTIVITY } from './activity-options';
import { alertSignal, incidentStateQuery, type IncidentInput, type IncidentState } from './definitions';
import { playbookRunWorkflow } from './playbook-run-workflow';
import { ENGINE_ACTOR, triggerOf } from './audit-helpers';
import { BackgroundNotifications } from './background';

const { recordAudit } = proxyActivities<InterlockActivities>(AUDIT_ACTIVITY);
const { matchPlaybooks } = proxyActivities<InterlockActivities>(DECISION_ACTIVITY);

/** Remembering this many alert UIDs is enough to recognise re-deliveries of recent alerts. */
const MAX_REMEMBERED_UIDS = 5_000;

/**
 * One incident: the alerts that share a correlation key. Duplicate deliveries join it
 * (by deterministic workflow ID); each matching playbook runs once as a child workflow.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const { incidentId } = input;
  const { workflowId, runId } = workflowInfo();
  const pending: Alert[] = [...input.alerts];
  const seenUids = new Set<string>();
  const startedPlaybooks = new Set<string>();
  let running = 0;
  const state: IncidentState = {
    incidentId,
    status: 'open',
    alertCount: 0,
    duplicateCount: 0,
    firstSeen: new Date().toISOString(),
    lastSeen: new Date().toISOString(),
    playbookRuns: [],
  };

  setHandler(alertSignal, (alert) => {
    pending.push(alert);
  });
  setHandler(incidentStateQuery, () => state);

  const audit = (
    event: Omit<AuditEventInput, 'incidentId' | 'workflowId' | 'runId' | 'time' | 'actor'> & Partial<AuditEventInput>,
  ) => recordAudit({ incidentId, workflowId, runId, time: new Date().toISOString(), actor: ENGINE_ACTOR, ...event });

  await audit({
    idempotencyKey: `${runId}:opened`,
    eventType: 'incident.opened',
    ...(input.alerts[0] === undefined ? {} : { trigger: triggerOf(input.alerts[0]) }),
    details: { correlationKey: input.correlationKey },
  });
  const notifications = new BackgroundNotifications();
  const first = input.alerts[0];
  if (first !== undefined) {
    notifications.send({
      kind: 'incident.opened',
      context: { incidentId, workflowId, runId, trigger: triggerOf(first) },
      title: first.title,
      severity: first.severity,
    });
  }

  const handleAlert = async (alert: Alert): Promise<void> => {
    state.lastSeen = new Date().toISOString();
    if (seenUids.has(alert.uid)) {
      state.duplicateCount += 1;
      await audit({
        idempotencyKey: `${runId}:dup:${alert.uid}:${state.duplicateCount}`,
        eventType: 'alert.duplicate',
        trigger: triggerOf(alert),
      });
      return;
    }
    if (seenUids.size >= MAX_REMEMBERED_UIDS) seenUids.clear();
    seenUids.add(alert.uid);
    state.alertCount += 1;
    await audit({
      idempotencyKey: `${runId}:alert:${alert.uid}`,
      eventType: 'alert.received',
      trigger: triggerOf(alert),
    });

    const playbooks = await matchPlaybooks(alert);
    for (const playbook of playbooks) {
      if (startedPlaybooks.has(playbook.id)) continue;
      startedPlaybooks.add(playbook.id);
      const childId = `${workflowId}.${playbook.id}`;
      const run = {
        playbookId: playbook.id,
        workflowId: childId,
        status: 'running' as IncidentState['playbookRuns'][number]['status'],
      };
      state.playbookRuns.push(run);
      running += 1;
      const child = await startChild(playbookRunWorkflow, {
        workflowId: childId,
        args: [{ incidentId, playbook, alert }],
        // A playbook run finishes its safety logic even if the incident is terminated.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      child.result().then(
        () => {
          run.status = 'completed';
          running -= 1;
        },
        () => {
          run.status = 'failed';
          running -= 1;
        },
      );
    }
  };

  for (;;) {
    while (pending.length > 0) {
      await handleAlert(pending.shift() as Alert);
    }
    if (running > 0) {
      await condition(() => pending.length > 0 || running === 0);
      continue;
    }
    const gotAlert = await condition(() => pending.length > 0, input.settings.closeAfterIdleMs);
    if (!gotAlert) break;
  }

  await condition(allHandlersFinished);
  state.status = 'closed';
  await audit({
    idempotencyKey: `${runId}:closed`,
    eventType: 'incident.closed',
    details: { alertCount: state.alertCount, duplicateCount: state.duplicateCount, playbookRuns: state.playbookRuns },
  });
  notifications.send({
    kind: 'incident.closed',
    context: { incidentId, workflowId, runId },
    alertCount: state.alertCount,
    duplicateCount: state.duplicateCount,
  });
  await notifications.settle();
  // Alerts that arrived while closing start the next incident run: none is dropped.
  if (pending.length > 0) await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: pending });
  return state;
}
