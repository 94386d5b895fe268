/**
 * Predicts what the engine will decide for a playbook's steps, without acting: the dry run
 * of `POST /playbooks/{id}/dry-run` (an alert given) and the warnings of `POST /playbooks/validate`
 * (no alert: literal targets are decided, templated ones are judged by the action catalog).
 */
import { actionSpec, type ActionRequest } from '../actions/catalog';
import type { Alert } from '../alerts/alert';
import { checkActionParams } from '../actions/params';
import type { PolicyEngine } from '../policy/policy-engine';
import type { ApprovalRequirement, PolicyOutcome } from '../policy/types';
import { ExpressionError, evaluateCondition, isTemplate, renderParams, renderTarget } from './expressions';
import type { Playbook } from './schema';

export interface PlannedStep {
  stepId: string;
  action: string;
  status: 'planned' | 'skipped' | 'error';
  /** Why a step is skipped or cannot be planned. */
  detail?: string;
  target?: {
    ref: string;
    assetId?: string;
    zone?: string;
    purdueLevel?: number;
    kind?: string;
    criticality?: string;
    domain: 'it' | 'ot';
    known: boolean;
    safetySystem?: boolean;
  };
  params?: ActionRequest['params'];
  outcome?: PolicyOutcome;
  rule?: string;
  reason?: string;
  approval?: Pick<ApprovalRequirement, 'approvals' | 'roles' | 'ttlMs'>;
  actionDigest?: string;
  enforcementPoint?: string;
}

/** What a step's result looks like to later steps' conditions, as the real run would report it. */
const PREDICTED_STATUS: Record<PolicyOutcome, string> = {
  auto: 'executed',
  approve: 'pending-approval',
  recommend: 'recommended',
  refuse: 'refused',
};

/** Decides every step for `alert` with the real policy engine; calls no integration. */
export function dryRunPlaybook(
  playbook: Playbook,
  alert: Alert,
  engine: PolicyEngine,
  incidentId: string,
): PlannedStep[] {
  const stepResults: Record<string, { stepId: string; status: string; rule?: string }> = {};
  const vars = () => ({ alert, incident: { id: incidentId }, steps: stepResults });
  return playbook.steps.map((step): PlannedStep => {
    try {
      if (step.if !== undefined && !evaluateCondition(step.if, vars())) {
        stepResults[step.id] = { stepId: step.id, status: 'skipped' };
        return { stepId: step.id, action: step.action, status: 'skipped', detail: `condition false: ${step.if}` };
      }
      const action: ActionRequest = {
        type: step.action,
        target: renderTarget(step.target, vars()),
        params: renderParams(step.params ?? {}, vars()),
      };
      // As the real run: an action whose rendered parameters it does not take is an invalid step.
      const issues = checkActionParams(action.type, action.params);
      if (issues.length > 0) {
        stepResults[step.id] = { stepId: step.id, status: 'failed' };
        return {
          stepId: step.id,
          action: step.action,
          status: 'error',
          detail: `invalid parameters for ${action.type}: ${issues.map((i) => (i.param === '' ? i.message : `params.${i.param}: ${i.message}`)).join('; ')}`,
        };
      }
      const decision = engine.decide(action);
      stepResults[step.id] = { stepId: step.id, status: PREDICTED_STATUS[decision.outcome], rule: decision.rule };
      const t = decision.target;
      return {
        stepId: step.id,
        action: step.action,
        status: 'planned',
        target: {
          ref: t.ref,
          ...(t.assetId === undefined ? {} : { assetId: t.assetId }),
          ...(t.zone === undefined ? {} : { zone: t.zone }),
          ...(t.purdueLevel === undefined ? {} : { purdueLevel: t.purdueLevel }),
          ...(t.kind === undefined ? {} : { kind: t.kind }),
          ...(t.criticality === undefined ? {} : { criticality: t.criticality }),
          domain: t.domain,
          known: t.known,
          ...(t.safetySystem === true ? { safetySystem: true } : {}),
        },
        params: action.params,
        outcome: decision.outcome,
        rule: decision.rule,
        reason: decision.reason,
        ...(decision.approval === undefined
          ? {}
          : {
              approval: {
                approvals: decision.approval.approvals,
                roles: decision.approval.roles,
                ttlMs: decision.approval.ttlMs,
              },
            }),
        actionDigest: decision.actionDigest,
        enforcementPoint: decision.enforcementPoint,
      };
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      stepResults[step.id] = { stepId: step.id, status: 'failed' };
      return { stepId: step.id, action: step.action, status: 'error', detail: error.message };
    }
  });
}

export interface PolicyWarning {
  /** Dotted path of the step, e.g. "steps.1". */
  path: string;
  stepId: string;
  action: string;
  /** The predicted gate: approve, recommend or refuse; "depends-on-target" for templated targets. */
  outcome: PolicyOutcome | 'depends-on-target';
  rule?: string;
  message: string;
}

/** A warning for every step the policy will (or may) gate, whatever the playbook says (S10). */
export function policyWarnings(playbook: Playbook, engine: PolicyEngine): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  playbook.steps.forEach((step, index) => {
    const path = `steps.${index}`;
    const spec = actionSpec(step.action);
    const literalParams = Object.values(step.params ?? {}).every((v) => typeof v !== 'string' || !isTemplate(v));
    if (!isTemplate(step.target) && literalParams) {
      const decision = engine.decide({ type: step.action, target: step.target, params: step.params ?? {} });
      if (decision.outcome === 'auto') return;
      const what =
        decision.outcome === 'approve'
          ? `will require ${decision.approval?.approvals ?? 1} approval(s) by ${decision.approval?.roles.join('/') ?? '?'}`
          : decision.outcome === 'recommend'
            ? 'will only be recommended (a task for people), never executed'
            : 'will be refused';
      warnings.push({
        path,
        stepId: step.id,
        action: step.action,
        outcome: decision.outcome,
        rule: decision.rule,
        message: `step "${step.id}" ${what}: ${decision.rule}: ${decision.reason}`,
      });
      return;
    }
    if (!spec.allowedPurdueLevels.includes(0)) {
      warnings.push({
        path,
        stepId: step.id,
        action: step.action,
        outcome: 'depends-on-target',
        rule: 'rule-4-never-automated-ot',
        message: `step "${step.id}": ${step.action} is never executed on Purdue levels 0-2 or unknown targets (rule 4): it becomes a task for people there, and needs approval elsewhere in OT`,
      });
      return;
    }
    if (spec.effect === 'read-only') return;
    warnings.push({
      path,
      stepId: step.id,
      action: step.action,
      outcome: 'depends-on-target',
      message: `step "${step.id}": ${step.action} changes its target; the engine requires approval whenever the target or a segment it affects is OT or unknown (rules 1, 3, 7), refuses safety systems (rule 5), and runs it automatically only on IT in auto zones (rule 2)`,
    });
  });
  return warnings;
}
