import type { FirstAttempt, StepPlan, StepRequest } from '../../src/engine/contracts';
import { admitAlert, type AdmissionDeps, type AdmissionRequest } from '../../src/activities/admission';
import type { Alert } from '../../src/alerts/alert';
import type { AuditEventInput } from '../../src/audit/types';
import { parsePlaybookYaml } from '../../src/playbooks/loader';
import type { PolicyDecision } from '../../src/policy/types';

/** The admission's own logic, with its collaborators (audit store, step decisions) recorded. */
const alert = {
  classUid: 2004,
  uid: 'alert-1',
  time: '2026-11-22T06:00:00.000Z',
  title: 'Ransomware on fin-lt-042',
  severity: 'high',
  severityId: 4,
  rule: { uid: 'r-1' },
  hosts: [{ hostname: 'fin-lt-042' }],
  ips: [],
  users: [],
  observables: [],
  source: { name: 'generic', product: 'generic' },
  rawSha256: 'a'.repeat(64),
} as unknown as Alert;

function playbook(id: string, steps: string): ReturnType<typeof parsePlaybookYaml> {
  return parsePlaybookYaml(`id: ${id}\nname: ${id}\nversion: 1\ntriggers:\n  - sources: [generic]\nsteps:\n${steps}`);
}
const SKIPPED = `  - id: skipped\n    if: 'false'\n    action: task.create\n    target: x\n`;
const CONTAIN = (id: string) => `  - id: ${id}\n    action: edr.contain_host\n    target: fin-lt-042\n`;

type Answer = StepPlan & { firstAttempt?: FirstAttempt };
const decided = (outcome: string, firstAttempt?: FirstAttempt): Answer => ({
  kind: 'decided',
  action: { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
  decision: { outcome, rule: `rule-${outcome}` } as unknown as PolicyDecision,
  ...(firstAttempt === undefined ? {} : { firstAttempt }),
});

function harness(answers: Record<string, Answer | Error>, playbooks: AdmissionDeps['playbooks']) {
  const appended: AuditEventInput[][] = [];
  const asked: StepRequest[] = [];
  const deps: AdmissionDeps = {
    resolveAssets: () => ({ hosts: [], ips: [] }),
    unhandledMinSeverity: 'medium',
    appendAudits: async (events) => {
      appended.push([...events]);
    },
    decideStep: async (input) => {
      asked.push(input);
      const answer = answers[input.step.id] ?? { kind: 'skipped' };
      if (answer instanceof Error) throw answer;
      // A decision writes the records handed to it first, in the same transaction.
      appended.push([...(input.preceding ?? [])]);
      return answer;
    },
    playbooks,
    notify: false,
  };
  return { deps, appended, asked };
}

const request: AdmissionRequest = {
  alert,
  records: [
    {
      idempotencyKey: 'run-1:alert:alert-1',
      incidentId: 'inc-1',
      time: '2026-11-22T06:00:00.000Z',
      actor: { type: 'system', id: 'interlock', channel: 'engine' },
      eventType: 'alert.received',
    },
  ],
  incident: { id: 'inc-1', workflowId: 'inc-1', runId: 'run-1' },
  startedPlaybooks: [],
};
const keys = (events: AuditEventInput[][]) => events.map((batch) => batch.map((e) => e.idempotencyKey));

describe('admitAlert', () => {
  it('records the alert first, then runs the leading steps and stops at the first that needs people', async () => {
    const { deps, appended, asked } = harness(
      { contain: decided('auto', { ok: true, summary: 'contained' }), approve: decided('approve') },
      [playbook('pb', SKIPPED + CONTAIN('contain') + CONTAIN('approve') + CONTAIN('later'))],
    );
    const admission = await admitAlert(request, deps);

    expect(keys(appended)).toEqual([['run-1:alert:alert-1'], ['run-1:pb:started'], ['run-1:pb:skipped:skipped'], []]);
    expect(asked.map((a) => a.step.id)).toEqual(['skipped', 'contain', 'approve']);
    expect(asked[1]?.executeAutomatic).toEqual({ idempotencyKey: 'inc-1.pb:run-1:contain' });
    const [run] = admission.runs;
    expect(run?.runWorkflowId).toBe('inc-1.pb');
    expect(run?.outcomes).toBeUndefined();
    expect(run?.prepared.startedKey).toBe('run-1:pb:started');
    expect(run?.prepared.steps.map((s) => [s.plan.kind, s.execution?.summary])).toEqual([
      ['skipped', undefined],
      ['decided', 'contained'],
      ['decided', undefined],
    ]);
    expect(run?.prepared.unwritten).toBeUndefined();
  });

  it('finishes a playbook that needs nobody: outcomes, and the completion with the last records', async () => {
    const { deps, appended } = harness({ contain: decided('auto', { ok: true, summary: 'contained' }) }, [
      playbook('pb', CONTAIN('contain') + SKIPPED),
    ]);
    const [run] = (await admitAlert(request, deps)).runs;
    expect(run?.outcomes).toEqual([
      { stepId: 'contain', status: 'executed', rule: 'rule-auto', detail: 'contained' },
      { stepId: 'skipped', status: 'skipped', detail: 'condition false' },
    ]);
    expect(keys(appended).at(-1)).toEqual(['run-1:pb:skipped:skipped', 'run-1:pb:completed']);
    expect(appended.at(-1)?.at(-1)).toMatchObject({ eventType: 'playbook.completed', workflowId: 'inc-1.pb' });
  });

  it('hands a failed first attempt to the run with its ledger key', async () => {
    const { deps } = harness({ contain: decided('auto', { ok: false, message: 'vendor down' }) }, [
      playbook('pb', CONTAIN('contain') + CONTAIN('next')),
    ]);
    const [run] = (await admitAlert(request, deps)).runs;
    expect(run?.outcomes).toBeUndefined();
    expect(run?.prepared.steps).toHaveLength(1);
    expect(run?.prepared.steps[0]?.executionKey).toBe('inc-1.pb:run-1:contain');
  });

  it('hands records it could not write to the run when a decision fails after progress', async () => {
    const { deps } = harness({ contain: new Error('database unreachable') }, [
      playbook('pb', SKIPPED + CONTAIN('contain')),
    ]);
    const [run] = (await admitAlert(request, deps)).runs;
    expect(run?.prepared.steps.map((s) => s.plan.kind)).toEqual(['skipped']);
    expect(run?.prepared.unwritten?.map((e) => e.idempotencyKey)).toEqual(['run-1:pb:skipped:skipped']);

    // Before any progress the run writes its own opening record: nothing is handed over.
    const first = harness({ contain: new Error('database unreachable') }, [playbook('pb', CONTAIN('contain'))]);
    const [fresh] = (await admitAlert(request, first.deps)).runs;
    expect(fresh?.prepared.steps).toEqual([]);
    expect(fresh?.prepared.unwritten).toBeUndefined();
  });

  it('does not start a playbook this incident run already started', async () => {
    const { deps, asked } = harness({}, [playbook('pb', SKIPPED), playbook('other', SKIPPED)]);
    const admission = await admitAlert({ ...request, startedPlaybooks: ['pb'] }, deps);
    expect(admission.runs.map((r) => r.playbook.id)).toEqual(['other']);
    expect(asked).toHaveLength(1);
  });
});
