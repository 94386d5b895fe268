/**
 * The closed-incident rule (issue 4), against the real API and worker processes: an incident
 * closes after `incidents.closeAfterIdle` without alerts once its playbooks are done; the
 * same alert arriving later reopens it as a NEW RUN of the same incident ID. Exactly what
 * that means is asserted here and documented in docs/architecture.md ("Correlation and
 * closed incidents"):
 * - the delivery that reopens answers 202 with the same incidentId and `deduplicated: false`;
 * - the new run's counts start again (alertCount 1, duplicateCount 0), with firstSeen at the
 *   reopening delivery; runCount counts runs within one opening only, so it is 1 again;
 * - the matching playbooks start again (new playbook runs, policy decided afresh), but an
 *   enforcement action the incident's playbook already executed is not called again: the
 *   laptop is contained once in all;
 * - the audit trail stays one chain for the incident: opened, closed, opened again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH } from '../stubs';
import { accepted, auditRecords, types, type IntakeAnswer } from '../support/e2e';
import { REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

interface IncidentView {
  runId?: string;
  status: string | null;
  state?: {
    status: 'open' | 'closed';
    alertCount: number;
    duplicateCount: number;
    distinctAlertCount?: number;
    runCount?: number;
    firstSeen: string;
    lastSeen: string;
    playbookRuns: { playbookId: string; status: string }[];
  };
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ closeAfterIdle: '2s' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function deliver(): Promise<IntakeAnswer> {
  return accepted(await stack.webhook('splunk', SPLUNK_SAMPLE));
}

async function incident(incidentId: string): Promise<IncidentView> {
  const response = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
  expect(response.status).toBe(200);
  return (await response.json()) as IncidentView;
}

const containments = () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).filter((c) => c.status === 202);

it('reopens a closed incident as a new run of the same ID: counts restart, playbooks run again', async () => {
  const first = await deliver();
  expect(first.deduplicated).toBe(false);
  const { incidentId } = first;
  // A duplicate while open joins the run.
  expect(await deliver()).toEqual({ incidentId, workflowId: incidentId, deduplicated: true });

  const closed = await eventually(
    async () => {
      const view = await incident(incidentId);
      return view.status === 'COMPLETED' ? view : undefined;
    },
    'the incident to close after 2s idle',
    30_000,
  );
  expect(closed.state?.status).toBe('closed');
  expect(closed.state).toMatchObject({ alertCount: 2, duplicateCount: 1, distinctAlertCount: 1 });
  expect(containments()).toHaveLength(1);

  const reopened = await deliver();
  expect(reopened).toEqual({ incidentId, workflowId: incidentId, deduplicated: false });

  const view = await eventually(
    async () => {
      const v = await incident(incidentId);
      const runs = v.state?.playbookRuns ?? [];
      const done = runs.length > 0 && runs.every((r) => r.status === 'completed');
      return v.runId !== closed.runId && (v.state?.alertCount ?? 0) > 0 && done ? v : undefined;
    },
    'the new run to finish its playbooks',
    30_000,
  );
  expect(view.status).toBe('RUNNING');
  expect(view.state).toMatchObject({
    status: 'open',
    alertCount: 1,
    duplicateCount: 0,
    distinctAlertCount: 1,
    runCount: 1,
  });
  expect((view.state?.firstSeen ?? '') > (closed.state?.lastSeen ?? '~')).toBe(true);
  expect(view.state?.playbookRuns.map((r) => r.playbookId)).toEqual(
    closed.state?.playbookRuns.map((r) => r.playbookId),
  );

  const records = await eventually(async () => {
    const r = await auditRecords(stack, incidentId);
    return types(r).filter((t) => t === 'playbook.completed').length === 2 ? r : undefined;
  }, 'the audit of both runs');
  const all = types(records);
  const closedAt = all.indexOf('incident.closed');
  const [firstRun, secondRun] = [all.slice(0, closedAt), all.slice(closedAt + 1)];
  const count = (list: string[], type: string) => list.filter((t) => t === type).length;
  expect([count(firstRun, 'incident.opened'), count(all, 'incident.closed'), secondRun[0]]).toEqual([
    1,
    1,
    'incident.opened',
  ]);
  for (const run of [firstRun, secondRun]) {
    expect([count(run, 'playbook.started'), count(run, 'playbook.completed')]).toEqual([1, 1]);
    expect(count(run, 'policy.decided')).toBeGreaterThan(0);
  }
  expect([count(firstRun, 'action.executed'), count(secondRun, 'action.executed')]).toEqual([1, 1]);
  // The threat came back: the reopened run's playbook acts again (the action ledger is keyed
  // per playbook run, so only a retried activity within one run is deduplicated).
  await new Promise((r) => setTimeout(r, 500));
  expect(containments()).toHaveLength(2);
  const verify = await stack.api(`/audit/verify?incidentId=${incidentId}`, { operator: 'alice' });
  expect(await verify.json()).toMatchObject({ ok: true });
}, 120_000);
