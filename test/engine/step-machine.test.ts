import { admitAlert, type AdmissionDeps, type AdmissionRequest } from '../../src/activities/admission';
import type { Alert } from '../../src/alerts/alert';
import type { AuditEventInput } from '../../src/audit/types';
import type { PreparedRun, StepPlan } from '../../src/engine/contracts';
import { playbookRun, type StepEffect } from '../../src/engine/step-machine';
import { parsePlaybookYaml } from '../../src/playbooks/loader';
import type { Playbook } from '../../src/playbooks/schema';
import type { PolicyDecision } from '../../src/policy/types';

/**
 * The step machine driven by fake effects: the admission driver (admitAlert) stopping wherever
 * it stops and the run resuming the same machine from its PreparedRun must come to what the
 * run alone comes to — the same outcomes, the same records in the same order, each action
 * executed once.
 */
const alert = {
  uid: 'alert-1',
  title: 'Ransomware on fin-lt-042',
  severity: 'high',
  source: { name: 'generic', product: 'generic' },
  rawSha256: 'a'.repeat(64),
} as unknown as Alert;

/** How the fake world answers for a step: its decision, and how its vendor call goes. */
type Fate = 'skip' | 'auto' | 'auto-fails' | 'auto-fails-once' | 'approve' | 'recommend' | 'refuse' | 'no-decision';

function playbookOf(fates: Fate[], options = ''): Playbook {
  const steps = fates
    .map((fate, i) => {
      const onFailure = fate === 'auto-fails' && options.includes('continue') ? '\n    onFailure: continue' : '';
      const condition = fate === 'skip' ? `\n    if: 'false'` : '';
      return `  - id: s${i}-${fate}${condition}\n    action: edr.contain_host\n    target: fin-lt-042${onFailure}\n`;
    })
    .join('');
  const rollback = options.includes('rollback') ? 'rollbackOnFailure: true\n' : '';
  return parsePlaybookYaml(
    `id: pb\nname: pb\nversion: 1\n${rollback}triggers:\n  - sources: [generic]\nsteps:\n${steps}`,
  );
}

function world() {
  const written: AuditEventInput[] = [];
  /** Every vendor call, and those that changed something. */
  const attempts: string[] = [];
  const executions: string[] = [];
  const alerted: string[] = [];
  const fateOf = (stepId: string) =>
    stepId
      .split('-')
      .slice(1)
      .join('-')
      .replace(/-rollback$/, '') as Fate;
  const decision = (stepId: string): PolicyDecision => {
    const fate = fateOf(stepId);
    const outcome = fate.startsWith('auto') || stepId.endsWith('-rollback') ? 'auto' : fate;
    return {
      outcome,
      rule: `rule-${outcome}`,
      reason: 'because',
      actionDigest: 'd',
      compensation: 'edr.release_host',
    } as unknown as PolicyDecision;
  };
  const plan = (stepId: string): StepPlan => {
    if (fateOf(stepId) === 'skip') return { kind: 'skipped' };
    if (fateOf(stepId) === 'no-decision') throw new Error('policy unreachable');
    return {
      kind: 'decided',
      action: { type: 'edr.contain_host', target: 'x', params: {} },
      decision: decision(stepId),
    };
  };
  const execute = (stepId: string, key: string): { summary: string } => {
    const fate = fateOf(stepId);
    const tries = attempts.filter((k) => k === key).length;
    attempts.push(key);
    if (fate === 'auto-fails' || (fate === 'auto-fails-once' && tries === 0)) throw new Error('vendor down');
    executions.push(key);
    return { summary: `done ${stepId}` };
  };
  /** What the playbook-run workflow does for each effect, without Temporal. */
  const perform = (effect: StepEffect): unknown => {
    switch (effect.kind) {
      case 'decide': {
        // A decision writes the records handed to it with its own, or nothing when it fails.
        const decided = plan(effect.request.step.id);
        written.push(...(effect.request.preceding ?? []));
        return decided;
      }
      case 'decideAction':
        written.push(...(effect.request.preceding ?? []));
        return decision(effect.request.context.stepId ?? '');
      case 'audit':
        written.push(...effect.records);
        return undefined;
      case 'alertPeople':
        alerted.push(effect.request.rule);
        return undefined;
      case 'recommend':
        return { taskKey: 'SEC-1' };
      case 'approve':
        return { approvalId: 'apr-1', status: 'approved', votes: [] };
      case 'execute': {
        // A regular activity: retried once here (its retry policy) before the failure counts.
        const stepId = effect.request.context.stepId ?? '';
        try {
          return execute(stepId, effect.request.idempotencyKey);
        } catch {
          return execute(stepId, effect.request.idempotencyKey);
        }
      }
    }
  };
  const runWorkflow = (playbook: Playbook, prepared?: PreparedRun) => {
    const machine = playbookRun({
      playbook,
      alert,
      context: { incidentId: 'inc-1', workflowId: 'inc-1.pb', runId: 'child-run', playbookId: 'pb' },
      keyPrefix: 'child-run:',
      now: () => '2026-11-22T06:00:00.000Z',
      ...(prepared === undefined ? {} : { prepared }),
    });
    let next = machine.next();
    while (next.done !== true) {
      let answer: unknown;
      try {
        answer = perform(next.value);
      } catch (error) {
        next = machine.throw(error);
        continue;
      }
      next = machine.next(answer);
    }
    return next.value;
  };
  const admissionDeps = (playbook: Playbook): AdmissionDeps => ({
    resolveAssets: () => ({ hosts: [], ips: [] }),
    unhandledMinSeverity: 'medium',
    appendAudits: async (events) => {
      written.push(...events);
    },
    decideStep: async (input) => {
      const decided = plan(input.step.id);
      written.push(...(input.preceding ?? []));
      if (decided.kind !== 'decided' || decided.decision.outcome !== 'auto' || input.executeAutomatic === undefined)
        return decided;
      try {
        return {
          ...decided,
          firstAttempt: { ok: true, ...execute(input.step.id, input.executeAutomatic.idempotencyKey) },
        };
      } catch (error) {
        return { ...decided, firstAttempt: { ok: false, message: (error as Error).message } };
      }
    },
    playbooks: [playbook],
    notify: false,
  });
  return { written, attempts, executions, alerted, runWorkflow, admissionDeps };
}

const request: AdmissionRequest = {
  alert,
  records: [],
  incident: { id: 'inc-1', workflowId: 'inc-1', runId: 'incident-run' },
  startedPlaybooks: [],
};
/** Records as the audit trail shows them, without the run-specific key prefixes. */
const trail = (records: AuditEventInput[]) => records.map((r) => `${r.eventType}:${r.stepId ?? ''}`);
const executedSteps = (keys: string[]) => keys.map((k) => k.split(':').at(-1));

const cases: [string, Fate[], string][] = [
  ['every step needs nobody', ['skip', 'auto', 'skip', 'auto'], ''],
  ['an approval after automatic steps', ['auto', 'skip', 'approve', 'auto'], ''],
  ['a recommendation, then a refusal', ['skip', 'recommend', 'refuse', 'auto'], ''],
  ['a first attempt that fails once', ['auto', 'auto-fails-once', 'auto'], ''],
  ['a failed step stops the run and rolls back', ['auto', 'skip', 'auto', 'auto-fails', 'auto'], 'rollback'],
  ['a failed step that continues', ['auto', 'auto-fails', 'auto'], 'continue'],
  ['a step that cannot be decided (rule 9)', ['skip', 'auto', 'no-decision', 'auto'], ''],
  ['the first step cannot be decided', ['no-decision', 'auto'], ''],
];

describe('step machine: admission, then the run, equals the run alone', () => {
  it.each(cases)('%s', async (_name, fates, options) => {
    const playbook = playbookOf(fates, options);

    const alone = world();
    const aloneResult = alone.runWorkflow(playbook);

    const split = world();
    const [admitted] = (await admitAlert(request, split.admissionDeps(playbook))).runs;
    if (admitted === undefined) throw new Error('the playbook did not start');
    const outcomes = admitted.outcomes ?? split.runWorkflow(playbook, admitted.prepared).outcomes;

    expect(outcomes).toEqual(aloneResult.outcomes);
    expect(trail(split.written)).toEqual(trail(alone.written));
    expect(executedSteps(split.executions)).toEqual(executedSteps(alone.executions));
    expect(split.alerted).toEqual(alone.alerted);
    // Each record once: what the admission wrote is not written again by the run.
    expect(new Set(split.written.map((r) => r.idempotencyKey)).size).toBe(split.written.length);
  });

  it('runs the admission as far as it may and no further', async () => {
    const split = world();
    const playbook = playbookOf(['skip', 'auto', 'approve', 'auto']);
    const [admitted] = (await admitAlert(request, split.admissionDeps(playbook))).runs;
    expect(admitted?.prepared.steps.map((s) => s.plan.kind)).toEqual(['skipped', 'decided', 'decided']);
    expect(admitted?.outcomes).toBeUndefined();
    // The retried first attempt keeps the admission's ledger key.
    const retry = world();
    const [failed] = (await admitAlert(request, retry.admissionDeps(playbookOf(['auto-fails-once'])))).runs;
    retry.runWorkflow(playbookOf(['auto-fails-once']), failed?.prepared);
    expect(retry.attempts).toEqual([
      'inc-1.pb:incident-run:s0-auto-fails-once',
      'inc-1.pb:incident-run:s0-auto-fails-once',
    ]);
  });

  it('rolls back newest first, each compensation decided and executed', () => {
    const { runWorkflow, written } = world();
    const { outcomes, failed } = runWorkflow(playbookOf(['auto', 'auto', 'auto-fails'], 'rollback'));
    expect(failed).toBe(true);
    expect(outcomes.map((o) => `${o.stepId}:${o.status}`)).toEqual([
      's0-auto:executed',
      's1-auto:executed',
      's2-auto-fails:failed',
      's1-auto-rollback:executed',
      's0-auto-rollback:executed',
    ]);
    expect(trail(written).slice(-2)).toEqual(['playbook.rolling-back:', 'playbook.failed:']);
  });
});
