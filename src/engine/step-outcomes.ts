/**
 * What playbook steps come to: made by the step machine (step-machine.ts), read by the incident
 * workflow (the playbook-finished notification). Pure: no I/O and no Temporal API, so both the
 * workflow sandbox and activities can use it.
 */
import type { AuditContext } from './contracts';
import type { NotificationEvent } from './notification-events';
import type { PlaybookStep } from '../playbooks/schema';
import type { PolicyDecision } from '../policy/types';

export interface StepOutcome {
  stepId: string;
  status: 'executed' | 'failed' | 'skipped' | 'refused' | 'recommended' | 'rejected' | 'expired';
  rule?: string;
  detail?: string;
}

/** What an executed step comes to (also what later steps' expressions see). */
export function executedOutcome(stepId: string, decision: PolicyDecision, summary: string): StepOutcome {
  return { stepId, status: 'executed', rule: decision.rule, detail: summary };
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
