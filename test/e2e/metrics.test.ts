/**
 * Prometheus metrics end to end (issue 19): S1 and S4 run against the real stack, then the
 * API's GET /metrics and the worker's metrics port are scraped and their counts checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/types';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { auditOf, decide, pendingApprovalFor } from '../support/e2e';
import { REPO_ROOT, freePort, startStack, type Stack } from '../support/stack';

const AUDIT_TIMEOUT_MS = 30_000;
const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
const S4_ALERT = {
  id: 'metrics-s4-1',
  title: 'Modbus write to PLC',
  time: '2026-11-20T11:00:00Z',
  severity: 'high',
  src: { host: 'fin-lt-042', ip: '10.30.5.42' },
  dst: { host: 'plc-7', ip: '10.20.1.7' },
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (labels as written by prom-client: no escaped quotes here). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g))
        labels[key as string] = value as string;
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const has =
  (type: string, count = 1) =>
  (records: AuditRecord[]) =>
    records.filter((r) => r.eventType === type).length >= count;

let stack: Stack;
let workerPort: number;
const incidentIds: string[] = [];

beforeAll(async () => {
  workerPort = await freePort();
  stack = await startStack({
    configure: (config) => {
      config['metrics'] = { workerPort, requireAuth: true };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function scrapeApi(): Promise<Sample[]> {
  const response = await stack.api('/metrics', { operator: 'alice' });
  expect(response.status).toBe(200);
  return parse(await response.text());
}

async function scrapeWorker(): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${workerPort}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parse(await response.text());
}

describe('metrics after S1 and S4', () => {
  it('S1: contains the laptop automatically', async () => {
    const response = await stack.webhook('splunk', SPLUNK_SAMPLE);
    expect(response.status).toBe(202);
    const { incidentId } = (await response.json()) as { incidentId: string };
    incidentIds.push(incidentId);
    await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);
  });

  it('S4: contains the IT source automatically, then blocks it at the conduit after two approvals', async () => {
    const response = await stack.webhook('generic', S4_ALERT);
    expect(response.status).toBe(202);
    const { incidentId } = (await response.json()) as { incidentId: string };
    incidentIds.push(incidentId);
    const approval = await pendingApprovalFor(stack, incidentId);

    // While it waits, the API counts it as pending, in the zone of its target.
    const pending = await scrapeApi();
    expect(total(pending, 'interlock_approvals_pending')).toBe(1);
    expect(total(pending, 'interlock_approvals_pending', { zone: 'line1-cell' })).toBe(1);
    expect(total(pending, 'interlock_approvals_pending_oldest_age_seconds', { zone: 'line1-cell' })).toBeGreaterThan(0);

    expect((await decide(stack, approval.id, { operator: 'omar' })).status).toBe(200);
    expect((await decide(stack, approval.id, { operator: 'grace' })).status).toBe(200);
    await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);
    expect(stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).filter((c) => c.status < 300)).toHaveLength(1);
  });

  it('refused deliveries are counted by source and code, an unknown source as "unknown"', async () => {
    expect((await stack.webhook('splunk', SPLUNK_SAMPLE, { authorization: 'Bearer wrong' })).status).toBe(401);
    const unknown = await fetch(`${stack.apiUrl}/webhooks/no-such-source`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
  });

  it("the API's /metrics counts the deliveries, approvals and health", async () => {
    expect((await stack.api('/metrics')).status).toBe(401);
    const api = await scrapeApi();
    for (const source of ['splunk', 'generic']) {
      expect(total(api, 'interlock_webhook_deliveries_accepted_total', { source })).toBe(1);
      expect(total(api, 'interlock_webhook_deliveries_deduplicated_total', { source })).toBe(0);
    }
    expect(total(api, 'interlock_webhook_deliveries_received_total', { source: 'splunk' })).toBe(2);
    expect(total(api, 'interlock_webhook_deliveries_received_total', { source: 'generic' })).toBe(1);
    expect(total(api, 'interlock_webhook_deliveries_refused_total', { source: 'splunk', code: '401' })).toBe(1);
    expect(total(api, 'interlock_webhook_deliveries_refused_total', { source: 'unknown', code: '404' })).toBe(1);
    expect(total(api, 'interlock_webhook_deliveries_refused_total')).toBe(2);
    expect(total(api, 'interlock_approvals_pending')).toBe(0);
    expect(total(api, 'interlock_postgres_up')).toBe(1);
    expect(total(api, 'interlock_temporal_up')).toBe(1);
    expectBoundedLabels(api);
  });

  it("the worker's metrics count the actions, approvals, latencies and audit appends", async () => {
    const worker = await scrapeWorker();
    // S1's containment and S4's source containment; S1's account step has no connector here.
    expect(
      total(worker, 'interlock_actions_total', {
        connector: 'crowdstrike',
        action: 'edr.contain_host',
        outcome: 'succeeded',
      }),
    ).toBe(2);
    expect(total(worker, 'interlock_actions_total', { connector: 'fortigate', outcome: 'succeeded' })).toBe(1);
    expect(total(worker, 'interlock_actions_total', { outcome: 'failed' })).toBe(0);
    expect(total(worker, 'interlock_action_duration_seconds_count', { connector: 'crowdstrike' })).toBe(2);
    expect(total(worker, 'interlock_action_duration_seconds_count', { connector: 'fortigate' })).toBe(1);

    expect(total(worker, 'interlock_approvals_requested_total', { zone: 'line1-cell' })).toBe(1);
    expect(total(worker, 'interlock_approvals_requested_total')).toBe(1);
    expect(total(worker, 'interlock_approval_votes_total', { channel: 'api', decision: 'approve' })).toBe(2);
    expect(total(worker, 'interlock_approval_votes_total')).toBe(2);
    expect(total(worker, 'interlock_approvals_expired_total')).toBe(0);

    // Automatic actions carried out at admission: both containments.
    expect(total(worker, 'interlock_webhook_to_action_seconds_count', { connector: 'crowdstrike' })).toBe(2);
    expect(total(worker, 'interlock_webhook_to_action_seconds_sum')).toBeGreaterThan(0);
    expect(total(worker, 'interlock_webhook_to_decision_seconds_count')).toBeGreaterThanOrEqual(2);

    expect(total(worker, 'interlock_audit_append_duration_seconds_count', { outcome: 'succeeded' })).toBeGreaterThan(0);
    expect(total(worker, 'interlock_audit_store_available')).toBe(1);
    expect(total(worker, 'interlock_postgres_up')).toBe(1);
    expect(total(worker, 'interlock_temporal_up')).toBe(1);
    expect(total(worker, 'interlock_notification_failures_total')).toBe(0);
    expectBoundedLabels(worker);
  });
});

/** No label value names an incident, an address or an asset. */
function expectBoundedLabels(samples: Sample[]): void {
  const values = samples.flatMap((s) => Object.values(s.labels));
  expect(incidentIds).toHaveLength(2);
  for (const value of values) {
    for (const id of incidentIds) expect(value).not.toContain(id);
    expect(value).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
    expect(value).not.toMatch(/fin-lt-042|plc-7/);
  }
}
