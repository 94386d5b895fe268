/**
 * S9, "people are alerted": PostgreSQL (a throwaway initdb/pg_ctl cluster) stops while an OT
 * action waits for approval. The action does not run, the OT approvers, the safety owner and
 * the SOC get an "audit store unreachable" email over real SMTP; once the store is back the
 * action can be approved, every record is there and the chain verifies. The same stack shows
 * that safety-system refusals reach the safety owner (rule 5) and that a refused approval
 * through the API is audited with the operator, the channel and the refusal code.
 */
import { createPool } from '../../src/db/pool';
import { FORTIGATE_ADD_USERS_PATH } from '../../integrations/fortigate/fortigate.stub';
import { modbusWriteAlert } from '../support/scenarios';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp';
import { acceptedIncident, auditOf, decide, pendingApprovalFor } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

/** Audit writes wait out the outage: allow for it when polling the records. */
const AUDIT_TIMEOUT_MS = 90_000;

const EMAILS: Record<string, string> = {
  alice: 'alice@soc.example.test',
  omar: 'omar@plant.example.test',
  grace: 'grace@plant.example.test',
  victor: 'victor@safety.example.test',
};

let cluster: PgCluster;
let smtp: SmtpTestServer;
let stack: Stack;

beforeAll(async () => {
  [cluster, smtp] = await Promise.all([startPgCluster({ migrated: true }), startSmtpServer()]);
  stack = await startStack({
    databaseUrl: cluster.url,
    email: { host: smtp.host, port: smtp.port },
    configure(config) {
      Object.assign(config, { operators: config.operators.map((op) => ({ ...op, email: EMAILS[op.id] })) });
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([cluster?.destroy(), smtp?.close()]);
});

const S4_ALERT = modbusWriteAlert('s9-s4-0001');
const SIS_ALERT = {
  id: 's9-s6-0001',
  time: '2026-11-20T11:05:00Z',
  severity: 'critical',
  title: 'Traffic to SIS controller',
  src: { host: 'eng-ws-03', ip: '10.10.4.17' },
  dst: { host: 'sis-1', ip: '10.20.9.1' },
};

const conduitBans = () =>
  stack.fortigate
    .callsTo(FORTIGATE_ADD_USERS_PATH)
    .filter((c) => c.status < 300 && (c.body as { ip_addresses: string[] }).ip_addresses.includes('10.30.5.42'));
const outageMails = () => smtp.messages.filter((m) => m.subject.includes('Audit store unreachable'));

let s4: string;
let approvalId: string;

it('audits a SOC-only operator’s refused API approval with the operator, channel and refusal code', async () => {
  s4 = await acceptedIncident(stack, S4_ALERT);
  approvalId = (await pendingApprovalFor(stack, s4)).id;

  const refused = await decide(stack, approvalId, 'alice');
  expect(refused.status).toBe(403);
  expect(refused.body.error?.code).toBe('approver_not_authorized');

  const records = await auditOf(stack, s4, (r) => r.some((e) => e.eventType === 'approval.refused'), AUDIT_TIMEOUT_MS);
  const refusal = records.find((e) => e.eventType === 'approval.refused');
  expect(refusal?.actor).toEqual({ type: 'operator', id: 'alice', roles: ['soc-analyst'], channel: 'api' });
  expect(refusal?.approval?.approvalId).toBe(approvalId);
  expect(refusal?.result).toMatchObject({ status: 'refused' });
  expect(refusal?.result?.detail).toMatch(/^approver_not_authorized: /);
  expect(refusal?.details).toMatchObject({ decision: 'approve', refusal: 'approver_not_authorized', approvalId });
  expect(records.some((e) => e.eventType === 'approval.decided')).toBe(false);
}, 120_000);

it('escalates a safety-system refusal to the safety owner by email (rule 5)', async () => {
  const incidentId = await acceptedIncident(stack, SIS_ALERT);
  const mail = await eventually(
    () => smtp.messages.find((m) => m.subject.includes(`Safety system involved in incident ${incidentId}`)),
    'the safety escalation email',
    60_000,
  );
  expect(mail.to).toEqual(expect.arrayContaining([EMAILS['victor'], EMAILS['omar'], EMAILS['alice']]));
  expect(mail.text).toContain('rule-5-safety-system');
  expect(mail.text).toContain(`/incidents/${incidentId}`);
}, 120_000);

it('holds the OT action and alerts people while the audit store is down; nothing is lost once it is back', async () => {
  expect(conduitBans()).toHaveLength(0);
  await cluster.stop();
  // Alerts keep arriving: the duplicate's audit write fails, is retried, and raises the alarm.
  await acceptedIncident(stack, S4_ALERT);
  const alarm = await eventually(() => outageMails()[0], 'the audit-store-unreachable email', 60_000);
  expect(alarm.subject).toBe('[Interlock] Audit store unreachable: OT actions are on hold');
  expect([...alarm.to].sort()).toEqual(Object.values(EMAILS).sort());
  expect(alarm.text).toContain('No OT-affecting action runs');
  expect(alarm.text).toContain('rule-9-fail-safe');

  // No decision can reach the workflow without the store: the OT action stays held.
  const during = await stack.api(`/approvals/${approvalId}/decision`, {
    method: 'POST',
    operator: 'omar',
    body: { decision: 'approve' },
  });
  expect(during.status).toBeGreaterThanOrEqual(500);
  await new Promise((r) => setTimeout(r, 5_000));
  expect(conduitBans()).toHaveLength(0);
  // Many writes failed and were retried: still one alarm per outage window.
  expect(outageMails()).toHaveLength(1);

  await cluster.start();
  await eventually(
    async () => ((await fetch(`${stack.apiUrl}/health`)).status === 200 ? true : undefined),
    'health to be up again',
    30_000,
  );
  for (const operator of ['omar', 'grace'] as const) {
    expect((await decide(stack, approvalId, operator)).status).toBe(200);
  }
  const records = await auditOf(
    stack,
    s4,
    (r) => r.some((e) => e.eventType === 'playbook.completed') && r.some((e) => e.eventType === 'alert.duplicate'),
    AUDIT_TIMEOUT_MS,
  );
  expect(records.filter((e) => e.eventType === 'alert.duplicate')).toHaveLength(1);
  expect(records.filter((e) => e.eventType === 'approval.decided').map((e) => e.actor.id)).toEqual(['omar', 'grace']);
  expect(records.filter((e) => e.eventType === 'action.executed')).toHaveLength(2);
  expect(conduitBans()).toHaveLength(1);

  const pool = createPool(cluster.url);
  try {
    const { rows } = await pool.query<{ count: string; max: string }>(
      'SELECT count(*) AS count, max(seq) AS max FROM audit_events',
    );
    expect(Number(rows[0]?.max)).toBe(Number(rows[0]?.count));
    const verify = await stack.api('/audit/verify', { operator: 'alice' });
    expect(await verify.json()).toEqual({ ok: true, checked: Number(rows[0]?.count) });
  } finally {
    await pool.end();
  }
}, 180_000);
