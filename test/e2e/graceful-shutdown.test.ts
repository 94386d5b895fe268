/**
 * Graceful shutdown of real processes (issue 19): SIGTERM to the API during a storm of
 * distinct webhook deliveries loses none — every delivery answered 202 is in the audit trail,
 * every other one was refused cleanly (503 shutting_down, or the connection refused) and is
 * not — and the API exits 0 within server.shutdownTimeout. SIGTERM to the worker while a
 * CrowdStrike containment is in flight: readiness on metrics.workerPort fails at once while
 * liveness holds, the activity ends (its first attempt's deadline, or cancelled at
 * worker.shutdownGraceTime and handed back to Temporal), the worker exits 0 within
 * worker.shutdownTimeout, and a new worker completes the incident without calling the vendor
 * again. An API still draining at its limit exits 1, loudly.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { AuditRecord } from '../../src/audit/types';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, type StubRequest } from '../stubs';
import { acceptedIncident, auditOf, auditRecords } from '../support/e2e';
import {
  CROWDSTRIKE_AGENT_FIN_LT_042,
  REPO_ROOT,
  TOKENS,
  eventually,
  freePort,
  startStack,
  type Stack,
} from '../support/stack';

const API_SHUTDOWN_TIMEOUT_MS = 20_000;
const WORKER_GRACE_MS = 3_000;
const WORKER_SHUTDOWN_TIMEOUT_MS = 15_000;
const DELIVERIES = 300;
const IN_FLIGHT = 40;
/** SIGTERM goes to the API once this many deliveries were answered 202. */
const SIGTERM_AFTER = 60;
const INCIDENTS = 10;
const RUN = randomBytes(3).toString('hex');

let stack: Stack;
let workerPort: number;

beforeAll(async () => {
  workerPort = await freePort();
  stack = await startStack({
    configure: (config) => {
      config.server = { ...config.server, shutdownTimeout: `${API_SHUTDOWN_TIMEOUT_MS}ms` } as typeof config.server;
      config['worker'] = {
        shutdownGraceTime: `${WORKER_GRACE_MS}ms`,
        shutdownTimeout: `${WORKER_SHUTDOWN_TIMEOUT_MS}ms`,
      };
      config['metrics'] = { workerPort };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

type Outcome = { uid: string; incidentId?: string } & (
  | { kind: 'accepted' }
  | { kind: 'refused'; status: number; code?: string; retryAfter: string | null }
  | { kind: 'connection'; error: string }
);

/** A distinct low-severity alert (no playbook runs); `INCIDENTS` rules, so as many incidents. */
function delivery(i: number) {
  return {
    id: `storm-${RUN}-${i}`,
    time: '2026-12-01T19:00:00Z',
    severity: 'low',
    title: `Shutdown storm alert ${i}`,
    rule: { id: `storm-${RUN}-rule-${i % INCIDENTS}` },
    hosts: [{ name: 'storm-host' }],
  };
}

async function deliver(apiUrl: string, i: number): Promise<Outcome> {
  const uid = delivery(i).id;
  try {
    const response = await fetch(`${apiUrl}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.generic}` },
      body: JSON.stringify(delivery(i)),
    });
    const body = (await response.json()) as { incidentId?: string; error?: { code: string } };
    if (response.status === 202) return { uid, kind: 'accepted', incidentId: body.incidentId as string };
    return {
      uid,
      kind: 'refused',
      status: response.status,
      code: body.error?.code,
      retryAfter: response.headers.get('retry-after'),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { uid, kind: 'connection', error: cause?.code ?? String(error) };
  }
}

const receivedUids = (records: AuditRecord[]) =>
  new Set(records.filter((r) => r.eventType === 'alert.received').map((r) => r.trigger?.alertUid));

it('SIGTERM to the API during a storm of distinct deliveries: every 202 is in the audit trail, the rest refused cleanly, exit 0 in time', async () => {
  const apiUrl = stack.apiUrl;
  let answered202 = 0;
  let exit: ReturnType<Stack['signalApi']> | undefined;
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < DELIVERIES) {
      const outcome = await deliver(apiUrl, next++);
      outcomes.push(outcome);
      if (outcome.kind === 'accepted' && ++answered202 === SIGTERM_AFTER) exit = stack.signalApi('SIGTERM');
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  expect(exit).toBeDefined();
  const { code, ms } = await (exit as ReturnType<Stack['signalApi']>);
  expect({ code, withinLimit: ms < API_SHUTDOWN_TIMEOUT_MS }).toEqual({ code: 0, withinLimit: true });
  expect(stack.output()).toContain('API drained');

  const accepted = outcomes.filter((o) => o.kind === 'accepted');
  const refused = outcomes.filter((o) => o.kind !== 'accepted');
  expect(accepted.length).toBeGreaterThanOrEqual(SIGTERM_AFTER);
  // The storm outlived the API: some deliveries came after SIGTERM and were refused.
  expect(refused.length).toBeGreaterThan(0);
  for (const outcome of refused) {
    if (outcome.kind === 'refused')
      expect(outcome).toMatchObject({ status: 503, code: 'shutting_down', retryAfter: '5' });
    else expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(outcome.error);
  }

  // A new API process reads the audit trail: every accepted alert was received, no refused one.
  await stack.startApi();
  const incidents = [...new Set(accepted.map((o) => o.incidentId as string))];
  const received = new Set<string | undefined>();
  for (const incidentId of incidents) {
    const expected = accepted.filter((o) => o.incidentId === incidentId).map((o) => o.uid);
    const records = await auditOf(
      stack,
      incidentId,
      (rs) => expected.every((uid) => receivedUids(rs).has(uid)),
      30_000,
      `the ${expected.length} accepted alerts of ${incidentId}`,
    );
    for (const uid of receivedUids(records)) received.add(uid);
  }
  const lost = accepted.filter((o) => !received.has(o.uid)).map((o) => o.uid);
  expect({ accepted: accepted.length, lost }).toEqual({ accepted: accepted.length, lost: [] });
  expect(refused.filter((o) => received.has(o.uid)).map((o) => o.uid)).toEqual([]);
}, 120_000);

const isContain = (request: StubRequest) => request.query.get('action_name') === 'contain';
const containCalls = () =>
  stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).filter((c) => c.query['action_name'] === 'contain');

async function probe(path: string): Promise<{ status: number; body: { status?: string; draining?: boolean } }> {
  const response = await fetch(`http://127.0.0.1:${workerPort}${path}`);
  return { status: response.status, body: (await response.json()) as { status?: string; draining?: boolean } };
}

it('SIGTERM to the worker mid-containment: not ready at once, live, activity handed back, exit 0 in time, one vendor call', async () => {
  expect(await probe('/health/ready')).toMatchObject({ status: 200, body: { status: 'up', draining: false } });
  const containsBefore = containCalls().length;
  // Falcon contains the host but holds its answer: the activity is in flight at SIGTERM.
  const held = stack.crowdstrike.holdNext({ path: CROWDSTRIKE_DEVICE_ACTIONS_PATH, match: isContain });
  const incidentId = await acceptedIncident(stack, {
    id: `shutdown-s1-${RUN}`,
    time: '2026-12-01T19:00:00Z',
    severity: 'high',
    title: 'Ransomware behaviour on fin-lt-042',
    rule: { id: `shutdown-s1-${RUN}` },
    hosts: [{ name: 'fin-lt-042' }],
  });
  await held.received;
  const exit = stack.signalWorker('SIGTERM');
  await eventually(
    async () => ((await probe('/health/ready')).status === 503 ? true : undefined),
    'worker readiness to fail',
    WORKER_GRACE_MS,
  );
  expect(await probe('/health/ready')).toMatchObject({ status: 503, body: { draining: true } });
  expect(await probe('/health/live')).toMatchObject({ status: 200, body: { status: 'up' } });
  const { code, ms } = await exit;
  held.release();
  // The call ends by the admission's own first-attempt deadline or, at worker.shutdownGraceTime,
  // by cancellation (handed back to Temporal): either way the worker stops within its limit.
  expect({ code, withinLimit: ms < WORKER_SHUTDOWN_TIMEOUT_MS }).toEqual({ code: 0, withinLimit: true });
  expect(stack.output()).toContain('worker drained');

  await stack.startWorker();
  const records = await auditOf(
    stack,
    incidentId,
    (rs) => rs.some((r) => r.eventType === 'playbook.completed'),
    60_000,
    'the playbook to complete on the new worker',
  );
  expect(containCalls()).toHaveLength(containsBefore + 1);
  expect(stack.crowdstrike.contained.has(CROWDSTRIKE_AGENT_FIN_LT_042)).toBe(true);
  expect(records.filter((r) => r.eventType === 'action.executed')).toHaveLength(1);
  expect((await auditRecords(stack, incidentId)).length).toBeGreaterThan(0);
}, 120_000);

it('an API still draining at server.shutdownTimeout says so loudly and exits 1', async () => {
  // A second API process on the stack's configuration, with a 2 s limit.
  const port = await freePort();
  const config = parse(readFileSync(stack.configPath, 'utf8')) as { server: Record<string, unknown> };
  config.server = { ...config.server, port, publicUrl: `http://127.0.0.1:${port}`, shutdownTimeout: '2s' };
  const configPath = `${stack.configPath}.limit.yaml`;
  writeFileSync(configPath, stringify(config));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'main.js'), 'api'], {
    env: { ...process.env, INTERLOCK_CONFIG: configPath, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await eventually(() => (output.includes('API listening') ? true : undefined), 'the second API to listen', 60_000);
    // A delivery whose body never finishes: admitted, so the drain waits for it.
    const body = JSON.stringify(delivery(DELIVERIES + 1));
    const stuck = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/webhooks/generic',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        authorization: `Bearer ${TOKENS.generic}`,
      },
    });
    stuck.on('error', () => undefined);
    stuck.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 2_000));
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(output).toContain('SHUTDOWN LIMIT REACHED');
    expect(output).toContain('"requestsInFlight":1');
    stuck.destroy();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}, 90_000);
