import { alertView, severityId, type Alert, type Severity } from '../alerts/alert';
import type { AuditEventInput } from '../audit/types';
import { triggerOf } from '../engine/audit-helpers';
import type {
  Admission,
  AdmissionRequest,
  AdmittedRun,
  FirstAttempt,
  PreparedRun,
  StepPlan,
  StepRequest,
  UnhandledNotice,
} from '../engine/contracts';
import { DEFERRED, playbookRun } from '../engine/step-machine';
import type { StepResult } from '../engine/step-outcomes';
import { otZonesOf, touchesOt, zonesOf, type AlertAssets } from '../playbooks/alert-assets';
import { explainMatch, type PlaybookMatch } from '../playbooks/explain';
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
  /** The alert's endpoints in the inventory, as triggers see them (`assets`). */
  resolveAssets: (alert: Alert) => AlertAssets;
  /** Lowest severity at which an OT alert that matches no playbook is recorded as unhandled. */
  unhandledMinSeverity: Severity;
}

export async function admitAlert(request: AdmissionRequest, deps: AdmissionDeps): Promise<Admission> {
  // Each endpoint is resolved once; every playbook's triggers see the same view.
  const assets = deps.resolveAssets(request.alert);
  const matches = deps.playbooks.map((playbook) => explainMatch(playbook, request.alert, assets));
  const unhandled = unhandledNotice(request, matches, assets, deps.unhandledMinSeverity);
  // The alert is on record, with why each playbook did or did not match, before anything acts
  // on it; while that fails, the activity retries.
  const records = request.records.map((record) =>
    record.eventType === 'alert.received'
      ? { ...record, details: { ...record.details, meaning: meaningOf(request.alert), playbooks: matches } }
      : record,
  );
  await deps.appendAudits(unhandled === undefined ? records : [...records, unhandledRecord(request, unhandled)]);
  const runs: AdmittedRun[] = [];
  for (const [index, playbook] of deps.playbooks.entries()) {
    if (matches[index]?.matched !== true || request.startedPlaybooks.includes(playbook.id)) continue;
    runs.push(await runLeadingSteps(playbook, request, deps));
  }
  return { runs, notify: deps.notify, zones: zonesOf(assets), ...(unhandled === undefined ? {} : { unhandled }) };
}

/** The alert's meaning fields and their provenance, recorded with it (alertView fills older alerts). */
function meaningOf(alert: Alert) {
  const { network, ot, attacks, category } = alertView(alert);
  return {
    network,
    ot,
    attacks,
    category,
    ...(alert.provenance === undefined ? {} : { provenance: alert.provenance }),
  };
}

/**
 * No silent non-match: an alert at or above the configured severity that touches OT (an OT
 * asset or zone, or an address the inventory cannot place) and that no playbook handles, in an
 * incident no playbook has started for, makes the incident unhandled — once per incident.
 */
function unhandledNotice(
  request: AdmissionRequest,
  matches: readonly PlaybookMatch[],
  assets: AlertAssets,
  minSeverity: Severity,
): UnhandledNotice | undefined {
  if (request.unhandledNoticed === true || request.startedPlaybooks.length > 0) return undefined;
  if (matches.some((m) => m.matched)) return undefined;
  if (request.alert.severityId < severityId(minSeverity) || !touchesOt(assets)) return undefined;
  const zones = otZonesOf(assets);
  const unknown = [...new Set([...assets.hosts, ...assets.ips].filter((a) => !a.known).map((a) => a.ref))];
  const where = [
    ...(zones.length === 0 ? [] : [`OT zone${zones.length > 1 ? 's' : ''} ${zones.join(', ')}`]),
    ...(unknown.length === 0 ? [] : [`unknown address${unknown.length > 1 ? 'es' : ''} ${unknown.join(', ')}`]),
  ].join(' and ');
  return {
    zones,
    unknown,
    reason: `a ${request.alert.severity} alert touching ${where} matched none of the ${matches.length} playbooks`,
  };
}

function unhandledRecord(request: AdmissionRequest, notice: UnhandledNotice): AuditEventInput {
  const received = request.records.find((r) => r.eventType === 'alert.received') ?? request.records[0];
  if (received === undefined) throw new Error('an admission carries the alert record');
  const { incidentId, workflowId, runId, time, actor, trigger } = received;
  return {
    incidentId,
    workflowId,
    runId,
    time,
    actor,
    ...(trigger === undefined ? {} : { trigger }),
    idempotencyKey: `${request.incident.runId}:unhandled`,
    eventType: 'incident.unhandled',
    details: { reason: notice.reason, alertUid: request.alert.uid, zones: notice.zones, unknown: notice.unknown },
  };
}

/**
 * The admission driver of the step machine (src/engine/step-machine.ts): runs a playbook's
 * leading steps that need nobody, in-process. Each step's decision comes with the first attempt
 * of its automatic action (decideStep with `executeAutomatic`). It goes on only past a skipped
 * step or an automatic action whose first attempt succeeded, and stops at the first step that
 * needs people (approval, recommendation), was refused or invalid, whose first attempt failed
 * (the run retries it under the same ledger key) or that could not be decided (the run decides
 * it again and handles the failure). What it got then travels as the run's `PreparedRun`.
 */
export async function runLeadingSteps(
  playbook: Playbook,
  { alert, incident }: AdmissionRequest,
  deps: AdmissionDeps,
): Promise<AdmittedRun> {
  const runWorkflowId = `${incident.workflowId}.${playbook.id}`;
  const keyPrefix = `${incident.runId}:${playbook.id}:`;
  const prepared: PreparedRun = { startedKey: `${keyPrefix}started`, steps: [] };
  const run = { playbook, runWorkflowId, prepared };
  const machine = playbookRun({
    playbook,
    alert,
    context: {
      incidentId: incident.id,
      workflowId: runWorkflowId,
      runId: incident.runId,
      playbookId: playbook.id,
      playbookVersion: playbook.version,
      trigger: triggerOf(alert),
    },
    keyPrefix,
    now: () => new Date().toISOString(),
  });

  /** The first attempt made with the last decision: its summary and result (steps.<id>.result). */
  let attempted: { summary: string; result?: StepResult } | undefined;
  let next = machine.next();
  while (next.done !== true) {
    const effect = next.value;
    let answer: unknown;
    if (effect.kind === 'decide') {
      let plan: Awaited<ReturnType<AdmissionDeps['decideStep']>>;
      try {
        plan = await deps.decideStep({ ...effect.request, executeAutomatic: { idempotencyKey: effect.executionKey } });
      } catch {
        // No decision (rule 9 territory): the run decides this step again and handles the failure.
        // Its opening record it writes itself; later unwritten records are handed over.
        if (prepared.steps.length > 0) prepared.unwritten = effect.request.preceding;
        return run;
      }
      const { firstAttempt, ...decided } = plan;
      if (decided.kind === 'decided' && firstAttempt?.ok === true) {
        const { ok: _ok, ...execution } = firstAttempt;
        prepared.steps.push({ plan: decided, execution });
        attempted = execution;
      } else if (decided.kind === 'decided' && firstAttempt !== undefined) {
        // The run retries it with the same ledger key, then records the outcome and applies the
        // step's onFailure (and any rollback).
        prepared.steps.push({ plan: decided, executionKey: effect.executionKey });
        return run;
      } else {
        prepared.steps.push({ plan: decided });
        // Needs people, or cannot be evaluated: the run takes over here.
        if (decided.kind !== 'skipped') return run;
      }
      answer = decided;
    } else if (effect.kind === 'execute' && attempted !== undefined) {
      // The first attempt made with the decision: the machine records its outcome.
      answer = attempted;
      attempted = undefined;
    } else if (effect.kind === 'audit') {
      // A skipped step's record goes out with the next decision; the closing record now.
      if (effect.deferrable) answer = DEFERRED;
      else await deps.appendAudits(effect.records);
    } else {
      // Not reached: the admission goes on only past steps that need no other effect.
      throw new Error(`admission cannot perform ${effect.kind}`);
    }
    next = machine.next(answer);
  }
  return { ...run, outcomes: next.value.outcomes };
}
