import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InterlockActivities } from '../engine/contracts';
import {
  ACTION_ACTIVITY,
  AUDIT_LOCAL_ACTIVITY,
  DECISION_LOCAL_ACTIVITY,
  LEGACY_ACTION_LOCAL_ACTIVITY,
} from './activity-options';
import { triggerOf } from '../engine/audit-helpers';
import { APPROVAL_OUTCOME_IN_ONE_TASK, ApprovalGate } from './approval-gate';
import { BackgroundNotifications } from './background';
import { runAwaitingApprovalSignal, type PlaybookRunInput } from './definitions';
import { searchAttributePairs, type SearchStatus } from './search-attributes';
import { playbookRun, type StepEffect } from '../engine/step-machine';
import { playbookFinished, type StepOutcome } from '../engine/step-outcomes';

export type { StepOutcome } from '../engine/step-outcomes';

// Audit writes and policy decisions are short, idempotent DB/config calls: local activities, so
// the path to an action has no server round trip per step. People are alerted through the audit
// trail: retried like every audit write, never given up.
const { recordAudits, alertPeople } = proxyLocalActivities<InterlockActivities>(AUDIT_LOCAL_ACTIVITY);
const { decideAction, decideStep } = proxyLocalActivities<InterlockActivities>(DECISION_LOCAL_ACTIVITY);
// Vendor calls are regular activities (activity-options.ts: local activities only for short
// work): automatic actions the run makes — among them a first attempt the incident's admission
// could not finish — and approved changes alike. The action ledger makes each at most once.
const { executeAction, createRecommendationTask } = proxyActivities<InterlockActivities>(ACTION_ACTIVITY);
// Replay of runs recorded when automatic actions were local activities (see the patch below).
const { executeAction: legacyExecuteActionLocally } =
  proxyLocalActivities<InterlockActivities>(LEGACY_ACTION_LOCAL_ACTIVITY);
/** Automatic actions run as regular activities; histories from before ran them as local ones. */
const AUTO_ACTIONS_AS_ACTIVITIES = 'auto-actions-as-regular-activities';
/** Search attributes kept current, and the incident told of approvals waiting (both commands). */
const RUN_SEARCH_ATTRIBUTES_PATCH = 'run-search-attributes';
/**
 * A decided approval no longer tells the incident at once that the run stopped waiting: the
 * signal cost the incident a workflow task (a replay, when its run was evicted from the worker's
 * cache) and the run another one, on the way from the decision to the action
 * (docs/benchmarks.md#parked-incidents). The incident is told before the run's next long wait —
 * a regular activity other than the decided action's own, or its next approval (which tells it
 * the run waits again) — and otherwise learns it from the run's end (INCIDENT_CLEARS_ENDED_RUNS
 * in incident-workflow.ts).
 */
export const NOT_WAITING_TOLD_LATER = 'incident-told-not-waiting-later';

/**
 * Runs one playbook for one incident: the workflow driver of the step machine
 * (src/engine/step-machine.ts, which holds the steps' logic). It performs each effect the
 * machine yields — decisions and audit writes as local activities, vendor calls and tasks as
 * regular activities, approvals through the ApprovalGate (a workflow Update whose validator
 * refuses bad approvals before they enter history) — and resumes from the leading steps the
 * incident's admission already ran (`input.prepared`).
 */
export async function playbookRunWorkflow(input: PlaybookRunInput): Promise<StepOutcome[]> {
  const { incidentId, playbook, alert } = input;
  const { workflowId, runId, parent } = workflowInfo();
  const facets =
    input.searchAttributes !== undefined && patched(RUN_SEARCH_ATTRIBUTES_PATCH) ? input.searchAttributes : undefined;
  const setStatus = (status: SearchStatus) => {
    if (facets !== undefined)
      upsertSearchAttributes(
        searchAttributePairs(facets, { status, awaitingApproval: status === 'awaiting-approval' }),
      );
  };
  /** The incident's own attribute says whether any of its runs waits; it may have closed meanwhile. */
  const tellIncident = async (waiting: boolean) => {
    if (facets === undefined || parent === undefined) return;
    await getExternalWorkflowHandle(parent.workflowId)
      .signal(runAwaitingApprovalSignal, { workflowId, waiting })
      .catch(() => undefined);
  };
  setStatus('running');
  /** Signals to the incident not awaited where they were sent, awaited before the run ends. */
  const told: Promise<void>[] = [];
  /**
   * NOT_WAITING_TOLD_LATER: `decided` from a decision until the effect after it (the decided
   * action, usually) has been performed, then `acted`; the incident is told before the next
   * regular activity.
   */
  let notWaitingOwed: 'no' | 'decided' | 'acted' = 'no';
  const tellOwed = () => {
    notWaitingOwed = 'no';
    told.push(tellIncident(false));
  };
  const notifications = new BackgroundNotifications(input.notify ?? true);
  const gate = new ApprovalGate(notifications);
  const context = {
    incidentId,
    workflowId,
    runId,
    playbookId: playbook.id,
    playbookVersion: playbook.version,
    trigger: triggerOf(alert),
  };

  /** One effect, one command (or none): the order of commands is the machine's order of effects. */
  const perform = async (effect: StepEffect): Promise<unknown> => {
    if (notWaitingOwed === 'acted' && (effect.kind === 'execute' || effect.kind === 'recommend')) tellOwed();
    else if (notWaitingOwed === 'decided' && effect.kind !== 'approve') notWaitingOwed = 'acted';
    switch (effect.kind) {
      case 'decide':
        return decideStep(effect.request);
      case 'decideAction':
        return decideAction(effect.request);
      case 'audit':
        // Deferrable records too are written at once: the run has no later write to batch them with.
        return recordAudits(effect.records);
      case 'alertPeople':
        return alertPeople(effect.request);
      case 'recommend':
        return createRecommendationTask(effect.request);
      case 'approve': {
        setStatus('awaiting-approval');
        // Telling it the run waits again covers a "no longer waiting" still owed.
        notWaitingOwed = 'no';
        await tellIncident(true);
        try {
          return await gate.request(effect.decision, effect.context);
        } finally {
          setStatus('running');
          // The decided action is scheduled in the same workflow task as the signal, not after
          // the server confirmed it (APPROVAL_OUTCOME_IN_ONE_TASK); since NOT_WAITING_TOLD_LATER,
          // without the signal.
          if (patched(APPROVAL_OUTCOME_IN_ONE_TASK)) {
            if (patched(NOT_WAITING_TOLD_LATER)) notWaitingOwed = 'decided';
            else told.push(tellIncident(false));
          } else await tellIncident(false);
        }
      }
      case 'execute':
        return (effect.automatic && !patched(AUTO_ACTIONS_AS_ACTIVITIES) ? legacyExecuteActionLocally : executeAction)(
          effect.request,
        );
    }
  };

  const machine = playbookRun({
    playbook,
    alert,
    context,
    keyPrefix: `${runId}:`,
    prepared: input.prepared,
    now: () => new Date().toISOString(),
  });
  let next: ReturnType<typeof machine.next>;
  try {
    next = machine.next();
    while (next.done !== true) {
      let answer: unknown;
      try {
        answer = await perform(next.value);
      } catch (error) {
        // The machine decides what a failure means (rule 9, a failed step, …); unhandled, it ends the run.
        next = machine.throw(error);
        continue;
      }
      next = machine.next(answer);
    }
  } catch (error) {
    setStatus('failed');
    throw error;
  }
  setStatus('completed');
  const { outcomes } = next.value;
  notifications.send(playbookFinished(context, outcomes));
  await Promise.all(told);
  await notifications.settle();
  await condition(allHandlersFinished);
  return outcomes;
}
