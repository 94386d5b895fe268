/**
 * What the activity modules share: their dependencies, the activity context, the audit writer
 * and the helpers that describe a decided action in audit records.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionLedger } from '../audit/action-ledger';
import type { ApprovalStore } from '../approvals/approval-store';
import { AuditInputError, type AuditStore } from '../audit/audit-store';
import type { AuditEventInput, AuditRecord } from '../audit/types';
import type { InterlockConfig } from '../config/schema';
import type { AuditContext } from '../engine/contracts';
import type { Notifier } from '../engine/notification-events';
import { ACTION_HEARTBEAT_EVERY_MS } from '../engine/vendor-deadlines';
import type { Logger } from '../logging';
import { AuditOutageAlarm } from '../notifications/audit-outage-alarm';
import type { Playbook } from '../playbooks/schema';
import { countsAgainstBlastRadius, overBlastRadius, type BlastRadiusStore } from '../policy/blast-radius';
import type { PolicyEngine } from '../policy/policy-engine';
import type { PolicyDecision } from '../policy/types';
import type { Connectors } from '../../integrations';

export interface ActivityDeps {
  config: InterlockConfig;
  policy: PolicyEngine;
  audit: AuditStore;
  approvals: ApprovalStore;
  ledger: ActionLedger;
  /** The playbooks loaded at worker start. */
  playbooks: () => readonly Playbook[];
  /** The configured connectors (integrations/registry.ts). */
  enforcement: Connectors;
  /** Slack and email; SILENT_NOTIFIER when neither is configured. */
  notifier: Notifier;
  log: Logger;
  /** Rule 14 counters; without it (unit tests) automatic containments are not limited. */
  blastRadius?: BlastRadiusStore;
}

export const ENGINE = { type: 'system', id: 'interlock', channel: 'engine' } as const;

/** The running activity's context; undefined outside an activity (unit tests). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` in a regular activity while heartbeating, so a worker that dies mid-call is
 * noticed within the heartbeat timeout (not the start-to-close timeout) and the attempt retried.
 * The first heartbeat is sent after ACTION_HEARTBEAT_EVERY_MS, not at the start: the server
 * counts the heartbeat timeout from the attempt's start, and most calls end before then — one
 * server write fewer per action (docs/benchmarks.md#parked-incidents).
 */
export async function heartbeating<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const context = activityContext();
  if (context === undefined || context.info.isLocal) return work(context?.cancellationSignal);
  const timer = setInterval(() => context.heartbeat(), ACTION_HEARTBEAT_EVERY_MS);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function actionOf(decision: PolicyDecision): NonNullable<AuditEventInput['action']> {
  return {
    type: decision.action.type,
    params: decision.action.params,
    enforcementPoint: decision.enforcementPoint,
    digest: decision.actionDigest,
  };
}

export function targetOf(decision: PolicyDecision): NonNullable<AuditEventInput['target']> {
  const { domain: _domain, mode: _mode, edr: _edr, ...target } = decision.target;
  return target;
}

/** What every record about a decided action says of it: target, decision and action. */
export function decisionFields(decision: PolicyDecision): Pick<AuditEventInput, 'target' | 'decision' | 'action'> {
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
export function policyEvidence(decision: PolicyDecision, executedAt?: Date): Record<string, unknown> {
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

export interface AuditWriter {
  /** Appends records in order, in one transaction. */
  appendAudits: (events: readonly AuditEventInput[]) => Promise<AuditRecord[]>;
  appendAudit: (event: AuditEventInput) => Promise<AuditRecord>;
}

/**
 * The audit writer every activity uses. A malformed audit event is a bug, not an outage: fail
 * at once instead of retrying forever. An unreachable store alerts people (rule 9) and the
 * write is retried by the activity, holding OT actions until it works.
 */
export function createAuditWriter(deps: ActivityDeps): AuditWriter {
  const auditOutage = new AuditOutageAlarm(deps.notifier, deps.log);
  const appendAudits = async (events: readonly AuditEventInput[]) => {
    try {
      return await deps.audit.appendMany(events);
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
  return { appendAudits, appendAudit };
}

/** Rule 14: an automatic containment spends a slot (once per step), or needs approval past the limit. */
export async function withBlastRadius(
  deps: ActivityDeps,
  decision: PolicyDecision,
  context: AuditContext,
): Promise<PolicyDecision> {
  if (deps.blastRadius === undefined || !countsAgainstBlastRadius(decision)) return decision;
  const reservation = await deps.blastRadius.reserve({
    key: `${context.workflowId}:${context.stepId ?? ''}`,
    workflowId: context.workflowId,
    actionType: decision.action.type,
    target: decision.target.assetId ?? decision.target.ref,
  });
  return reservation.granted
    ? decision
    : overBlastRadius(decision, reservation, deps.config.policy.blastRadius, deps.config);
}
