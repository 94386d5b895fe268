/**
 * The one step interpreter: a playbook run's whole life — render and decide each step, pass
 * the execution gate, execute or wait for approval, record, choose the next step, roll back —
 * written once, as a generator of effects. Pure: it does no I/O itself; it yields what it
 * needs done (`StepEffect`) and a driver performs it and sends the answer back (or throws the
 * failure into it). Two drivers run it:
 *
 * - the incident's admission (src/activities/admission.ts `runLeadingSteps`), in-process inside
 *   the `admitAlert` local activity, which performs the leading steps that need nobody;
 * - the playbook-run workflow (src/workflows/playbook-run-workflow.ts), which performs every
 *   effect as a local activity, a regular activity or the approval gate.
 *
 * Where the admission stops, what it got (plans, first-attempt results, unwritten records)
 * travels as a `PreparedRun`; the workflow starts the same machine with it, and the machine
 * takes those answers instead of asking again. Every idempotency key, `onFailure` and the
 * rollback order live here. The workflow driver must keep issuing the same commands in the
 * same order for recorded histories (docs/workflow-changes.md): change the effects a run yields
 * only behind a `patched()` in the driver.
 */
import { ActivityFailure } from '@temporalio/common';
import { actionSpec, type ActionRequest } from '../actions/catalog';
import type { Alert } from '../alerts/alert';
import type { ApprovalVote } from '../approvals/messages';
import type { AuditEventInput } from '../audit/types';
import type { Playbook, PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';
import { ENGINE_ACTOR } from './audit-helpers';
import type {
  AuditContext,
  DecisionRequest,
  ExecutionRequest,
  PeopleAlertRequest,
  PreparedRun,
  PreparedStep,
  RecommendationTaskRequest,
  StepPlan,
  StepRequest,
} from './contracts';
import { executedOutcome, skippedOutcome, skippedRecord, type StepOutcome, type StepResult } from './step-outcomes';

/** What the machine needs done, and the answer each one expects back. */
export type StepEffect =
  /** → StepPlan. `executionKey`: the ledger key should the driver attempt an automatic action at once. */
  | { kind: 'decide'; request: StepRequest; executionKey: string }
  /** → PolicyDecision (a compensation). */
  | { kind: 'decideAction'; request: DecisionRequest }
  /** → void, or DEFERRED when the driver may hold `deferrable` records back (they go out with the next write). */
  | { kind: 'audit'; records: AuditEventInput[]; deferrable: boolean }
  /** → void. */
  | { kind: 'alertPeople'; request: PeopleAlertRequest }
  /** → { taskKey?: string }. */
  | { kind: 'recommend'; request: RecommendationTaskRequest }
  /** → ApprovalAnswer (waits for people). */
  | { kind: 'approve'; decision: PolicyDecision; context: AuditContext }
  /** → { summary: string, result?: StepResult }. `automatic`: an `auto` decision (no approval). */
  | { kind: 'execute'; request: ExecutionRequest; automatic: boolean };

/** The answer to a deferrable `audit`: the records were not written, keep them pending. */
export const DEFERRED = 'deferred';

export interface ApprovalAnswer {
  approvalId: string;
  status: 'approved' | 'rejected' | 'expired';
  votes: ApprovalVote[];
  breakGlass?: { operatorId: string; justification: string };
}

export interface RunSetup {
  playbook: Playbook;
  alert: Alert;
  /** The run's audit context (no stepId); its workflowId and runId make the execution keys. */
  context: AuditContext;
  /** Prefix of the run's record and decision keys (`<runId>:`; admission: `<incidentRunId>:<playbookId>:`). */
  keyPrefix: string;
  /** What the incident's admission already got for the leading steps. */
  prepared?: PreparedRun;
  /** The record time (workflow time in the workflow). */
  now: () => string;
}

export interface RunResult {
  outcomes: StepOutcome[];
  failed: boolean;
}

export type StepMachine = Generator<StepEffect, RunResult, unknown>;

type Event = Omit<AuditEventInput, 'incidentId' | 'time' | 'actor'> & Partial<AuditEventInput>;

/** Runs one playbook for one incident (see the file comment). */
export function* playbookRun(run: RunSetup): StepMachine {
  const { playbook, alert, prepared, now } = run;
  const key = (suffix: string) => `${run.keyPrefix}${suffix}`;
  const executionKey = (stepId: string) => `${run.context.workflowId}:${run.context.runId}:${stepId}`;
  const context = (stepId?: string): AuditContext => ({ ...run.context, ...(stepId === undefined ? {} : { stepId }) });
  const record = (event: Event): AuditEventInput => ({ ...run.context, time: now(), actor: ENGINE_ACTOR, ...event });

  // Records not yet in the audit trail, in chain order: they go out ahead of the next write or
  // decision. The opening record first — unless the admission wrote it with its first decision.
  const started = record({
    idempotencyKey: prepared?.startedKey ?? key('started'),
    eventType: 'playbook.started',
    details: { name: playbook.name },
  });
  let pending: AuditEventInput[] = [
    ...((prepared?.steps.length ?? 0) > 0 ? [] : [started]),
    ...(prepared?.unwritten ?? []),
  ];

  const outcomes: StepOutcome[] = [];
  const stepResults: Record<string, StepOutcome> = {};
  /** Executed actions that have a compensation, in order (rule 10). */
  const executed: { stepId: string; action: ActionRequest }[] = [];

  function* audit(event: Event, deferrable = false): Generator<StepEffect, void, unknown> {
    const records = [...pending, record(event)];
    const answer = yield { kind: 'audit', records, deferrable };
    pending = deferrable && answer === DEFERRED ? records : [];
  }

  /** One step: taken from the admission's answers, or rendered and decided (one effect). */
  function* runStep(step: PlaybookStep, handedOver?: PreparedStep): Generator<StepEffect, StepOutcome, unknown> {
    if (handedOver !== undefined) {
      // A skipped step's record was written by the incident's admission with its decision.
      if (handedOver.plan.kind === 'skipped') return skippedOutcome(step);
      return yield* followPlan(step, handedOver.plan, handedOver);
    }
    let plan: StepPlan;
    try {
      plan = (yield {
        kind: 'decide',
        request: {
          step,
          vars: { alert, incident: { id: run.context.incidentId }, steps: { ...stepResults } },
          context: context(step.id),
          idempotencyKey: key(`${step.id}:policy`),
          preceding: pending,
        },
        executionKey: executionKey(step.id),
      }) as StepPlan;
      pending = [];
    } catch (error) {
      // The target as the playbook wrote it: rendering happens with the decision that failed.
      return yield* failSafe(step.id, { type: step.action, target: step.target, params: {} }, error);
    }
    return yield* followPlan(step, plan);
  }

  /** Records a skipped or invalid step, or carries out its decision. */
  function* followPlan(step: PlaybookStep, plan: StepPlan, handedOver?: PreparedStep) {
    if (plan.kind === 'skipped') {
      yield* audit(skippedRecord(step, key(`${step.id}:skipped`)), true);
      return skippedOutcome(step);
    }
    if (plan.kind === 'invalid') {
      // An expression that cannot be evaluated for this alert fails the step, not the run.
      yield* audit({
        idempotencyKey: key(`${step.id}:expression`),
        stepId: step.id,
        eventType: 'action.failed',
        result: { status: 'failed', detail: plan.message },
      });
      return { stepId: step.id, status: 'failed', detail: plan.message } satisfies StepOutcome;
    }
    return yield* carryOut(step.id, plan.action, plan.decision, handedOver);
  }

  /** Decides one action (a compensation) with the policy, then carries it out. */
  function* runAction(stepId: string, action: ActionRequest): Generator<StepEffect, StepOutcome, unknown> {
    let decision: PolicyDecision;
    try {
      decision = (yield {
        kind: 'decideAction',
        request: { action, context: context(stepId), idempotencyKey: key(`${stepId}:policy`), preceding: pending },
      }) as PolicyDecision;
      pending = [];
    } catch (error) {
      return yield* failSafe(stepId, action, error);
    }
    return yield* carryOut(stepId, action, decision);
  }

  /** Rule 9: without a policy decision nothing runs, and people are told. */
  function* failSafe(stepId: string, action: ActionRequest, error: unknown): Generator<StepEffect, StepOutcome> {
    yield* audit({
      idempotencyKey: key(`${stepId}:fail-safe`),
      stepId,
      eventType: 'action.skipped',
      decision: { outcome: 'refuse', rule: 'rule-9-fail-safe', reason: 'policy or inventory unreachable' },
      result: { status: 'refused', detail: errorMessage(error) },
    });
    yield {
      kind: 'alertPeople',
      request: {
        rule: 'rule-9-fail-safe',
        reason: `no policy decision for ${action.type} on ${action.target}: nothing was done (${errorMessage(error)})`,
        idempotencyKey: key(`${stepId}:fail-safe:alerted`),
        context: context(stepId),
      },
    };
    return { stepId, status: 'refused', rule: 'rule-9-fail-safe' };
  }

  /** Acts on a decision: refuse, recommend, wait for approval, or execute (the gate is in the activity). */
  function* carryOut(
    stepId: string,
    action: ActionRequest,
    decision: PolicyDecision,
    handedOver?: Pick<PreparedStep, 'execution' | 'executionKey'>,
  ): Generator<StepEffect, StepOutcome, unknown> {
    if (decision.outcome === 'refuse') {
      if (decision.rule === 'rule-5-safety-system') {
        // Rule 5: escalate to the safety owner; evidence collection only.
        yield {
          kind: 'alertPeople',
          request: {
            rule: decision.rule,
            reason: `safety owner: ${decision.reason}`,
            idempotencyKey: key(`${stepId}:safety-escalation`),
            context: context(stepId),
          },
        };
      }
      return { stepId, status: 'refused', rule: decision.rule, detail: decision.reason };
    }
    if (decision.outcome === 'recommend') {
      // Rules 4 and 12: a task for people, never executed by the engine.
      let detail = decision.reason;
      try {
        const task = (yield {
          kind: 'recommend',
          request: { decision, idempotencyKey: `${executionKey(stepId)}:task`, context: context(stepId) },
        }) as { taskKey?: string };
        if (task.taskKey !== undefined) detail = `${detail} (task ${task.taskKey})`;
      } catch (error) {
        yield* audit({
          idempotencyKey: key(`${stepId}:task-failed`),
          stepId,
          eventType: 'notification.failed',
          result: { status: 'failed', detail: `task for ${action.type}: ${errorMessage(error)}` },
        });
      }
      return { stepId, status: 'recommended', rule: decision.rule, detail };
    }

    let votes: ApprovalVote[] = [];
    let grantedApprovalId: string | undefined;
    let breakGlass: ApprovalAnswer['breakGlass'];
    if (decision.outcome === 'approve') {
      const outcome = (yield { kind: 'approve', decision, context: context(stepId) }) as ApprovalAnswer;
      if (outcome.status === 'expired')
        return { stepId, status: 'expired', rule: 'rule-8-approval-expired', detail: 'approval expired: not acted' };
      if (outcome.status === 'rejected')
        return { stepId, status: 'rejected', rule: decision.rule, detail: 'approval rejected' };
      votes = outcome.votes;
      grantedApprovalId = outcome.approvalId;
      breakGlass = outcome.breakGlass;
    }

    try {
      // An automatic step the incident's admission already carried out is not executed again.
      const done = decision.outcome === 'auto' ? handedOver?.execution : undefined;
      const result =
        done ??
        ((yield {
          kind: 'execute',
          automatic: decision.outcome === 'auto',
          request: {
            action,
            approvedDigest: decision.outcome === 'approve' ? decision.actionDigest : undefined,
            approvalId: grantedApprovalId,
            votes,
            ...(breakGlass === undefined ? {} : { breakGlass }),
            // Per run: a retried activity never acts twice, but a reopened incident (a new run
            // of this playbook) acts again — the threat came back. A step the admission tried
            // first keeps its key: the ledger acts once.
            idempotencyKey: handedOver?.executionKey ?? executionKey(stepId),
            context: context(stepId),
          },
        }) as { summary: string; result?: StepResult });
      if (decision.compensation !== undefined) executed.push({ stepId, action });
      // Data only (no command depends on it): later steps' conditions read steps.<id>.result.
      return executedOutcome(stepId, decision, result.summary, result.result);
    } catch (error) {
      yield* audit({
        idempotencyKey: key(`${stepId}:failed`),
        stepId,
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
      return { stepId, status: 'failed', rule: decision.rule, detail: errorMessage(error) };
    }
  }

  // The steps in order; a failed step stops the run unless its onFailure says continue.
  let failed = false;
  for (const [index, step] of playbook.steps.entries()) {
    const outcome = yield* runStep(step, prepared?.steps[index]);
    outcomes.push(outcome);
    stepResults[step.id] = outcome;
    if (outcome.status === 'failed' && step.onFailure !== 'continue') {
      failed = true;
      break;
    }
  }

  if (failed && playbook.rollbackOnFailure && executed.length > 0) {
    // Rule 10 (saga): undo what was done, newest first; each compensation is decided and audited like any action.
    yield* audit({
      idempotencyKey: key('rolling-back'),
      eventType: 'playbook.rolling-back',
      details: { steps: executed.map((e) => e.stepId).reverse() },
    });
    for (const done of [...executed].reverse()) {
      const compensation = actionSpec(done.action.type).compensation;
      if (compensation === undefined) continue;
      outcomes.push(yield* runAction(`${done.stepId}-rollback`, { ...done.action, type: compensation }));
    }
  }

  yield* audit({
    idempotencyKey: key('completed'),
    eventType: failed ? 'playbook.failed' : 'playbook.completed',
    details: { outcomes },
  });
  return { outcomes, failed };
}

function errorMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause !== undefined) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
