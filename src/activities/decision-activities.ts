import { ApplicationFailure } from '@temporalio/activity';
import type { ActionRequest } from '../actions/catalog';
import type { AuditEventInput } from '../audit/types';
import type {
  AdmissionRequest,
  Admission,
  DecisionRequest,
  FirstAttempt,
  InterlockActivities,
  StepPlan,
  StepRequest,
} from '../engine/contracts';
import { SILENT_NOTIFIER } from '../engine/notification-events';
import { ADMISSION_VENDOR_BUDGET_MS, FIRST_ATTEMPT_MIN_MS, FIRST_ATTEMPT_TIMEOUT_MS } from '../engine/vendor-deadlines';
import { ExpressionError, evaluateCondition, renderParams, renderTarget } from '../playbooks/expressions';
import type { PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';
import type { ExecuteDecided } from './action-activities';
import {
  ENGINE,
  activityContext,
  decisionFields,
  nowIso,
  policyEvidence,
  withBlastRadius,
  type ActivityDeps,
  type AuditWriter,
} from './activity-support';
import { checkActionParams } from '../actions/params';
import { AlertAssetResolver } from '../playbooks/alert-assets';
import { admitAlert } from './admission';
import { observeDecision, observeExecution } from '../metrics/actions';

/**
 * The admission's vendor time: all first attempts of one admission share it, each bounded by
 * FIRST_ATTEMPT_TIMEOUT_MS. Gives the next attempt's abort signal, or undefined once too little
 * is left to try (the playbook run makes that attempt as a regular activity).
 */
function firstAttemptBudget(cancelled: AbortSignal | undefined): () => AbortSignal | undefined {
  const deadline = Date.now() + ADMISSION_VENDOR_BUDGET_MS;
  return () => {
    const left = Math.min(deadline - Date.now(), FIRST_ATTEMPT_TIMEOUT_MS);
    if (left < FIRST_ATTEMPT_MIN_MS) return undefined;
    const timeout = AbortSignal.timeout(left);
    return cancelled === undefined ? timeout : AbortSignal.any([timeout, cancelled]);
  };
}

/** Deciding: playbook steps' expressions, the policy engine, and an alert's admission. */
export function createDecisionActivities(
  deps: ActivityDeps,
  { appendAudits }: AuditWriter,
  executeDecided: ExecuteDecided,
): Pick<InterlockActivities, 'admitAlert' | 'decideAction' | 'decideStep'> {
  const assetResolver = new AlertAssetResolver(deps.config);
  /**
   * Decides an action with the policy engine and audits the decision with its rule.
   * `preceding` records (a run's opening record) go before it, in the same audit transaction.
   */
  const decideAndAudit = async (input: DecisionRequest): Promise<PolicyDecision> => {
    const decision = await withBlastRadius(deps, deps.policy.decide(input.action), input.context);
    const decided: AuditEventInput = {
      ...input.context,
      idempotencyKey: input.idempotencyKey,
      time: nowIso(),
      actor: ENGINE,
      eventType: 'policy.decided',
      ...decisionFields(decision),
      details: {
        affected: decision.affected.map((t) => ({ ref: t.ref, assetId: t.assetId, zone: t.zone, domain: t.domain })),
        ...(decision.approval === undefined ? {} : { approval: decision.approval }),
        ...(decision.maintenanceWindow === undefined ? {} : { maintenanceWindow: decision.maintenanceWindow }),
        ...(decision.compensation === undefined ? {} : { compensation: decision.compensation }),
        ...policyEvidence(decision),
      },
    };
    const recorded = (await appendAudits([...(input.preceding ?? []), decided])).at(-1);
    // A retried decision (e.g. a local activity re-run after a failed workflow task) must
    // not act on anything but the decision already audited: if it differs, refuse (rule 9).
    if (recorded?.decision?.outcome !== decision.outcome || recorded.decision.rule !== decision.rule) {
      throw ApplicationFailure.nonRetryable(
        `the policy decision changed since it was audited (${recorded?.decision?.rule ?? '?'} → ${decision.rule})`,
        'PolicyDecisionChanged',
      );
    }
    return decision;
  };

  /**
   * One playbook step, outside the workflow sandbox: evaluates its `if`, renders its target
   * and params (CEL is costly to load in every workflow execution) and decides the action —
   * one local activity per step. An expression that cannot be evaluated is an answer
   * (`invalid`), not a failure; the opening records in `preceding` are appended first.
   */
  const decideStep = async (
    input: StepRequest,
    firstAttemptSignal?: () => AbortSignal | undefined,
    receivedAt?: string,
  ): Promise<StepPlan & { firstAttempt?: FirstAttempt }> => {
    const { step, vars, preceding = [] } = input;
    const rendered = renderStep(step, vars);
    if (rendered.kind !== 'action') {
      await appendAudits(preceding);
      return rendered;
    }
    const { action } = rendered;
    const decision = await decideAndAudit({
      action,
      context: input.context,
      idempotencyKey: input.idempotencyKey,
      preceding,
    });
    observeDecision(receivedAt, action.type);
    const plan = { kind: 'decided', action, decision } as const;
    if (input.executeAutomatic === undefined || decision.outcome !== 'auto') return plan;
    // A short, bounded vendor deadline: this runs in a local activity (activity-options.ts).
    const signal = firstAttemptSignal?.();
    if (firstAttemptSignal !== undefined && signal === undefined)
      return {
        ...plan,
        firstAttempt: { ok: false, message: 'not attempted: the admission’s time for vendor calls is spent' },
      };
    try {
      // The decision was made (and its blast-radius slot reserved) a moment ago in this call.
      const { summary, result } = await executeDecided(
        decision,
        {
          action,
          approvedDigest: undefined,
          approvalId: undefined,
          votes: [],
          idempotencyKey: input.executeAutomatic.idempotencyKey,
          context: input.context,
        },
        signal,
      );
      observeExecution(
        receivedAt,
        deps.enforcement.forDecision(decision)?.definition.manifest.id ?? 'unknown',
        action.type,
      );
      return { ...plan, firstAttempt: { ok: true, summary, ...(result === undefined ? {} : { result }) } };
    } catch (error) {
      return {
        ...plan,
        firstAttempt: { ok: false, message: error instanceof Error ? error.message : String(error) },
      };
    }
  };

  return {
    /**
     * Admits a new alert to its incident in one local activity: appends its records, finds the
     * playbooks it starts and runs their leading steps that need nobody (see admission.ts).
     */
    async admitAlert(input: AdmissionRequest): Promise<Admission> {
      const budget = firstAttemptBudget(activityContext()?.cancellationSignal);
      return admitAlert(input, {
        appendAudits,
        decideStep: (step) => decideStep(step, budget, input.receivedAt),
        playbooks: deps.playbooks(),
        notify: deps.notifier !== SILENT_NOTIFIER,
        resolveAssets: (alert) => assetResolver.resolve(alert),
        unhandledMinSeverity: deps.config.triage.unhandledMinSeverity,
      });
    },

    async decideAction(input: DecisionRequest): Promise<PolicyDecision> {
      return decideAndAudit(input);
    },

    /** A step decided on its own (the playbook run): nothing is executed here. */
    async decideStep(input: StepRequest): Promise<StepPlan> {
      const { firstAttempt: _none, ...plan } = await decideStep({ ...input, executeAutomatic: undefined });
      return plan;
    },
  };
}

/**
 * A step's `if` and its rendered target and params. An expression that cannot be evaluated
 * is an answer (`invalid`), not a failure.
 */
export function renderStep(
  step: PlaybookStep,
  vars: Readonly<Record<string, unknown>>,
): { kind: 'action'; action: ActionRequest } | Extract<StepPlan, { kind: 'skipped' | 'invalid' }> {
  try {
    if (step.if !== undefined && !evaluateCondition(step.if, vars)) return { kind: 'skipped' };
    const action: ActionRequest = {
      type: step.action,
      target: renderTarget(step.target, vars),
      params: renderParams(step.params ?? {}, vars),
    };
    // Rendered values are checked against the action's declared parameters before any decision.
    const issues = checkActionParams(action.type, action.params);
    if (issues.length > 0)
      return {
        kind: 'invalid',
        message: `invalid parameters for ${action.type}: ${issues.map((i) => (i.param === '' ? i.message : `params.${i.param}: ${i.message}`)).join('; ')}`,
      };
    return { kind: 'action', action };
  } catch (error) {
    if (error instanceof ExpressionError) return { kind: 'invalid', message: error.message };
    throw error;
  }
}
