/**
 * Storm-proof intake (issue 4): 10,000 concurrent duplicate deliveries of one Splunk alert
 * against the real API and worker processes, all through Temporal (`intake.copyLedger: false`;
 * with the copy ledger, test/e2e/intake-copies.test.ts). Every delivery is acknowledged only after
 * Temporal accepted it, all join one incident that counts each of them, the incident run
 * continues as new (a low threshold here) without losing a delivery, and the laptop is
 * contained exactly once. Duplicates are audited in aggregate, and the incident's runs replay.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { parse } from 'yaml';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH } from '../stubs';
import { ENCRYPTION_KEY, REPO_ROOT, TOKENS, eventually, startStack, type Stack } from '../support/stack';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
const DELIVERIES = 10_000;
const IN_FLIGHT = 200;

let stack: Stack;

beforeAll(async () => {
  // Through Temporal, every copy (as when PostgreSQL does not take the copy ledger): the storm
  // grows the incident's history past a run's budget. The ledger's storm: intake-copies.test.ts.
  stack = await startStack({
    continueAsNewAfterEvents: 100,
    configure: (config) => {
      config['intake'] = { ...(config['intake'] as object | undefined), copyLedger: false };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Runs `task(i)` for i in [0, count) with at most `limit` running at once. */
async function withConcurrency<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

interface IncidentView {
  runId: string;
  state?: {
    alertCount: number;
    duplicateCount: number;
    distinctAlertCount: number;
    runCount: number;
    firstSeen: string;
    lastSeen: string;
  };
}

it('acknowledges 10,000 concurrent duplicates into one incident counting 10,000, one containment', async () => {
  const answers = await withConcurrency(DELIVERIES, IN_FLIGHT, async (i) => {
    // Half by bearer header, half by ?token= as Splunk's webhook action sends it.
    const url = `${stack.apiUrl}/webhooks/splunk${i % 2 === 0 ? `?token=${TOKENS.splunk}` : ''}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (i % 2 === 1) headers['authorization'] = `Bearer ${TOKENS.splunk}`;
    const response = await fetch(url, { method: 'POST', headers, body: SPLUNK_SAMPLE });
    return { status: response.status, body: (await response.json()) as { incidentId: string; deduplicated: boolean } };
  });

  expect(answers.filter((a) => a.status !== 202)).toEqual([]);
  const metrics = await (await stack.api('/metrics', { operator: 'alice' })).text();
  expect(metrics).toContain('interlock_intake_copies_total{path="ledger"} 0');
  const incidents = new Set(answers.map((a) => a.body.incidentId));
  expect(incidents.size).toBe(1);
  expect(answers.filter((a) => !a.body.deduplicated)).toHaveLength(1);
  const [incidentId] = [...incidents] as [string];

  const view = await eventually(
    async () => {
      const response = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
      const body = (await response.json()) as IncidentView;
      return body.state?.alertCount === DELIVERIES ? body : undefined;
    },
    'the incident to count every delivery',
    60_000,
  );
  expect(view.state).toMatchObject({ alertCount: DELIVERIES, duplicateCount: DELIVERIES - 1, distinctAlertCount: 1 });
  // The storm outgrew one run's history budget: the state was carried across runs.
  expect(view.state?.runCount).toBeGreaterThan(1);
  expect((view.state?.firstSeen ?? '~') <= (view.state?.lastSeen ?? '')).toBe(true);

  const containments = () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH);
  await eventually(() => (containments().length > 0 ? true : undefined), 'the containment call');
  await new Promise((r) => setTimeout(r, 1_000));
  expect(containments()).toHaveLength(1);

  // Duplicates are audited in aggregate, never one record per copy: at most one record per
  // alert per second while copies keep coming, the last ones within a second of the storm.
  type AuditRecord = { eventType: string; details?: { deliveries?: number } };
  const audited = (records: AuditRecord[]) =>
    records
      .filter((r) => r.eventType === 'alert.duplicate' || r.eventType === 'alert.received')
      .reduce((n, r) => n + (r.details?.deliveries ?? 1), 0);
  const records = await eventually(
    async () => {
      const audit = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'alice' });
      const body = (await audit.json()) as { records: AuditRecord[] };
      return audited(body.records) >= DELIVERIES ? body.records : undefined;
    },
    'every delivery to be audited',
    30_000,
  );
  const duplicates = records.filter((r) => r.eventType === 'alert.duplicate');
  expect(duplicates.length).toBeGreaterThan(0);
  expect(duplicates.length).toBeLessThan(DELIVERIES / 100);
  expect(records.filter((r) => r.eventType === 'alert.received')).toHaveLength(1);
  expect(audited(records)).toBe(DELIVERIES);

  // Every run of the storm's incident replays against the workflow code as bundled for production.
  const config = parse(readFileSync(stack.configPath, 'utf8')) as { temporal: { namespace: string } };
  const connection = await Connection.connect({ address: process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '' });
  const dir = mkdtempSync(join(tmpdir(), 'interlock-storm-replay-'));
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const histories = [];
    for (let runId: string | undefined = view.runId; runId !== undefined && runId !== '';) {
      const history = await client.workflow.getHandle(incidentId, runId).fetchHistory();
      histories.push(history);
      runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    }
    expect(histories.length).toBe(view.state?.runCount);
    const codePath = join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(codePath);
    const codec = new AesGcmPayloadCodec(
      [{ id: ENCRYPTION_KEY.id, key: Buffer.from(ENCRYPTION_KEY.key, 'base64') }],
      ENCRYPTION_KEY.id,
    );
    for (const history of histories)
      await Worker.runReplayHistory(
        { workflowBundle: { codePath }, dataConverter: { payloadCodecs: [codec] } },
        history,
        incidentId,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await connection.close();
  }
}, 240_000);
