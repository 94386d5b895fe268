import type { AuditEventInput } from '../audit/types';
import { ENGINE_ACTOR, triggerOf } from '../engine/audit-helpers';
import type {
  Admission,
  AdmissionRequest,
  AdmittedRun,
  AuditContext,
  FirstAttempt,
  PreparedRun,
  StepPlan,
  StepRequest,
} from '../engine/contracts';
import { executedOutcome, skippedOutcome, skippedRecord, type StepOutcome } from '../engine/step-outcomes';
import { matchingPlaybooks } from '../playbooks/matcher';
import type { Playbook } from '../playbooks/schema';

export type { Admission, AdmissionRequest, AdmittedRun } from '../engine/contracts';

/**
 * Admitting an alert to its incident, in one local activity: the alert's records, the
 * playbooks it starts and each one's leading steps that need nobody — automatic actions (IT
 * containment) and skipped steps. A laptop is contained before any playbook-run workflow
 * exists, and the incident workflow spends one activation on it instead of one per step
 * (each activation costs the workflow sandbox far more than the work it schedules).
 *
 * Everything here is idempotent by key, so a retried admission repeats nothing: records by
 * their idempotency keys, decisions by theirs (a changed decision is refused), actions through
 * the action ledger. Every action still passes the policy engine and the execution gate. This
 * is a local activity, so each action's first attempt has a short vendor deadline
 * (activity-options.ts); one that fails or times out is left to the playbook run.
 */

export interface AdmissionDeps {
  appendAudits: (events: readonly AuditEventInput[]) => Promise<unknown>;
  decideStep: (input: StepRequest) => Promise<StepPlan & { firstAttempt?: FirstAttempt }>;
  playbooks: readonly Playbook[];
  notify: boolean;
}

export async function admitAlert(request: AdmissionRequest, deps: AdmissionDeps): Promise<Admission> {
  // The alert is on record before anything acts on it; while that fails, the activity retries.
  await deps.appendAudits(request.records);
  const runs: AdmittedRun[] = [];
  for (const playbook of matchingPlaybooks(deps.playbooks, request.alert)) {
    if (request.startedPlaybooks.includes(playbook.id)) continue;
    runs.push(await runLeadingSteps(playbook, request, deps));
  }
  return { runs, notify: deps.notify };
}

/**
 * Runs a playbook's leading steps that need nobody. Stops at the first step that needs people
 * (approval, recommendation), whose action's first attempt failed (the run retries it under the
 * same ledger key), or that could not be decided (the run decides it again and handles the
 * failure); records not yet written then travel with the run.
 */
async function runLeadingSteps(
  playbook: Playbook,
  { alert, incident }: AdmissionRequest,
  deps: AdmissionDeps,
): Promise<AdmittedRun> {
  const runWorkflowId = `${incident.workflowId}.${playbook.id}`;
  const context: AuditContext = {
    incidentId: incident.id,
    workflowId: runWorkflowId,
    runId: incident.runId,
    playbookId: playbook.id,
    playbookVersion: playbook.version,
    trigger: triggerOf(alert),
  };
  const keyOf = (suffix: string) => `${incident.runId}:${playbook.id}:${suffix}`;
  const record = (event: Omit<AuditEventInput, 'incidentId' | 'time' | 'actor'>): AuditEventInput => ({
    ...context,
    time: new Date().toISOString(),
    actor: ENGINE_ACTOR,
    ...event,
  });

  const prepared: PreparedRun = { startedKey: keyOf('started'), steps: [] };
  const run = { playbook, runWorkflowId, prepared };
  // Records not yet written, in chain order: they go out with the next decision.
  let unwritten: AuditEventInput[] = [
    record({ idempotencyKey: prepared.startedKey, eventType: 'playbook.started', details: { name: playbook.name } }),
  ];
  const outcomes: StepOutcome[] = [];
  const stepResults: Record<string, StepOutcome> = {};
  for (const step of playbook.steps) {
    const executionKey = `${runWorkflowId}:${incident.runId}:${step.id}`;
    let plan: Awaited<ReturnType<AdmissionDeps['decideStep']>>;
    try {
      plan = await deps.decideStep({
        step,
        vars: { alert, incident: { id: incident.id }, steps: stepResults },
        context: { ...context, stepId: step.id },
        idempotencyKey: keyOf(`${step.id}:policy`),
        preceding: unwritten,
        executeAutomatic: { idempotencyKey: executionKey },
      });
    } catch {
      // No decision (rule 9 territory): the run decides this step again and handles the failure.
      // Its opening record it writes itself; later unwritten records are handed over.
      if (prepared.steps.length > 0) prepared.unwritten = unwritten;
      return run;
    }
    unwritten = [];
    if (plan.kind === 'skipped') {
      prepared.steps.push({ plan });
      unwritten.push(record(skippedRecord(step, keyOf(`${step.id}:skipped`))));
      const outcome = skippedOutcome(step);
      outcomes.push(outcome);
      stepResults[step.id] = outcome;
      continue;
    }
    const { firstAttempt, ...decided } = plan;
    if (decided.kind !== 'decided' || firstAttempt === undefined) {
      // Needs people, or cannot be evaluated: the run takes over here.
      prepared.steps.push({ plan: decided });
      return run;
    }
    if (!firstAttempt.ok) {
      // The run retries it with the same ledger key, then records the outcome and applies the
      // step's onFailure (and any rollback).
      prepared.steps.push({ plan: decided, executionKey });
      return run;
    }
    prepared.steps.push({ plan: decided, execution: { summary: firstAttempt.summary } });
    const outcome = executedOutcome(step.id, decided.decision, firstAttempt.summary);
    outcomes.push(outcome);
    stepResults[step.id] = outcome;
  }
  await deps.appendAudits([
    ...unwritten,
    record({ idempotencyKey: keyOf('completed'), eventType: 'playbook.completed', details: { outcomes } }),
  ]);
  return { ...run, outcomes };
}
