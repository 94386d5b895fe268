/**
 * Step results (intel.lookup): what an executed action returns as `result` is in its StepOutcome,
 * and later steps' expressions read it as steps.<id>.result — whether the playbook run executed
 * the action or the incident's admission made its first attempt. An execution answer without a
 * result (every run recorded before results existed) gives the outcome it always gave.
 */
import { runLeadingSteps, type AdmissionDeps } from '../../src/activities/admission';
import type { Alert } from '../../src/alerts/alert';
import type { StepPlan, StepRequest } from '../../src/engine/contracts';
import { playbookRun, type StepEffect } from '../../src/engine/step-machine';
import { boundedStepResult, MAX_STEP_RESULT_CHARS } from '../../src/engine/step-outcomes';
import { evaluateCondition } from '../../src/playbooks/expressions';
import { parsePlaybookYaml } from '../../src/playbooks/loader';
import type { PolicyDecision } from '../../src/policy/types';

const alert = {
  uid: 'alert-1',
  title: 'Malware on fin-lt-042',
  severity: 'medium',
  source: { name: 'generic', product: 'generic' },
  rawSha256: 'a'.repeat(64),
} as unknown as Alert;

const playbook = parsePlaybookYaml(`id: pb
name: pb
version: 1
triggers:
  - sources: [generic]
steps:
  - id: vt
    action: intel.lookup
    target: 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
  - id: contain
    action: edr.contain_host
    if: steps.vt.?result.?malicious.orValue(0) >= 5
    target: fin-lt-042
`);

const decided = (type: 'intel.lookup' | 'edr.contain_host'): StepPlan => ({
  kind: 'decided',
  action: { type, target: 'x', params: {} },
  decision: { outcome: 'auto', rule: type === 'intel.lookup' ? 'read-only' : 'rule-2-auto-it' } as PolicyDecision,
});

/** Plans a step as decideStep does: its `if` evaluated (real CEL) over the vars the machine gave. */
function planOf(request: StepRequest): StepPlan {
  const { step, vars } = request;
  if (step.if !== undefined && !evaluateCondition(step.if, vars)) return { kind: 'skipped' };
  return decided(step.action as 'intel.lookup' | 'edr.contain_host');
}

/** Drives the machine as the playbook-run workflow would; `answers` per step id for `execute`. */
function runWorkflow(answers: Record<string, unknown>) {
  const seen: StepRequest[] = [];
  const machine = playbookRun({
    playbook,
    alert,
    context: { incidentId: 'inc-1', workflowId: 'inc-1.pb', runId: 'run', playbookId: 'pb' },
    keyPrefix: 'run:',
    now: () => '2026-11-22T06:00:00.000Z',
  });
  const perform = (effect: StepEffect): unknown => {
    if (effect.kind === 'decide') {
      seen.push(effect.request);
      return planOf(effect.request);
    }
    if (effect.kind === 'execute') return answers[effect.request.context.stepId ?? ''];
    return undefined;
  };
  let next = machine.next();
  while (next.done !== true) next = machine.next(perform(next.value));
  return { outcomes: next.value.outcomes, seen };
}

describe('step results', () => {
  it('a lookup result is in its outcome and gates the next step', () => {
    const malicious = runWorkflow({
      vt: { summary: 'virustotal hash lookup: 61/72', details: {}, result: { found: true, malicious: 61 } },
      contain: { summary: 'contained', details: {} },
    });
    expect(malicious.outcomes.map((o) => [o.stepId, o.status, o.result])).toEqual([
      ['vt', 'executed', { found: true, malicious: 61 }],
      ['contain', 'executed', undefined],
    ]);
    expect(malicious.seen[1]?.vars['steps']).toMatchObject({ vt: { result: { malicious: 61 } } });

    const clean = runWorkflow({ vt: { summary: 'clean', details: {}, result: { found: true, malicious: 0 } } });
    expect(clean.outcomes.map((o) => [o.stepId, o.status])).toEqual([
      ['vt', 'executed'],
      ['contain', 'skipped'],
    ]);
    const unknown = runWorkflow({ vt: { summary: 'not known', details: {}, result: { found: false } } });
    expect(unknown.outcomes.map((o) => o.status)).toEqual(['executed', 'skipped']);
  });

  it('an execution answer without a result gives the outcome it always gave (recorded histories)', () => {
    const { outcomes } = runWorkflow({ vt: { summary: 'done', details: {} } });
    expect(outcomes[0]).toEqual({ stepId: 'vt', status: 'executed', rule: 'read-only', detail: 'done' });
    expect(Object.keys(outcomes[0] ?? {})).not.toContain('result');
  });

  it("the admission's first attempt hands its result to the next step's decision", async () => {
    const seen: StepRequest[] = [];
    const deps: AdmissionDeps = {
      appendAudits: () => Promise.resolve(),
      decideStep: (request) => {
        seen.push(request);
        const plan = planOf(request);
        if (plan.kind !== 'decided') return Promise.resolve(plan);
        const result = request.step.id === 'vt' ? { found: true, malicious: 9 } : undefined;
        return Promise.resolve({
          ...plan,
          firstAttempt: { ok: true, summary: `did ${request.step.id}`, ...(result === undefined ? {} : { result }) },
        });
      },
      playbooks: [playbook],
      notify: false,
      resolveAssets: () => ({ hosts: [], ips: [] }),
      unhandledMinSeverity: 'high',
    };
    const run = await runLeadingSteps(
      playbook,
      { alert, records: [], incident: { id: 'inc-1', workflowId: 'inc-1', runId: 'r1' }, startedPlaybooks: [] },
      deps,
    );
    expect(seen.map((r) => r.step.id)).toEqual(['vt', 'contain']);
    expect(seen[1]?.vars['steps']).toMatchObject({ vt: { status: 'executed', result: { malicious: 9 } } });
    expect(run.prepared.steps[0]?.execution).toEqual({ summary: 'did vt', result: { found: true, malicious: 9 } });
    expect(run.outcomes?.map((o) => [o.stepId, o.status, o.result])).toEqual([
      ['vt', 'executed', { found: true, malicious: 9 }],
      ['contain', 'executed', undefined],
    ]);
  });

  it('a result is kept only while small and a plain JSON object', () => {
    expect(boundedStepResult(undefined)).toBeUndefined();
    expect(boundedStepResult({ malicious: 3, tags: ['a'] })).toEqual({ malicious: 3, tags: ['a'] });
    expect(boundedStepResult({ blob: 'x'.repeat(MAX_STEP_RESULT_CHARS) })).toEqual({ truncated: true });
    expect(boundedStepResult(['not', 'an', 'object'])).toEqual({ truncated: true });
  });
});
