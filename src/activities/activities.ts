import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionRequest } from '../actions/catalog';
import type { ActionLedger } from '../audit/action-ledger';
import type { ApprovalStore } from '../audit/approval-store';
import { AuditInputError, type AuditStore } from '../audit/audit-store';
import type { AuditEventInput } from '../audit/types';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import type { Playbook, PlaybookStep } from '../playbooks/schema';
import { ExpressionError, evaluateCondition, renderParams, renderTarget } from '../playbooks/expressions';
import { countsAgainstBlastRadius, overBlastRadius, type BlastRadiusStore } from '../policy/blast-radius';
import { checkExecution, type BreakGlassEvidence } from '../policy/execution-gate';
import type { PolicyEngine } from '../policy/policy-engine';
import type { PolicyDecision } from '../policy/types';
import type { ApprovalVote } from '../workflows/definitions';
import {
  ACTION_HEARTBEAT_EVERY_MS,
  ADMISSION_VENDOR_BUDGET_MS,
  FIRST_ATTEMPT_MIN_MS,
  FIRST_ATTEMPT_TIMEOUT_MS,
} from '../workflows/activity-options';
import { admitAlert, type Admission, type AdmissionRequest } from './admission';
import { createTask, enforce, observe, observeTask, taskFor, untilAborted } from './enforcement';
import { actOnce } from './ledger-guard';
import { SILENT_NOTIFIER, type NotificationEvent, type Notifier } from './notifications';
import { AuditOutageAlarm } from '../notifications/audit-outage-alarm';
import type { EnforcementClients } from '../../integrations';

export interface ActivityDeps {
  config: InterlockConfig;
  policy: PolicyEngine;
  audit: AuditStore;
  approvals: ApprovalStore;
  ledger: ActionLedger;
  /** The playbooks loaded at worker start. */
  playbooks: () => readonly Playbook[];
  enforcement: EnforcementClients;
  /** Slack and email; SILENT_NOTIFIER when neither is configured. */
  notifier: Notifier;
  log: Logger;
  /** Rule 14 counters; without it (unit tests) automatic containments are not limited. */
  blastRadius?: BlastRadiusStore;
}

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

const ENGINE = { type: 'system', id: 'interlock', channel: 'engine' } as const;

/** The running activity's context; undefined outside an activity (unit tests). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` in a regular activity while heartbeating, so a worker that dies mid-call is
 * noticed within the heartbeat timeout (not the start-to-close timeout) and the attempt retried.
 */
async function heartbeating<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const context = activityContext();
  if (context === undefined || context.info.isLocal) return work(context?.cancellationSignal);
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), ACTION_HEARTBEAT_EVERY_MS);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

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

function nowIso(): string {
  return new Date().toISOString();
}

function actionOf(decision: PolicyDecision): NonNullable<AuditEventInput['action']> {
  return {
    type: decision.action.type,
    params: decision.action.params,
    enforcementPoint: decision.enforcementPoint,
    digest: decision.actionDigest,
  };
}

function targetOf(decision: PolicyDecision): NonNullable<AuditEventInput['target']> {
  const { domain: _domain, mode: _mode, edr: _edr, ...target } = decision.target;
  return target;
}

/** What every record about a decided action says of it: target, decision and action. */
function decisionFields(decision: PolicyDecision): Pick<AuditEventInput, 'target' | 'decision' | 'action'> {
  return {
    target: targetOf(decision),
    decision: { outcome: decision.outcome, rule: decision.rule, reason: decision.reason },
    action: actionOf(decision),
  };
}

/**
 * Audit evidence of rules 3 (who pre-authorized), 6 (the enforcement point chosen) and 10 (the
 * time box; with `executedAt`, when the change lapses on its own).
 */
function policyEvidence(decision: PolicyDecision, executedAt?: Date): Record<string, unknown> {
  const { timeBox, preAuthorizations, containment } = decision;
  return {
    ...(preAuthorizations === undefined ? {} : { preAuthorizations }),
    ...(containment === undefined ? {} : { containment }),
    ...(timeBox === undefined
      ? {}
      : {
          timeBox: {
            ...timeBox,
            ...(executedAt === undefined
              ? {}
              : { expiresAt: new Date(executedAt.getTime() + timeBox.expiresAfterMs).toISOString() }),
          },
        }),
  };
}

/**
 * Every activity: the only code that does I/O on behalf of workflows. Each is idempotent —
 * audit writes by idempotency key, enforcement through the action ledger.
 */
export function createActivities(deps: ActivityDeps) {
  const { audit: store, approvals, ledger, policy, config } = deps;
  /** Rule 9: an unreachable audit store holds OT actions (writes retry) and alerts people. */
  const auditOutage = new AuditOutageAlarm(deps.notifier, deps.log);
  const fortigateConfig = config.integrations.fortigate;
  /**
   * Enforces a decided action at most once per key (ledger-guard.ts): intent recorded first,
   * the vendor's state read before acting again after an interrupted attempt.
   */
  const enforceOnce = (decision: PolicyDecision, key: string, signal: AbortSignal | undefined) =>
    actOnce(ledger, {
      key,
      actionType: decision.action.type,
      target: decision.target.assetId ?? decision.target.ref,
      actionDigest: decision.actionDigest,
      act: () => untilAborted(enforce(decision, deps.enforcement, fortigateConfig, { ledgerKey: key, signal }), signal),
      inPlace: (startedAt) =>
        untilAborted(
          observe(decision, deps.enforcement, fortigateConfig, { ledgerKey: key, signal, startedAt }),
          signal,
        ),
    });

  /**
   * Appends records in order, in one transaction. A malformed audit event is a bug, not an
   * outage: fail at once instead of retrying forever.
   */
  const appendAudits = async (events: readonly AuditEventInput[]) => {
    try {
      return await store.appendMany(events);
    } catch (error) {
      if (error instanceof AuditInputError) throw ApplicationFailure.nonRetryable(error.message, 'AuditInputError');
      const [event] = events;
      auditOutage.report(error, {
        incidentId: event?.incidentId ?? '',
        workflowId: event?.workflowId ?? '',
        runId: event?.runId ?? '',
      });
      throw error;
    }
  };
  const appendAudit = async (event: AuditEventInput) => {
    const [record] = await appendAudits([event]);
    if (record === undefined) throw new Error('audit append returned no record');
    return record;
  };
  const audit = { append: appendAudit };

  /** Rule 14: an automatic containment spends a slot (once per step), or needs approval past the limit. */
  const withBlastRadius = async (decision: PolicyDecision, context: AuditContext): Promise<PolicyDecision> => {
    if (deps.blastRadius === undefined || !countsAgainstBlastRadius(decision)) return decision;
    const reservation = await deps.blastRadius.reserve({
      key: `${context.workflowId}:${context.stepId ?? ''}`,
      workflowId: context.workflowId,
      actionType: decision.action.type,
      target: decision.target.assetId ?? decision.target.ref,
    });
    return reservation.granted ? decision : overBlastRadius(decision, reservation, config.policy.blastRadius, config);
  };

  /**
   * Decides an action with the policy engine and audits the decision with its rule.
   * `preceding` records (a run's opening record) go before it, in the same audit transaction.
   */
  const decideAndAudit = async (input: DecisionRequest): Promise<PolicyDecision> => {
    const decision = await withBlastRadius(policy.decide(input.action), input.context);
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
   * The gate every action passes through, given a fresh decision: checks the approvals against
   * it, then calls the integration at most once per idempotency key and audits the result.
   * `signal` bounds the vendor call (the admission's first attempt; a cancelled activity).
   */
  const executeDecided = async (
    decision: PolicyDecision,
    input: ExecutionRequest,
    signal?: AbortSignal,
  ): Promise<{ summary: string; details: Record<string, unknown> }> => {
    const gate = checkExecution(
      decision,
      {
        ...(input.approvedDigest === undefined ? {} : { approvedDigest: input.approvedDigest }),
        votes: input.votes,
        ...(input.breakGlass === undefined ? {} : { breakGlass: input.breakGlass }),
      },
      config.operators,
    );
    if (!gate.allowed) throw ApplicationFailure.nonRetryable(`refused by policy: ${gate.reason}`, 'PolicyRefused');

    const { result, recovered } = await enforceOnce(decision, input.idempotencyKey, signal);
    await audit.append({
      ...input.context,
      idempotencyKey: `${input.idempotencyKey}:executed`,
      time: nowIso(),
      actor: ENGINE,
      eventType: 'action.executed',
      ...decisionFields(decision),
      ...(input.approvalId === undefined
        ? {}
        : {
            approval: {
              approvalId: input.approvalId,
              actionDigest: decision.actionDigest,
              approvers: input.votes.map((v) => ({
                operatorId: v.operatorId,
                roles: v.roles,
                decision: v.decision,
                at: v.at,
                channel: v.channel,
              })),
              ...(input.breakGlass === undefined
                ? {}
                : { breakGlass: true, justification: input.breakGlass.justification }),
            },
          }),
      result: { status: 'succeeded', detail: result.summary },
      details: {
        ...(decision.compensation === undefined ? {} : { compensation: decision.compensation }),
        ...(result.details['preChange'] === undefined ? {} : { preChange: result.details['preChange'] }),
        // An earlier attempt was interrupted after recording its intent; the vendor's state showed
        // the change in place, so it was not made again.
        ...(recovered === undefined
          ? {}
          : {
              ledger: {
                recovered: true,
                intentRecordedAt: recovered.intentRecordedAt,
                observed: result.details['observed'],
              },
            }),
        ...policyEvidence(decision, new Date()),
        ...(input.breakGlass === undefined ? {} : { reviewRequired: true, forcedBy: input.breakGlass.operatorId }),
      },
    });
    deps.log.info(
      {
        action: input.action.type,
        target: decision.target.assetId ?? decision.target.ref,
        incidentId: input.context.incidentId,
        ...(recovered === undefined ? {} : { recovered: true }),
      },
      recovered === undefined ? 'action executed' : 'action found in place after an interrupted attempt',
    );
    return { summary: result.summary, details: result.details };
  };

  /**
   * One playbook step, outside the workflow sandbox: evaluates its \`if\`, renders its target
   * and params (CEL is costly to load in every workflow execution) and decides the action —
   * one local activity per step. An expression that cannot be evaluated is an answer
   * (\`invalid\`), not a failure; the opening records in \`preceding\` are appended first.
   */
  const decideStep = async (
    input: StepRequest,
    firstAttemptSignal?: () => AbortSignal | undefined,
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
      const { summary } = await executeDecided(
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
      return { ...plan, firstAttempt: { ok: true, summary } };
    } catch (error) {
      return {
        ...plan,
        firstAttempt: { ok: false, message: error instanceof Error ? error.message : String(error) },
      };
    }
  };

  return {
    async recordAudit(event: AuditEventInput): Promise<void> {
      await appendAudit(event);
    },

    /** Several records in one call, appended in order in one transaction (one local-activity round trip). */
    async recordAudits(events: AuditEventInput[]): Promise<void> {
      await appendAudits(events);
    },

    /** Delivers a notification (Slack, email); the workflow does not wait on it. */
    async notify(event: NotificationEvent): Promise<void> {
      await deps.notifier.notify(event);
    },

    /**
     * Admits a new alert to its incident in one local activity: appends its records, finds the
     * playbooks it starts and runs their leading steps that need nobody (see admission.ts).
     */
    async admitAlert(input: AdmissionRequest): Promise<Admission> {
      const budget = firstAttemptBudget(activityContext()?.cancellationSignal);
      return admitAlert(input, {
        appendAudits,
        decideStep: (step) => decideStep(step, budget),
        playbooks: deps.playbooks(),
        notify: deps.notifier !== SILENT_NOTIFIER,
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

    /**
     * A recommendation the engine will not execute (rules 4, 12) becomes a task for people:
     * a Jira issue when ticketing is configured, and in every case an audited task record.
     */
    async createRecommendationTask(input: {
      decision: PolicyDecision;
      idempotencyKey: string;
      context: AuditContext;
    }): Promise<{ taskKey?: string }> {
      const { decision } = input;
      const task = taskFor(decision, 'Recommended by Interlock: the engine does not execute this action itself.');
      let taskKey: string | undefined;
      let recovered: { intentRecordedAt: string } | undefined;
      if (deps.enforcement.jira !== undefined) {
        const { jira } = deps.enforcement;
        const key = input.idempotencyKey;
        const created = await heartbeating((signal) =>
          actOnce(ledger, {
            key,
            actionType: 'task.create',
            target: decision.target.assetId ?? decision.target.ref,
            actionDigest: decision.actionDigest,
            act: () => untilAborted(createTask(jira, task, { ledgerKey: key, signal }), signal),
            inPlace: () => untilAborted(observeTask(jira, { ledgerKey: key, signal }), signal),
          }),
        );
        taskKey = created.result.key;
        recovered = created.recovered;
      }
      await audit.append({
        ...input.context,
        idempotencyKey: `${input.idempotencyKey}:audited`,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'task.created',
        ...decisionFields(decision),
        result:
          taskKey === undefined
            ? { status: 'skipped', detail: 'ticketing not configured: the task is recorded in the audit trail only' }
            : { status: 'succeeded', detail: `jira task ${taskKey}` },
        details: {
          summary: task.summary,
          ...(taskKey === undefined ? {} : { taskKey }),
          ...(recovered === undefined ? {} : { ledger: { recovered: true, ...recovered } }),
        },
      });
      return taskKey === undefined ? {} : { taskKey };
    },

    /** Rule 9 and escalations: people are alerted (audited; routed by the notifier). */
    async alertPeople(input: {
      reason: string;
      rule: string;
      idempotencyKey: string;
      context: AuditContext;
    }): Promise<void> {
      await audit.append({
        ...input.context,
        idempotencyKey: input.idempotencyKey,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'people.alerted',
        decision: { outcome: 'refuse', rule: input.rule, reason: input.reason },
        result: { status: 'pending', detail: input.reason },
      });
      // Delivered by the notifier; a Slack or SMTP outage must not hold the workflow here.
      try {
        await deps.notifier.notify({
          kind: 'people.alerted',
          context: input.context,
          alertId: input.idempotencyKey,
          subject:
            input.rule === 'rule-5-safety-system'
              ? `Safety system involved in incident ${input.context.incidentId}: action refused`
              : `Fail-safe in incident ${input.context.incidentId}: nothing was done`,
          rule: input.rule,
          reason: input.reason,
        });
      } catch (error) {
        deps.log.error(
          { err: error, incidentId: input.context.incidentId, rule: input.rule },
          'could not deliver the people.alerted notification',
        );
      }
    },

    async requestApproval(input: {
      approvalId: string;
      decision: PolicyDecision;
      requestedBy: string;
      expiresAt: string;
      context: AuditContext;
    }): Promise<void> {
      const { decision, context } = input;
      const requirement = decision.approval;
      if (requirement === undefined)
        throw ApplicationFailure.nonRetryable(
          'approval requested for a decision that needs none',
          'InvalidApprovalRequest',
        );
      await approvals.recordRequested({
        id: input.approvalId,
        incidentId: context.incidentId,
        workflowId: context.workflowId,
        playbookId: context.playbookId ?? '',
        stepId: context.stepId ?? '',
        action: { ...decision.action },
        target: { ...targetOf(decision) },
        decision: { outcome: decision.outcome, rule: decision.rule, reason: decision.reason },
        requiredApprovals: requirement.approvals,
        requiredRoles: requirement.roles,
        requestedBy: input.requestedBy,
        actionDigest: decision.actionDigest,
        createdAt: nowIso(),
        expiresAt: input.expiresAt,
      });
      await audit.append({
        ...context,
        idempotencyKey: `${input.approvalId}:requested`,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'approval.requested',
        ...decisionFields(decision),
        approval: {
          approvalId: input.approvalId,
          requester: input.requestedBy,
          requiredApprovals: requirement.approvals,
          requiredRoles: requirement.roles,
          expiresAt: input.expiresAt,
          actionDigest: decision.actionDigest,
        },
      });
    },

    /**
     * Audits one operator's vote, in the order votes were accepted, and shows it in the
     * approvals read model (the API may have done so already; recordVote is idempotent).
     */
    async recordApprovalVote(input: {
      approvalId: string;
      vote: ApprovalVote;
      voteIndex: number;
      decision: PolicyDecision;
      context: AuditContext;
    }): Promise<void> {
      const { vote, decision } = input;
      await audit.append({
        ...input.context,
        idempotencyKey: `${input.approvalId}:vote:${input.voteIndex}`,
        time: vote.at,
        actor: { type: 'operator', id: vote.operatorId, roles: vote.roles, channel: vote.channel },
        eventType: 'approval.decided',
        target: targetOf(decision),
        action: actionOf(decision),
        approval: {
          approvalId: input.approvalId,
          actionDigest: decision.actionDigest,
          approvers: [
            {
              operatorId: vote.operatorId,
              roles: vote.roles,
              decision: vote.decision,
              at: vote.at,
              channel: vote.channel,
            },
          ],
          ...(vote.breakGlass === undefined ? {} : { breakGlass: true, justification: vote.breakGlass.justification }),
        },
        ...(vote.breakGlass === undefined ? {} : { details: { reviewRequired: true } }),
        result: {
          status: vote.decision === 'approve' ? 'succeeded' : 'refused',
          ...(vote.reason === undefined ? {} : { detail: vote.reason }),
        },
      });
      await approvals.recordVote(input.approvalId, { ...vote });
    },

    /** Records the final state of an approval request; expiry means the action is not taken. */
    async closeApproval(input: {
      approvalId: string;
      status: 'approved' | 'rejected' | 'expired' | 'pending';
      votes: ApprovalVote[];
      decision: PolicyDecision;
      context: AuditContext;
    }): Promise<void> {
      const status = input.status === 'pending' ? 'expired' : input.status;
      await approvals.markDecided(
        input.approvalId,
        status,
        input.votes.map((vote) => ({ ...vote })),
        nowIso(),
      );
      if (status === 'expired') {
        await audit.append({
          ...input.context,
          idempotencyKey: `${input.approvalId}:expired`,
          time: nowIso(),
          actor: ENGINE,
          eventType: 'approval.expired',
          target: targetOf(input.decision),
          action: actionOf(input.decision),
          decision: {
            outcome: 'refuse',
            rule: 'rule-8-approval-expired',
            reason: 'no decision before expiry: do not act',
          },
          approval: { approvalId: input.approvalId, actionDigest: input.decision.actionDigest },
          result: { status: 'skipped', detail: 'approval expired: the action was not taken' },
        });
      }
    },

    /**
     * The gate every action passes through: decides again, checks the approvals against that
     * fresh decision, then calls the integration at most once per idempotency key.
     */
    async executeAction(input: ExecutionRequest): Promise<{ summary: string; details: Record<string, unknown> }> {
      const decision = await withBlastRadius(policy.decide(input.action), input.context);
      return heartbeating((signal) => executeDecided(decision, input, signal));
    },
  };
}

/**
 * A step's `if` and its rendered target and params. An expression that cannot be evaluated
 * is an answer (`invalid`), not a failure.
 */
function renderStep(
  step: PlaybookStep,
  vars: Readonly<Record<string, unknown>>,
): { kind: 'action'; action: ActionRequest } | Extract<StepPlan, { kind: 'skipped' | 'invalid' }> {
  try {
    if (step.if !== undefined && !evaluateCondition(step.if, vars)) return { kind: 'skipped' };
    return {
      kind: 'action',
      action: {
        type: step.action,
        target: renderTarget(step.target, vars),
        params: renderParams(step.params ?? {}, vars),
      },
    };
  } catch (error) {
    if (error instanceof ExpressionError) return { kind: 'invalid', message: error.message };
    throw error;
  }
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

/** An action to carry out, with the approvals that allow it. */
interface ExecutionRequest {
  action: ActionRequest;
  approvedDigest: string | undefined;
  approvalId: string | undefined;
  votes: ApprovalVote[];
  idempotencyKey: string;
  context: AuditContext;
  /** Rule 11: the action was forced by a break-glass operator. */
  breakGlass?: BreakGlassEvidence;
}

/** The incident workflow's first attempt at an automatic action, made with its decision. */
export type FirstAttempt = { ok: true; summary: string } | { ok: false; message: string };

interface DecisionRequest {
  action: ActionRequest;
  context: AuditContext;
  idempotencyKey: string;
  preceding?: AuditEventInput[];
}

/** What a playbook step comes to once its expressions are evaluated and its action decided. */
export type StepPlan =
  | { kind: 'skipped' }
  | { kind: 'invalid'; message: string }
  | { kind: 'decided'; action: ActionRequest; decision: PolicyDecision };

export type InterlockActivities = ReturnType<typeof createActivities>;
