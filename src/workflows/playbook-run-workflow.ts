import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { actionSpec, type ActionRequest } from '../actions/catalog';
import type { InterlockActivities, StepPlan } from '../engine/contracts';
import type { AuditEventInput } from '../audit/types';
import type { PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';
import {
  ACTION_ACTIVITY,
  AUDIT_LOCAL_ACTIVITY,
  DECISION_LOCAL_ACTIVITY,
  LEGACY_ACTION_LOCAL_ACTIVITY,
} from './activity-options';
import { ENGINE_ACTOR, triggerOf } from '../engine/audit-helpers';
import { ApprovalGate, type ApprovalOutcome } from './approval-gate';
import { BackgroundNotifications } from './background';
import type { ApprovalVote, PlaybookRunInput, PreparedStep } from './definitions';
import {
  executedOutcome,
  playbookFinished,
  skippedOutcome,
  skippedRecord,
  type StepOutcome,
} from '../engine/step-outcomes';

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

/**
 * Interprets one playbook for one incident, step by step. Every action goes through the
 * policy engine (decideStep; decideAction for a compensation) and, when it says so, waits for
 * operator approval sent as a workflow Update; the validator refuses bad approvals before they
 * enter history.
 */
export async function playbookRunWorkflow(input: PlaybookRunInput): Promise<StepOutcome[]> {
  const { incidentId, playbook, alert } = input;
  const { workflowId, runId } = workflowInfo();
  const outcomes: StepOutcome[] = [];
  const stepResults: Record<string, StepOutcome> = {};

  const notifications = new BackgroundNotifications(input.notify ?? true);
  const gate = new ApprovalGate(notifications);

  const context = (stepId?: string) => ({
    incidentId,
    workflowId,
    runId,
    playbookId: playbook.id,
    playbookVersion: playbook.version,
    ...(stepId === undefined ? {} : { stepId }),
    trigger: triggerOf(alert),
  });
  const withContext = (event: Omit<AuditEventInput, 'incidentId' | 'time' | 'actor'> & Partial<AuditEventInput>) => ({
    ...context(),
    time: new Date().toISOString(),
    actor: ENGINE_ACTOR,
    ...event,
  });
  /**
   * The run's opening record goes out with the run's first audit write or policy decision
   * (one local-activity round trip fewer before the first action), always ahead of it.
   */
  const { prepared } = input;
  const started = withContext({
    idempotencyKey: prepared?.startedKey ?? `${runId}:started`,
    eventType: 'playbook.started',
    details: { name: playbook.name },
  });
  // The incident's admission wrote it with the first step's decision; records it could not
  // write (it stopped at a step it could not decide) go out ahead of the run's first record.
  let startedRecorded = (prepared?.steps.length ?? 0) > 0;
  let handedOver = prepared?.unwritten ?? [];
  const unwrittenRecords = (): AuditEventInput[] => [...(startedRecorded ? [] : [started]), ...handedOver];
  const written = () => {
    startedRecorded = true;
    handedOver = [];
  };
  const audit = async (event: Parameters<typeof withContext>[0]) => {
    await recordAudits([...unwrittenRecords(), withContext(event)]);
    written();
  };

  const vars = () => ({ alert, incident: { id: incidentId }, steps: stepResults });
  /** Executed actions that have a compensation, in order (rule 10). */
  const executed: { stepId: string; action: ActionRequest }[] = [];

  /**
   * One step: its expressions are evaluated and its action decided in one local activity
   * (CEL stays out of the workflow sandbox, where it would be loaded for every execution).
   */
  const runStep = async (step: PlaybookStep, preparedStep?: PreparedStep): Promise<StepOutcome> => {
    if (preparedStep !== undefined) {
      // A skipped step's record was written by the incident's admission with its decision.
      if (preparedStep.plan.kind === 'skipped') return skippedOutcome(step);
      return followPlan(step, preparedStep.plan, preparedStep);
    }
    const decide = async () => {
      const plan = await decideStep({
        step,
        vars: vars(),
        context: context(step.id),
        idempotencyKey: `${runId}:${step.id}:policy`,
        preceding: unwrittenRecords(),
      });
      written();
      return plan;
    };
    let plan: Awaited<ReturnType<typeof decide>>;
    try {
      plan = await decide();
    } catch (error) {
      // The target as the playbook wrote it: rendering happens with the decision that failed.
      return failSafe(step.id, { type: step.action, target: step.target, params: {} }, error);
    }
    return followPlan(step, plan);
  };

  /** Records a skipped or invalid step, or carries out its decision (`done`: already executed). */
  const followPlan = async (
    step: PlaybookStep,
    plan: StepPlan,
    prepared?: Pick<PreparedStep, 'execution' | 'executionKey'>,
  ): Promise<StepOutcome> => {
    if (plan.kind === 'skipped') {
      await audit(skippedRecord(step, `${runId}:${step.id}:skipped`));
      return skippedOutcome(step);
    }
    if (plan.kind === 'invalid') {
      // An expression that cannot be evaluated for this alert fails the step, not the run.
      await audit({
        idempotencyKey: `${runId}:${step.id}:expression`,
        stepId: step.id,
        eventType: 'action.failed',
        result: { status: 'failed', detail: plan.message },
      });
      return { stepId: step.id, status: 'failed', detail: plan.message };
    }
    return carryOut(step.id, plan.action, plan.decision, prepared);
  };

  /** Decides one action (a compensation) with the policy, then carries it out. */
  const runAction = async (stepId: string, action: ActionRequest): Promise<StepOutcome> => {
    let decision: PolicyDecision;
    try {
      decision = await decideAction({
        action,
        context: context(stepId),
        idempotencyKey: `${runId}:${stepId}:policy`,
        preceding: unwrittenRecords(),
      });
      written();
    } catch (error) {
      return failSafe(stepId, action, error);
    }
    return carryOut(stepId, action, decision);
  };

  /** Rule 9: without a policy decision nothing runs, and people are told. */
  const failSafe = async (stepId: string, action: ActionRequest, error: unknown): Promise<StepOutcome> => {
    const step = { id: stepId };
    await audit({
      idempotencyKey: `${runId}:${step.id}:fail-safe`,
      stepId: step.id,
      eventType: 'action.skipped',
      decision: { outcome: 'refuse', rule: 'rule-9-fail-safe', reason: 'policy or inventory unreachable' },
      result: { status: 'refused', detail: errorMessage(error) },
    });
    await alertPeople({
      rule: 'rule-9-fail-safe',
      reason: `no policy decision for ${action.type} on ${action.target}: nothing was done (${errorMessage(error)})`,
      idempotencyKey: `${runId}:${step.id}:fail-safe:alerted`,
      context: context(step.id),
    });
    return { stepId: step.id, status: 'refused', rule: 'rule-9-fail-safe' };
  };

  /** Acts on a decision: refuse, recommend, wait for approval, or execute. */
  const carryOut = async (
    stepId: string,
    action: ActionRequest,
    decision: PolicyDecision,
    prepared?: Pick<PreparedStep, 'execution' | 'executionKey'>,
  ): Promise<StepOutcome> => {
    const step = { id: stepId };
    if (decision.outcome === 'refuse') {
      if (decision.rule === 'rule-5-safety-system') {
        // Rule 5: escalate to the safety owner; evidence collection only.
        await alertPeople({
          rule: decision.rule,
          reason: `safety owner: ${decision.reason}`,
          idempotencyKey: `${runId}:${step.id}:safety-escalation`,
          context: context(step.id),
        });
      }
      return { stepId: step.id, status: 'refused', rule: decision.rule, detail: decision.reason };
    }
    if (decision.outcome === 'recommend') {
      // Rules 4 and 12: a task for people, never executed by the engine.
      let detail = decision.reason;
      try {
        const task = await createRecommendationTask({
          decision,
          idempotencyKey: `${workflowId}:${runId}:${step.id}:task`,
          context: context(step.id),
        });
        if (task.taskKey !== undefined) detail = `${detail} (task ${task.taskKey})`;
      } catch (error) {
        await audit({
          idempotencyKey: `${runId}:${step.id}:task-failed`,
          stepId: step.id,
          eventType: 'notification.failed',
          result: { status: 'failed', detail: `task for ${action.type}: ${errorMessage(error)}` },
        });
      }
      return { stepId: step.id, status: 'recommended', rule: decision.rule, detail };
    }

    let votes: ApprovalVote[] = [];
    let grantedApprovalId: string | undefined;
    let breakGlass: ApprovalOutcome['breakGlass'];
    if (decision.outcome === 'approve') {
      const outcome = await gate.request(decision, context(step.id));
      if (outcome.status === 'expired') {
        return {
          stepId: step.id,
          status: 'expired',
          rule: 'rule-8-approval-expired',
          detail: 'approval expired: not acted',
        };
      }
      if (outcome.status === 'rejected')
        return { stepId: step.id, status: 'rejected', rule: decision.rule, detail: 'approval rejected' };
      votes = outcome.votes;
      grantedApprovalId = outcome.approvalId;
      breakGlass = outcome.breakGlass;
    }

    try {
      // An automatic step the incident workflow already carried out is not executed again.
      const done = decision.outcome === 'auto' ? prepared?.execution : undefined;
      const execute = () =>
        decision.outcome === 'auto' && !patched(AUTO_ACTIONS_AS_ACTIVITIES)
          ? legacyExecuteActionLocally
          : executeAction;
      const result =
        done ??
        (await execute()({
          action,
          approvedDigest: decision.outcome === 'approve' ? decision.actionDigest : undefined,
          approvalId: grantedApprovalId,
          votes,
          ...(breakGlass === undefined ? {} : { breakGlass }),
          // Per run: a retried activity never acts twice, but a reopened incident (a new run
          // of this playbook) acts again — the threat came back.
          // A step the incident workflow tried first keeps its key: the ledger acts once.
          idempotencyKey: prepared?.executionKey ?? `${workflowId}:${runId}:${step.id}`,
          context: context(step.id),
        }));
      if (decision.compensation !== undefined) executed.push({ stepId: step.id, action });
      return executedOutcome(step.id, decision, result.summary);
    } catch (error) {
      await audit({
        idempotencyKey: `${runId}:${step.id}:failed`,
        stepId: step.id,
        eventType: 'action.failed',
        action: {
          type: action.type,
          params: action.params,
          enforcementPoint: decision.enforcementPoint,
          digest: decision.actionDigest,
        },
        target: decision.target,
        result: { status: 'failed', detail: errorMessage(error) },
      });
      return { stepId: step.id, status: 'failed', rule: decision.rule, detail: errorMessage(error) };
    }
  };

  let failed = false;
  for (const [index, step] of playbook.steps.entries()) {
    const outcome = await runStep(step, prepared?.steps[index]);
    outcomes.push(outcome);
    stepResults[step.id] = outcome;
    if (outcome.status === 'failed' && step.onFailure !== 'continue') {
      failed = true;
      break;
    }
  }

  if (failed && playbook.rollbackOnFailure && executed.length > 0) {
    // Rule 10 (saga): undo what was done, newest first; each compensation is decided and audited like any action.
    await audit({
      idempotencyKey: `${runId}:rolling-back`,
      eventType: 'playbook.rolling-back',
      details: { steps: executed.map((e) => e.stepId).reverse() },
    });
    for (const done of [...executed].reverse()) {
      const compensation = actionSpec(done.action.type).compensation;
      if (compensation === undefined) continue;
      const outcome = await runAction(`${done.stepId}-rollback`, { ...done.action, type: compensation });
      outcomes.push(outcome);
    }
  }

  await audit({
    idempotencyKey: `${runId}:completed`,
    eventType: failed ? 'playbook.failed' : 'playbook.completed',
    details: { outcomes },
  });
  notifications.send(playbookFinished(context(), outcomes));
  await notifications.settle();
  await condition(allHandlersFinished);
  return outcomes;
}

function errorMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause !== undefined) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
