/**
 * S9 / issue 6 durability: PostgreSQL (a throwaway initdb/pg_ctl cluster) stops for 20 s while
 * an incident runs. The API and worker survive, /health reports the database down then up,
 * audit writes wait and resume, every expected record is written exactly once, and the chain
 * verifies.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../src/audit/types';
import { createPool } from '../../src/db/pool';
import { modbusWriteAlert } from '../support/scenarios';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { acceptedIncident, auditOf, decide, pendingApprovalFor } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

/** Audit writes wait out the outage: allow for it when polling the records. */
const AUDIT_TIMEOUT_MS = 90_000;

const OUTAGE_MS = 20_000;

let cluster: PgCluster;
let stack: Stack;

beforeAll(async () => {
  cluster = await startPgCluster({ migrated: true });
  stack = await startStack({ databaseUrl: cluster.url });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await cluster?.destroy();
});

const S4_ALERT = modbusWriteAlert('s4-outage-0001');
const RANSOMWARE_ALERT = {
  id: 'rw-outage-0001',
  severity: 'critical',
  title: 'Ransomware behaviour on laptop',
  rule: { id: 'rw-outage', name: 'Ransomware' },
  hosts: [{ name: 'fin-lt-042', ip: '10.30.5.42' }],
};

async function health(): Promise<{ status: number; body: { checks?: { database?: string } } }> {
  const response = await fetch(`${stack.apiUrl}/health`);
  return { status: response.status, body: (await response.json()) as { checks?: { database?: string } } };
}

function counts(records: AuditRecord[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const r of records) result[r.eventType] = (result[r.eventType] ?? 0) + 1;
  return result;
}

it('completes an incident across a 20 s PostgreSQL outage with every record exactly once', async () => {
  const s4 = await acceptedIncident(stack, S4_ALERT);
  const approvalId = (await pendingApprovalFor(stack, s4)).id;

  await cluster.stop();
  const outageStarted = Date.now();
  await eventually(async () => {
    const h = await health();
    return h.status === 503 && h.body.checks?.database === 'down' ? true : undefined;
  }, 'health to report the database down');
  // Alerts keep arriving during the outage: intake needs only Temporal, the audit writes wait.
  await acceptedIncident(stack, S4_ALERT);
  const ransomware = await acceptedIncident(stack, RANSOMWARE_ALERT);
  const audit = await stack.api(`/incidents/${s4}/audit`, { operator: 'alice' });
  // A temporary condition, said so: 503 with Retry-After, in the API's JSON error shape.
  expect(audit.status).toBe(503);
  expect(audit.headers.get('retry-after')).toBe('5');
  expect(((await audit.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted))));
  await cluster.start();

  await eventually(async () => ((await health()).status === 200 ? true : undefined), 'health to be up again', 30_000);
  for (const operator of ['omar', 'grace'] as const) {
    expect((await decide(stack, approvalId, operator)).status).toBe(200);
  }

  const s4Records = await auditOf(
    stack,
    s4,
    (r) => r.some((e) => e.eventType === 'playbook.completed') && r.some((e) => e.eventType === 'alert.duplicate'),
    AUDIT_TIMEOUT_MS,
  );
  expect(counts(s4Records)).toEqual({
    'incident.opened': 1,
    'alert.received': 1,
    'alert.duplicate': 1,
    'playbook.started': 1,
    'policy.decided': 2,
    'approval.requested': 1,
    'approval.decided': 2,
    'action.executed': 2,
    'playbook.completed': 1,
  });
  const rwRecords = await auditOf(
    stack,
    ransomware,
    (r) => r.some((e) => e.eventType === 'playbook.completed'),
    AUDIT_TIMEOUT_MS,
  );
  expect(counts(rwRecords)).toMatchObject({
    'incident.opened': 1,
    'alert.received': 1,
    'playbook.started': 1,
    'policy.decided': 1,
    'action.executed': 1,
    'playbook.completed': 1,
  });
  // Its raw body, received during the outage, waited in the API and is stored now.
  const rawSha256 = createHash('sha256').update(JSON.stringify(RANSOMWARE_ALERT)).digest('hex');
  expect(rwRecords.find((r) => r.eventType === 'alert.received')?.trigger?.rawSha256).toBe(rawSha256);
  const rawBody = await eventually(async () => {
    const response = await stack.api(`/incidents/${ransomware}/raw-bodies/${rawSha256}`, { operator: 'alice' });
    return response.status === 200 ? ((await response.json()) as { sha256Matches: boolean }) : undefined;
  }, 'the raw body stored after the outage');
  expect(rawBody.sha256Matches).toBe(true);

  const pool = createPool(cluster.url);
  try {
    const { rows } = await pool.query<{ count: string; max: string; keys: string }>(
      'SELECT count(*) AS count, max(seq) AS max, count(DISTINCT idempotency_key) AS keys FROM audit_events',
    );
    expect(Number(rows[0]?.max)).toBe(Number(rows[0]?.count));
    expect(Number(rows[0]?.keys)).toBe(Number(rows[0]?.count));
    const verify = await stack.api('/audit/verify', { operator: 'alice' });
    expect(await verify.json()).toEqual({ ok: true, checked: Number(rows[0]?.count) });
  } finally {
    await pool.end();
  }
}, 180_000);
