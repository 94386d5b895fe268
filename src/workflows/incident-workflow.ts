import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Alert } from '../alerts/alert';
import type { AuditEventInput } from '../audit/types';
import type { Admission, AdmittedRun, InterlockActivities } from '../engine/contracts';
import { ADMISSION_LOCAL_ACTIVITY, AUDIT_ACTIVITY, AUDIT_LOCAL_ACTIVITY } from './activity-options';
import {
  alertBatchSignal,
  alertSignal,
  incidentStateQuery,
  runAwaitingApprovalSignal,
  type AlertDeliveries,
  type IncidentInput,
  type IncidentState,
} from './definitions';
import { playbookRunWorkflow } from './playbook-run-workflow';
import { playbookFinished } from '../engine/step-outcomes';
import { ENGINE_ACTOR, quarantineTriggerOf, triggerOf } from '../engine/audit-helpers';
import { BackgroundNotifications } from './background';
import { sameFacets, searchAttributePairs, widenFacets, type IncidentFacets } from './search-attributes';

// Local activities: the webhook → containment path makes no server round trip per audit write or lookup.
const { recordAudits: recordAuditsLocally } = proxyLocalActivities<InterlockActivities>(AUDIT_LOCAL_ACTIVITY);
// Admission writes the alert's records first: retried like every audit write (rule 9).
const { admitAlert } = proxyLocalActivities<InterlockActivities>(ADMISSION_LOCAL_ACTIVITY);
/**
 * A local activity runs before its workflow task completes, so a task retried with more signals
 * (e.g. a completion refused because alerts arrived) runs it again. Records whose key or content
 * depend on how deliveries were batched (duplicate counts, the closing summary) are therefore
 * written as regular activities, which only run once their task is committed.
 */
const { recordAudit: recordAuditCommitted, recordAudits: recordAuditsCommitted } =
  proxyActivities<InterlockActivities>(AUDIT_ACTIVITY);

/** Search attributes kept current (upserts are commands: runs recorded before replay without them). */
const SEARCH_ATTRIBUTES_PATCH = 'incident-search-attributes';
/**
 * A playbook run that ends while counted as waiting for an approval stops counting: since
 * NOT_WAITING_TOLD_LATER (playbook-run-workflow.ts) a run whose approval was decided tells the
 * incident only before its next long wait, and its end says it as well. Checked only when the
 * ended run is still counted, which runs recorded before never were unless they failed waiting.
 */
const INCIDENT_CLEARS_ENDED_RUNS = 'incident-clears-ended-runs';

/**
 * What a storm costs per signalled batch (command changes: runs recorded before replay without
 * them). Before, each batch was a workflow task that cancelled the idle timer, one
 * `alert.duplicate` activity (its task, its completion, one more workflow task) and a new idle
 * timer. Now copies are counted at once and audited in aggregate by one activity per
 * DUPLICATE_AUDIT_INTERVAL_MS, and the idle timer runs on (re-armed when it fires early), so a
 * batch of copies is one workflow task with no command.
 */
const STORM_PATCH = 'incident-storm-coalescing';
/** Duplicates counted are audited at most this long after the first of them arrived. */
const DUPLICATE_AUDIT_INTERVAL_MS = 1_000;

/** Remembering this many alert UIDs is enough to recognise re-deliveries of recent alerts. */
const MAX_REMEMBERED_UIDS = 5_000;
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 5_000;
/**
 * Past this many events a run continues as new even while playbooks run (their runs are then
 * reported as detached): far below Temporal's 51,200-event and 10,000-signal limits.
 */
const HARD_CONTINUE_AS_NEW_FACTOR = 1.6;

type PlaybookRun = IncidentState['playbookRuns'][number];

/**
 * Why the audit store refused an admission's records (its AuditInputError: the same records
 * would be refused again), or undefined for any other failure.
 */
function recordRefusal(error: unknown): string | undefined {
  // A failed local activity reaches the workflow as its ApplicationFailure itself; a regular
  // activity's as an ActivityFailure around it.
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.type === 'AuditInputError' ? failure.message : undefined;
}

/** Merges deliveries of the same alert uid: one entry, summed deliveries, widest time span. */
export function mergeDeliveries(entries: readonly AlertDeliveries[]): AlertDeliveries[] {
  const byUid = new Map<string, AlertDeliveries>();
  for (const entry of entries) {
    const known = byUid.get(entry.alert.uid);
    if (known === undefined) {
      byUid.set(entry.alert.uid, { ...entry });
      continue;
    }
    known.deliveries += entry.deliveries;
    if (entry.firstReceivedAt < known.firstReceivedAt) known.firstReceivedAt = entry.firstReceivedAt;
    if (entry.lastReceivedAt > known.lastReceivedAt) known.lastReceivedAt = entry.lastReceivedAt;
  }
  return [...byUid.values()];
}

/**
 * One incident: the alerts that share a correlation key. Deliveries join it by its
 * deterministic workflow ID, in batches; every delivery is counted, duplicates are audited
 * in aggregate, each matching playbook runs once as a child workflow, and the run continues
 * as new (carrying its state) before its history grows large.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const { incidentId, carried } = input;
  const { workflowId, runId } = workflowInfo();
  const now = new Date().toISOString();
  const pending: AlertDeliveries[] = [
    ...(input.deliveries ?? []),
    ...input.alerts.map((alert) => ({ alert, deliveries: 1, firstReceivedAt: now, lastReceivedAt: now })),
  ];
  const seenUids = new Set<string>(carried?.seenUids ?? []);
  const startedPlaybooks = new Set<string>(carried?.startedPlaybooks ?? []);
  let running = 0;
  const state: IncidentState = carried?.state
    ? {
        ...carried.state,
        runCount: (carried.state.runCount ?? 1) + 1,
        // A run still going when the previous run ended can no longer be awaited from here.
        playbookRuns: carried.state.playbookRuns.map((r) =>
          r.status === 'running' ? { ...r, status: 'detached' } : r,
        ),
      }
    : {
        incidentId,
        status: 'open',
        alertCount: 0,
        duplicateCount: 0,
        distinctAlertCount: 0,
        runCount: 1,
        // Set by the first delivery handled, then widened: earliest and latest receipt times.
        firstSeen: '',
        lastSeen: '',
        playbookRuns: [],
      };

  setHandler(alertSignal, (alert) => {
    const at = new Date().toISOString();
    pending.push({ alert, deliveries: 1, firstReceivedAt: at, lastReceivedAt: at });
  });
  setHandler(alertBatchSignal, (deliveries) => {
    pending.push(...deliveries);
  });
  setHandler(incidentStateQuery, () => state);

  // Search attributes (src/workflows/search-attributes.ts): zones, severity, sources, status,
  // unhandled, and whether one of its playbook runs waits for an approval. The API sets them
  // when it starts the incident; the run upserts them as they change.
  const searchable = input.settings.searchAttributes === true && patched(SEARCH_ATTRIBUTES_PATCH);
  let facets: IncidentFacets | undefined = carried?.facets;
  const awaitingApproval = new Set<string>(carried?.awaitingApproval ?? []);
  const upsertAttributes = () => {
    if (!searchable || facets === undefined) return;
    upsertSearchAttributes(
      searchAttributePairs(facets, {
        status: state.status,
        unhandled: state.unhandled === true,
        awaitingApproval: awaitingApproval.size > 0,
      }),
    );
  };
  setHandler(runAwaitingApprovalSignal, ({ workflowId: run, waiting }) => {
    const before = awaitingApproval.size > 0;
    if (waiting) awaitingApproval.add(run);
    else awaitingApproval.delete(run);
    if (before !== awaitingApproval.size > 0) upsertAttributes();
  });
  /** An ended run no longer waits for an approval (INCIDENT_CLEARS_ENDED_RUNS). */
  const noLongerWaiting = (run: string) => {
    if (!awaitingApproval.has(run) || !patched(INCIDENT_CLEARS_ENDED_RUNS)) return;
    awaitingApproval.delete(run);
    if (awaitingApproval.size === 0) upsertAttributes();
  };
  // A run continued as new starts without the attributes its predecessor upserted.
  if (carried !== undefined) upsertAttributes();
  const coalesceDuplicates = patched(STORM_PATCH);

  type IncidentAuditEvent = Omit<AuditEventInput, 'incidentId' | 'workflowId' | 'runId' | 'time' | 'actor'> &
    Partial<AuditEventInput>;
  const withContext = (event: IncidentAuditEvent): AuditEventInput => ({
    incidentId,
    workflowId,
    runId,
    time: new Date().toISOString(),
    actor: ENGINE_ACTOR,
    ...event,
  });
  /** For records whose key and content are the same on every attempt of the workflow task. */
  const audit = (...events: IncidentAuditEvent[]) => recordAuditsLocally(events.map(withContext));
  const auditCommitted = (event: IncidentAuditEvent) => recordAuditCommitted(withContext(event));

  /**
   * Duplicates counted but not audited yet (STORM_PATCH), per alert UID in arrival
   * order. The first one held starts a timer; when it fires the main loop audits them all in
   * one activity (one `alert.duplicate` record per alert), as it does before continuing as new
   * or closing. They are in the run's state meanwhile: nothing is lost if the worker dies.
   */
  const heldDuplicates = new Map<string, AlertDeliveries>();
  let duplicatesDue = false;
  let duplicateTimerRunning = false;
  const holdDuplicates = (entry: AlertDeliveries, copies: number): void => {
    const held = heldDuplicates.get(entry.alert.uid);
    if (held === undefined)
      heldDuplicates.set(entry.alert.uid, {
        alert: entry.alert,
        deliveries: copies,
        firstReceivedAt: entry.firstReceivedAt,
        lastReceivedAt: entry.lastReceivedAt,
      });
    else {
      held.deliveries += copies;
      if (entry.firstReceivedAt < held.firstReceivedAt) held.firstReceivedAt = entry.firstReceivedAt;
      if (entry.lastReceivedAt > held.lastReceivedAt) held.lastReceivedAt = entry.lastReceivedAt;
    }
    if (duplicateTimerRunning) return;
    duplicateTimerRunning = true;
    void sleep(DUPLICATE_AUDIT_INTERVAL_MS).then(
      () => {
        duplicateTimerRunning = false;
        duplicatesDue = true;
      },
      // Cancelled with the run: whatever is held is audited before it ends, or carried.
      () => undefined,
    );
  };
  const auditHeldDuplicates = async (): Promise<void> => {
    duplicatesDue = false;
    const held = [...heldDuplicates.values()];
    heldDuplicates.clear();
    await recordAuditsCommitted(
      held.map(({ alert, deliveries, firstReceivedAt, lastReceivedAt }) =>
        withContext({
          // Unique per record: the count only grows between two audits of the same alert.
          idempotencyKey: `${runId}:dup:${alert.uid}:${state.duplicateCount}`,
          eventType: 'alert.duplicate',
          trigger: triggerOf(alert),
          details: { deliveries, firstReceivedAt, lastReceivedAt },
        }),
      ),
    );
  };

  const notifications = new BackgroundNotifications(carried?.notify ?? true);
  /**
   * A new incident is recorded as opened together with its first alert (one audit call), and
   * announced once that alert's triage has said whether anyone is to be told.
   */
  let opening: IncidentAuditEvent | undefined;
  if (carried === undefined) {
    // Started by signal-with-start: the opening alert arrives as the first signal.
    // Usually it has arrived already; a condition with a timeout would start a timer regardless.
    if (pending.length === 0) await condition(() => pending.length > 0, input.settings.closeAfterIdleMs);
    const first = pending[0]?.alert;
    opening = {
      idempotencyKey: `${runId}:opened`,
      eventType: 'incident.opened',
      ...(first === undefined ? {} : { trigger: triggerOf(first) }),
      details: { correlationKey: input.correlationKey },
    };
    // Nothing arrived before the idle timeout: the incident is still recorded as opened.
    if (first === undefined) {
      await audit(opening);
      opening = undefined;
    }
  }

  /**
   * Starts a run workflow for each playbook the admission left unfinished (at the first step
   * that needs people, failed or could not be decided), handing it the steps already handled.
   */
  const startPlaybooks = async (runs: readonly AdmittedRun[], alert: Alert): Promise<void> => {
    for (const { playbook, runWorkflowId, prepared, outcomes } of runs) {
      startedPlaybooks.add(playbook.id);
      const run: PlaybookRun = { playbookId: playbook.id, workflowId: runWorkflowId, status: 'running' };
      state.playbookRuns.push(run);
      if (outcomes !== undefined) {
        // Every step was handled in the admission: no run workflow is needed.
        run.status = 'completed';
        const runContext = {
          incidentId,
          workflowId: runWorkflowId,
          runId,
          playbookId: playbook.id,
          playbookVersion: playbook.version,
          trigger: triggerOf(alert),
        };
        notifications.send(playbookFinished(runContext, outcomes));
        continue;
      }
      running += 1;
      const child = await startChild(playbookRunWorkflow, {
        workflowId: runWorkflowId,
        args: [
          {
            incidentId,
            playbook,
            alert,
            notify: notifications.enabled,
            prepared,
            ...(searchable && facets !== undefined ? { searchAttributes: facets } : {}),
          },
        ],
        // A playbook run finishes its safety logic even if the incident is terminated.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      child.result().then(
        () => {
          run.status = 'completed';
          running -= 1;
          noLongerWaiting(runWorkflowId);
        },
        () => {
          run.status = 'failed';
          running -= 1;
          noLongerWaiting(runWorkflowId);
        },
      );
    }
  };

  const handle = async (entry: AlertDeliveries): Promise<void> => {
    const { alert, deliveries } = entry;
    state.alertCount += deliveries;
    if (state.firstSeen === '' || entry.firstReceivedAt < state.firstSeen) state.firstSeen = entry.firstReceivedAt;
    if (entry.lastReceivedAt > state.lastSeen) state.lastSeen = entry.lastReceivedAt;
    const auditDuplicates = (copies: number) =>
      // One record per alert per batch, however many copies the batch carried.
      auditCommitted({
        idempotencyKey: `${runId}:dup:${alert.uid}:${state.duplicateCount}`,
        eventType: 'alert.duplicate',
        trigger: triggerOf(alert),
        details: { deliveries: copies, firstReceivedAt: entry.firstReceivedAt, lastReceivedAt: entry.lastReceivedAt },
      });
    if (seenUids.has(alert.uid)) {
      state.duplicateCount += deliveries;
      if (coalesceDuplicates) holdDuplicates(entry, deliveries);
      else await auditDuplicates(deliveries);
      return;
    }
    if (seenUids.size >= MAX_REMEMBERED_UIDS) seenUids.clear();
    seenUids.add(alert.uid);
    state.distinctAlertCount = (state.distinctAlertCount ?? 0) + 1;
    // Matching reads configuration only: it runs while the alert is audited; playbooks start after both.
    const received: IncidentAuditEvent = {
      idempotencyKey: `${runId}:alert:${alert.uid}`,
      eventType: 'alert.received',
      trigger: triggerOf(alert),
    };
    let admission: Admission;
    try {
      admission = await admitAlert({
        alert,
        records: (opening === undefined ? [received] : [opening, received]).map(withContext),
        incident: { id: incidentId, workflowId, runId },
        startedPlaybooks: [...startedPlaybooks],
        unhandledNoticed: state.unhandled === true,
        receivedAt: entry.firstReceivedAt,
      });
    } catch (error) {
      const refusal = recordRefusal(error);
      if (refusal === undefined) throw error;
      // Accepted means recorded: an alert the audit store refuses as received is kept as a
      // quarantined delivery, and the incident goes on with the alerts after it.
      await quarantine(entry, refusal);
      return;
    }
    notifications.enabled = admission.notify;
    const widened = widenFacets(facets, alert, admission.zones ?? []);
    const changed = !sameFacets(facets, widened) || (admission.unhandled !== undefined && state.unhandled !== true);
    facets = widened;
    if (opening !== undefined) {
      opening = undefined;
      notifications.send({
        kind: 'incident.opened',
        context: { incidentId, workflowId, runId, trigger: triggerOf(alert) },
        title: alert.title,
        severity: alert.severity,
        alert,
      });
    }
    if (admission.unhandled !== undefined) {
      // Deterministic on replay without a patch: older histories' admissions never return it.
      state.unhandled = true;
      notifications.send({
        kind: 'incident.unhandled',
        context: { incidentId, workflowId, runId, trigger: triggerOf(alert) },
        title: alert.title,
        severity: alert.severity,
        source: alert.source.name,
        ...admission.unhandled,
      });
    }
    if (changed) upsertAttributes();
    await startPlaybooks(admission.runs, alert);
    // Copies that came in the same batch as the first delivery are duplicates too.
    if (deliveries > 1) {
      state.duplicateCount += deliveries - 1;
      if (coalesceDuplicates) holdDuplicates(entry, deliveries - 1);
      else await auditDuplicates(deliveries - 1);
    }
  };

  /** Records an alert that could not be admitted, with the incident's opening record if it is due. */
  const quarantine = async (entry: AlertDeliveries, reason: string): Promise<void> => {
    const trigger = quarantineTriggerOf(entry.alert);
    const quarantined: IncidentAuditEvent = {
      // Keyed by position, not by the alert's UID: the UID may be what could not be stored.
      idempotencyKey: `${runId}:quarantined:${state.distinctAlertCount ?? 0}`,
      eventType: 'alert.quarantined',
      trigger,
      result: { status: 'refused', detail: reason.slice(0, 512) },
      details: {
        deliveries: entry.deliveries,
        firstReceivedAt: entry.firstReceivedAt,
        lastReceivedAt: entry.lastReceivedAt,
      },
    };
    await audit(...(opening === undefined ? [] : [{ ...opening, trigger }]), quarantined);
    opening = undefined;
  };

  const continueAsNewThreshold = input.settings.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  const historyIsLarge = (): boolean => {
    const info = workflowInfo();
    if (info.historyLength >= continueAsNewThreshold * HARD_CONTINUE_AS_NEW_FACTOR) return true;
    return running === 0 && (info.continueAsNewSuggested || info.historyLength >= continueAsNewThreshold);
  };

  /**
   * STORM_PATCH's idle wait: one timer at a time, not one started and cancelled per batch. The
   * incident closes once it has been quiet (no alert, no playbook running) for closeAfterIdleMs
   * by workflow time; a timer that fires before that is re-armed for the rest.
   */
  const closeAfterIdleMs = input.settings.closeAfterIdleMs;
  let quietSince = new Date().getTime();
  let idleTimerRunning = false;
  let idleTimerFired = false;
  const armIdleTimer = (ms: number): void => {
    idleTimerRunning = true;
    void sleep(Math.max(1, ms)).then(
      () => {
        idleTimerRunning = false;
        idleTimerFired = true;
      },
      () => undefined,
    );
  };

  let closing = false;
  for (;;) {
    if (pending.length > 0) {
      while (pending.length > 0) {
        for (const entry of mergeDeliveries(pending.splice(0))) await handle(entry);
        if (historyIsLarge()) break;
      }
      quietSince = new Date().getTime();
    }
    if (historyIsLarge()) break;
    // Never true without STORM_PATCH: older runs wait exactly as they did.
    if (duplicatesDue) {
      await auditHeldDuplicates();
      continue;
    }
    if (running > 0) {
      await condition(() => pending.length > 0 || running === 0 || duplicatesDue);
      if (running === 0) quietSince = new Date().getTime();
      continue;
    }
    if (coalesceDuplicates) {
      const quietFor = new Date().getTime() - quietSince;
      if (quietFor >= closeAfterIdleMs) {
        closing = true;
        break;
      }
      if (!idleTimerRunning) armIdleTimer(closeAfterIdleMs - quietFor);
      idleTimerFired = false;
      await condition(() => pending.length > 0 || duplicatesDue || idleTimerFired);
      continue;
    }
    const gotAlert = await condition(() => pending.length > 0 || duplicatesDue, closeAfterIdleMs);
    if (!gotAlert) {
      closing = true;
      break;
    }
  }

  await condition(allHandlersFinished);
  // Before the run ends, whether it continues as new or closes (none held without the patch).
  if (heldDuplicates.size > 0) await auditHeldDuplicates();
  if (!closing) {
    // Keep the history small: a fresh run with the same incident ID, state and undone work.
    await notifications.settle();
    await continueAsNew<typeof incidentWorkflow>({
      ...input,
      alerts: [],
      deliveries: pending.splice(0),
      carried: {
        state,
        seenUids: [...seenUids],
        startedPlaybooks: [...startedPlaybooks],
        notify: notifications.enabled,
        ...(facets === undefined ? {} : { facets }),
        awaitingApproval: [...awaitingApproval],
      },
    });
  }
  state.status = 'closed';
  upsertAttributes();
  await auditCommitted({
    idempotencyKey: `${runId}:closed`,
    eventType: 'incident.closed',
    details: {
      alertCount: state.alertCount,
      duplicateCount: state.duplicateCount,
      distinctAlertCount: state.distinctAlertCount ?? 0,
      firstSeen: state.firstSeen,
      lastSeen: state.lastSeen,
      playbookRuns: state.playbookRuns,
    },
  });
  notifications.send({
    kind: 'incident.closed',
    context: { incidentId, workflowId, runId },
    alertCount: state.alertCount,
    duplicateCount: state.duplicateCount,
  });
  await notifications.settle();
  // Alerts that arrived while closing start the next incident run: none is dropped.
  if (pending.length > 0)
    await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: [], deliveries: pending, carried: undefined });
  return state;
}
