import { ApplicationFailure } from '@temporalio/activity';
import type {
  ExecutionRequest,
  ExecutionResult,
  InterlockActivities,
  RecommendationTaskRequest,
} from '../engine/contracts';
import { PEOPLE_ACTIONS } from '../actions/catalog';
import { boundedStepResult } from '../engine/step-outcomes';
import { checkExecution } from '../policy/execution-gate';
import type { PolicyDecision } from '../policy/types';
import {
  ENGINE,
  decisionFields,
  heartbeating,
  nowIso,
  policyEvidence,
  withBlastRadius,
  type ActivityDeps,
  type AuditWriter,
} from './activity-support';
import { createTask, enforce, observe, observeTask, taskFor, untilAborted } from './enforcement';
import { actOnce } from './ledger-guard';

/** Actions a ticketing connector carries out as a task for people (task.create, rule-4 actions). */
function isTicketAction(decision: PolicyDecision): boolean {
  const type = decision.action.type;
  return type === 'task.create' || (PEOPLE_ACTIONS as readonly string[]).includes(type);
}

/**
 * The gate every action passes through, given a fresh decision: checks the approvals against
 * it, then calls the integration at most once per idempotency key and audits the result.
 * `signal` bounds the vendor call (the admission's first attempt; a cancelled activity).
 */
export type ExecuteDecided = (
  decision: PolicyDecision,
  input: ExecutionRequest,
  signal?: AbortSignal,
) => Promise<ExecutionResult>;

/** Acting on the world: the execution gate and vendor calls through the action ledger, and tickets. */
export function createActionActivities(
  deps: ActivityDeps,
  { appendAudit }: AuditWriter,
): Pick<InterlockActivities, 'executeAction' | 'createRecommendationTask'> & { executeDecided: ExecuteDecided } {
  const { ledger, config } = deps;
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
      act: () => untilAborted(() => enforce(decision, deps.enforcement, { ledgerKey: key, signal }), signal),
      inPlace: (startedAt) =>
        untilAborted(() => observe(decision, deps.enforcement, { ledgerKey: key, signal, startedAt }), signal),
    });

  const executeDecided: ExecuteDecided = async (decision, input, signal) => {
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
    // What later steps read as steps.<id>.result (an intel verdict), bounded in size.
    const stepResult = boundedStepResult(result.result);
    await appendAudit({
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
        // A ticketing connector's task: its key, so the incident view can read its state back.
        ...(isTicketAction(decision) && typeof result.details['key'] === 'string'
          ? { taskKey: result.details['key'] }
          : {}),
        ...(stepResult === undefined ? {} : { result: stepResult }),
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
    return {
      summary: result.summary,
      details: result.details,
      ...(stepResult === undefined ? {} : { result: stepResult }),
    };
  };

  return {
    executeDecided,

    /**
     * The gate every action passes through: decides again, checks the approvals against that
     * fresh decision, then calls the integration at most once per idempotency key.
     */
    async executeAction(input: ExecutionRequest): Promise<ExecutionResult> {
      const decision = await withBlastRadius(deps, deps.policy.decide(input.action), input.context);
      return heartbeating((signal) => executeDecided(decision, input, signal));
    },

    /**
     * A recommendation the engine will not execute (rules 4, 12) becomes a task for people:
     * a Jira issue when ticketing is configured, and in every case an audited task record.
     */
    async createRecommendationTask(input: RecommendationTaskRequest): Promise<{ taskKey?: string }> {
      const { decision } = input;
      const task = taskFor(decision, 'Recommended by Interlock: the engine does not execute this action itself.');
      let taskKey: string | undefined;
      let recovered: { intentRecordedAt: string } | undefined;
      const ticketing = deps.enforcement.ticketing();
      if (ticketing !== undefined) {
        const { client } = ticketing;
        const key = input.idempotencyKey;
        const created = await heartbeating((signal) =>
          actOnce(ledger, {
            key,
            actionType: 'task.create',
            target: decision.target.assetId ?? decision.target.ref,
            actionDigest: decision.actionDigest,
            act: () => untilAborted(() => createTask(client, task, { ledgerKey: key, signal }), signal),
            inPlace: () => untilAborted(() => observeTask(client, { ledgerKey: key, signal }), signal),
          }),
        );
        taskKey = created.result.key;
        recovered = created.recovered;
      }
      await appendAudit({
        ...input.context,
        idempotencyKey: `${input.idempotencyKey}:audited`,
        time: nowIso(),
        actor: ENGINE,
        eventType: 'task.created',
        ...decisionFields(decision),
        result:
          taskKey === undefined
            ? { status: 'skipped', detail: 'ticketing not configured: the task is recorded in the audit trail only' }
            : { status: 'succeeded', detail: `${ticketing?.id ?? 'ticketing'} task ${taskKey}` },
        details: {
          summary: task.summary,
          ...(taskKey === undefined ? {} : { taskKey, connector: ticketing?.id }),
          ...(recovered === undefined ? {} : { ledger: { recovered: true, ...recovered } }),
        },
      });
      return taskKey === undefined ? {} : { taskKey };
    },
  };
}
