/**
 * What playbook steps come to: made by the step machine (step-machine.ts), read by the incident
 * workflow (the playbook-finished notification). Pure: no I/O and no Temporal API, so both the
 * workflow sandbox and activities can use it.
 */
import type { AuditContext } from './contracts';
import type { NotificationEvent } from './notification-events';
import type { PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';

/** What an action gave later steps (`steps.<id>.result`): a small JSON object, e.g. an intel verdict. */
export type StepResult = Record<string, unknown>;

/** Largest step result kept (JSON characters): it travels in workflow history and audit records. */
export const MAX_STEP_RESULT_CHARS = 4096;

export interface StepOutcome {
  stepId: string;
  status: 'executed' | 'failed' | 'skipped' | 'refused' | 'recommended' | 'rejected' | 'expired';
  rule?: string;
  detail?: string;
  /** Set when the executed action returned a result (intel.lookup): what `steps.<id>.result` reads. */
  result?: StepResult;
}

/**
 * A connector's result as a step result: a plain JSON object within MAX_STEP_RESULT_CHARS, else
 * `{ truncated: true }` (a condition reading a field then finds it absent, never a huge value).
 */
export function boundedStepResult(result: unknown): StepResult | undefined {
  if (result === undefined) return undefined;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return { truncated: true };
  const json = JSON.stringify(result);
  if (json.length > MAX_STEP_RESULT_CHARS) return { truncated: true };
  return JSON.parse(json) as StepResult;
}

/**
 * What an executed step comes to (also what later steps' expressions see). `result` only when
 * the execution gave one: outcomes of runs recorded before results existed stay as they were.
 */
export function executedOutcome(
  stepId: string,
  decision: PolicyDecision,
  summary: string,
  result?: StepResult,
): StepOutcome {
  return {
    stepId,
    status: 'executed',
    rule: decision.rule,
    detail: summary,
    ...(result === undefined ? {} : { result }),
  };
}

/** What a step whose `if` is false comes to (also what later steps' expressions see). */
export function skippedOutcome(step: PlaybookStep): StepOutcome {
  return { stepId: step.id, status: 'skipped', detail: 'condition false' };
}

/** The audit record of a step whose `if` is false. */
export function skippedRecord(step: PlaybookStep, idempotencyKey: string) {
  return {
    idempotencyKey,
    stepId: step.id,
    eventType: 'action.skipped' as const,
    result: { status: 'skipped' as const, detail: `condition false: ${step.if ?? ''}` },
  };
}

/** The notification that sums up a finished playbook run. */
export function playbookFinished(context: AuditContext, outcomes: readonly StepOutcome[]): NotificationEvent {
  return {
    kind: 'playbook.finished',
    context,
    outcomes: outcomes.map(({ stepId, status, rule }) => ({ stepId, status, ...(rule === undefined ? {} : { rule }) })),
  };
}
