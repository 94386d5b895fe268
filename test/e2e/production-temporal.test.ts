/**
 * The end-to-end smoke against Temporal's production server (go.temporal.io/server, the version
 * docker-compose.yml runs) with PostgreSQL persistence and visibility, instead of the dev
 * server the rest of the suite shares: an automatic IT containment (S1, delivered twice), a
 * dual OT approval decided through workflow updates (S4), and a worker killed while an incident
 * waits for approval. Real processes throughout: server, API, worker, PostgreSQL, vendor stubs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { accepted, auditOf, decide, pendingApprovalFor, types } from '../support/e2e';
import { CROWDSTRIKE_AGENT_FIN_LT_042, REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';
import { startTemporalServer, type TemporalServer } from '../support/temporal-server';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
const ADMIN_URL = process.env.INTERLOCK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let server: TemporalServer;
let stack: Stack;

beforeAll(async () => {
  server = await startTemporalServer();
  stack = await startStack({ temporalAddress: server.address });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
});

const containments = () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).filter((c) => c.status === 202);
const bans = () => stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).filter((c) => c.status === 200);
const alert = (id: string, fields: Record<string, unknown>) => ({
  id,
  time: '2026-11-20T11:00:00Z',
  severity: 'high',
  ...fields,
});

it('S1: contains the laptop once through CrowdStrike, with no human, when Splunk delivers twice', async () => {
  const first = await accepted(await stack.webhook('splunk', SPLUNK_SAMPLE));
  const second = await accepted(await stack.webhook('splunk', SPLUNK_SAMPLE));
  expect(second).toEqual({ incidentId: first.incidentId, workflowId: first.incidentId, deduplicated: true });
  const records = await auditOf(stack, first.incidentId, (r) => types(r).includes('playbook.completed'), 60_000);
  expect(containments().map((c) => c.body)).toEqual([{ ids: [CROWDSTRIKE_AGENT_FIN_LT_042] }]);
  expect(records.find((r) => r.eventType === 'policy.decided')?.decision).toMatchObject({
    outcome: 'auto',
    rule: 'rule-2-auto-it',
  });
});

it('S4: blocks the IT source at the conduit only after two OT engineers approve', async () => {
  const { incidentId } = await accepted(
    await stack.webhook(
      'generic',
      alert('prod-s4-0001', {
        title: 'Modbus write to PLC from IT host',
        rule: { id: 'modbus-write-it', name: 'Modbus write from IT' },
        src: { host: 'fin-lt-042', ip: '10.30.5.42' },
        dst: { host: 'plc-7', ip: '10.20.1.7' },
      }),
    ),
  );
  const approval = await pendingApprovalFor(stack, incidentId);
  expect(approval).toMatchObject({ requiredApprovals: 2, target: { assetId: 'plc-7', zone: 'line1-cell' } });
  expect(await decide(stack, approval.id, 'omar', 'approve')).toMatchObject({
    status: 200,
    body: { status: 'pending', approvalsRemaining: 1 },
  });
  expect(bans()).toHaveLength(0);
  expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({
    status: 200,
    body: { status: 'approved', approvalsRemaining: 0 },
  });
  const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'), 60_000);
  expect(bans().map((c) => c.body)).toEqual([expect.objectContaining({ ip_addresses: ['10.30.5.42'] })]);
  expect(records.filter((r) => r.eventType === 'approval.decided').map((r) => r.actor.id)).toEqual(['omar', 'grace']);
});

it('loses nothing when the worker is killed while an incident waits for approval', async () => {
  const { incidentId } = await accepted(
    await stack.webhook(
      'generic',
      alert('prod-plc-0001', {
        title: 'PLC talking to the internet',
        rule: { id: 'test-quarantine' },
        hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
      }),
    ),
  );
  const approval = await pendingApprovalFor(stack, incidentId);
  await stack.killWorker();
  await stack.startWorker();
  expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({ status: 200 });
  expect(await decide(stack, approval.id, 'omar', 'approve')).toMatchObject({
    status: 200,
    body: { status: 'approved' },
  });
  await eventually(
    () => (bans().some((c) => JSON.stringify(c.body).includes('10.20.1.7')) ? true : undefined),
    'the PLC quarantine after the worker restart',
    60_000,
  );
  const verify = await stack.api(`/audit/verify?incidentId=${incidentId}`, { operator: 'alice' });
  expect(await verify.json()).toMatchObject({ ok: true });
});

it('kept the workflows in PostgreSQL, not in a dev server store', async () => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${server.databases[0]}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM executions');
    // Three incident workflows at least (each playbook run that waited is a child workflow too).
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(3);
  } finally {
    await client.end();
  }
});
