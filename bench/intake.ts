/**
 * `npm run bench:intake` — webhook intake against the real stack (API and worker processes,
 * Temporal dev server, PostgreSQL, CrowdStrike stub), and in the same run the floor: a bare
 * Temporal client starting a one-activity workflow that calls the same stub. Not a test:
 * prints figures and our/floor ratios against the targets.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { startTemporalDevServer } from '../src/dev/temporal-server';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  CROWDSTRIKE_TOKEN_PATH,
  startCrowdStrikeStub,
  type RecordedCall,
  type StubServer,
} from '../test/stubs';
import { CROWDSTRIKE_AGENT_FIN_LT_042, REPO_ROOT, TOKENS, startStack } from '../test/support/stack';

const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 60);
const DISTINCT_ALERTS = Number(process.env['BENCH_DISTINCT_ALERTS'] ?? 1_000);
const STORM_ALERTS = Number(process.env['BENCH_STORM_ALERTS'] ?? 10_000);
const IN_FLIGHT = Number(process.env['BENCH_IN_FLIGHT'] ?? 100);
const STORM_IN_FLIGHT = 200;

async function withConcurrency(count: number, limit: number, task: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return performance.now() - started;
}

/** Resolves when the stub records its next containment call (the time the vendor was reached). */
function containmentWatcher(stub: StubServer) {
  let waiting: ((at: number) => void) | undefined;
  const push = stub.calls.push.bind(stub.calls);
  stub.calls.push = (...calls: RecordedCall[]) => {
    const at = performance.now();
    if (calls.some((c) => c.path === CROWDSTRIKE_DEVICE_ACTIONS_PATH)) waiting?.(at);
    return push(...calls);
  };
  return () => new Promise<number>((resolve) => (waiting = resolve));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function latencies(samples: number, once: (i: number) => Promise<number>): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < samples; i += 1) values.push(await once(i));
  return values.sort((a, b) => a - b);
}

function expectStatus(response: { status: number }, status: number): void {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`);
}

/**
 * The load generator: plain node:http over kept-alive connections, reading each answer in
 * full — lighter than fetch, so the machine's two cores go to the system under test.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function postJson(url: string, headers: Record<string, string>, body: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves once `done()` holds, checking every 20 ms; fails after `timeoutMs` naming `what`. */
async function until(done: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Figures {
  /** Requests (floor: workflow starts) accepted per second while the burst was being sent. */
  acceptedPerSecond: number;
  /** Alerts (floor: workflows) carried through to their containment call, per second. */
  distinctPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The distinct phase's rates and the latency percentiles, for the floor and for Interlock alike. */
function figures(acceptedMs: number, containedMs: number, sortedLatencies: number[]): Figures {
  return {
    acceptedPerSecond: DISTINCT_ALERTS / (acceptedMs / 1000),
    distinctPerSecond: DISTINCT_ALERTS / (containedMs / 1000),
    p50: percentile(sortedLatencies, 50),
    p95: percentile(sortedLatencies, 95),
    p99: percentile(sortedLatencies, 99),
  };
}

async function measureFloor(temporalAddress: string): Promise<Figures> {
  const stub = await startCrowdStrikeStub({ clientId: 'bench', clientSecret: 'bench-secret' });
  const next = containmentWatcher(stub);
  let token: string | undefined;
  const activities = {
    async containHost(agentId: string): Promise<void> {
      if (token === undefined) {
        const response = await fetch(`${stub.url}${CROWDSTRIKE_TOKEN_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'client_id=bench&client_secret=bench-secret',
        });
        token = ((await response.json()) as { access_token: string }).access_token;
      }
      const response = await fetch(`${stub.url}${CROWDSTRIKE_DEVICE_ACTIONS_PATH}?action_name=contain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ids: [agentId] }),
      });
      await response.arrayBuffer(); // read in full so the connection is reused
      if (!response.ok) throw new Error(`containment answered ${response.status}`);
    },
  };
  const taskQueue = `floor-${randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./floor-workflow'),
    activities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const run = `${Date.now()}`;
  try {
    // Warm up the worker's caches and the stub token.
    await client.workflow.execute('floorWorkflow', {
      taskQueue,
      workflowId: `floor-warm-${run}`,
      args: [CROWDSTRIKE_AGENT_FIN_LT_042],
    });
    const sorted = await latencies(LATENCY_SAMPLES, async (i) => {
      const reached = next();
      const started = performance.now();
      await client.workflow.start('floorWorkflow', {
        taskQueue,
        workflowId: `floor-lat-${run}-${i}`,
        args: [CROWDSTRIKE_AGENT_FIN_LT_042],
      });
      return (await reached) - started;
    });
    const before = stub.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length;
    const phaseStart = performance.now();
    const acceptedMs = await withConcurrency(DISTINCT_ALERTS, IN_FLIGHT, async (i) => {
      await client.workflow.start('floorWorkflow', {
        taskQueue,
        workflowId: `floor-tp-${run}-${i}`,
        args: [CROWDSTRIKE_AGENT_FIN_LT_042],
      });
    });
    await until(
      () => stub.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length >= before + DISTINCT_ALERTS,
      `the floor's ${DISTINCT_ALERTS} containment calls`,
    );
    const containedMs = performance.now() - phaseStart;
    return figures(acceptedMs, containedMs, sorted);
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await stub.close();
  }
}

async function measureInterlock(): Promise<Figures & { stormPerSecond: number }> {
  // The latency phase contains the same laptop once per sample: lift the blast-radius guard.
  const stack = await startStack({ blastRadius: { perRun: 5, perHour: 1_000_000 } });
  const next = containmentWatcher(stack.crowdstrike);
  const post = (body: string) =>
    postJson(`${stack.apiUrl}/webhooks/generic`, { authorization: `Bearer ${TOKENS.generic}` }, body);
  const itAlert = (id: string) =>
    JSON.stringify({
      id,
      title: 'Ransomware behaviour on fin-lt-042',
      severity: 'high',
      rule: { id },
      hosts: [{ name: 'fin-lt-042' }],
    });
  const run = randomBytes(3).toString('hex');
  try {
    {
      const reached = next();
      expectStatus(await post(itAlert(`bench-warm-${run}`)), 202);
      await reached;
    }
    const sorted = await latencies(LATENCY_SAMPLES, async (i) => {
      const reached = next();
      const started = performance.now();
      expectStatus(await post(itAlert(`bench-lat-${run}-${i}`)), 202);
      return (await reached) - started;
    });
    // Distinct incidents: each alert has its own rule, so its own incident, and its own containment.
    const before = stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length;
    const phaseStart = performance.now();
    const acceptedMs = await withConcurrency(DISTINCT_ALERTS, IN_FLIGHT, async (i) => {
      expectStatus(await post(itAlert(`tp-${run}-${i}`)), 202);
    });
    await until(
      () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length >= before + DISTINCT_ALERTS,
      `Interlock's ${DISTINCT_ALERTS} containment calls`,
    );
    const containedMs = performance.now() - phaseStart;
    // Let the incidents' trailing work (playbook completion, audit) settle before the storm.
    await new Promise((r) => setTimeout(r, 3_000));
    const storm = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
    const stormMs = await withConcurrency(STORM_ALERTS, STORM_IN_FLIGHT, async () => {
      const response = await postJson(`${stack.apiUrl}/webhooks/splunk?token=${TOKENS.splunk}`, {}, storm);
      expectStatus(response, 202);
    });
    return { ...figures(acceptedMs, containedMs, sorted), stormPerSecond: STORM_ALERTS / (stormMs / 1000) };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTemporalDevServer({});
  process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
  try {
    const floor = await measureFloor(server.address);
    const ours = await measureInterlock();
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const lines = [
      `intake benchmark (latency: ${LATENCY_SAMPLES} sequential IT alerts; distinct: ${DISTINCT_ALERTS} IT alerts, each its own incident and containment, ${IN_FLIGHT} in flight; storm: ${STORM_ALERTS} duplicates, ${STORM_IN_FLIGHT} in flight)`,
      `floor    distinct ${floor.distinctPerSecond.toFixed(0)} workflows/s start to containment call (starts accepted ${floor.acceptedPerSecond.toFixed(0)}/s)   latency p50 ${ms(floor.p50)}  p95 ${ms(floor.p95)}  p99 ${ms(floor.p99)}`,
      `interlock distinct ${ours.distinctPerSecond.toFixed(0)} alerts/s webhook to containment call (webhooks answered ${ours.acceptedPerSecond.toFixed(0)}/s)   latency p50 ${ms(ours.p50)}  p95 ${ms(ours.p95)}  p99 ${ms(ours.p99)}`,
      `interlock storm    ${ours.stormPerSecond.toFixed(0)} alerts/s (target >= 2000: ${verdict(ours.stormPerSecond >= 2000)})`,
      `ratio distinct ${ratio(ours.distinctPerSecond, floor.distinctPerSecond)} (target >= 0.80: ${verdict(ours.distinctPerSecond >= 0.8 * floor.distinctPerSecond)})   answered/accepted ${ratio(ours.acceptedPerSecond, floor.acceptedPerSecond)}`,
      `ratio p50 ${ratio(ours.p50, floor.p50)} (target <= 1.50: ${verdict(ours.p50 <= 1.5 * floor.p50)})   p95 ${ratio(ours.p95, floor.p95)}   p99 ${ratio(ours.p99, floor.p99)} (target <= 2.00: ${verdict(ours.p99 <= 2 * floor.p99)})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:intake failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
