/**
 * `npm run bench:intake` — webhook intake against the real stack (API and worker processes,
 * Temporal dev server, PostgreSQL, CrowdStrike stub), and in the same run the floor: a bare
 * Temporal client starting a one-activity workflow that calls the same stub; and the storm's
 * limit: bare Fastify answering a trivial POST route in a process of its own, under the same
 * load client. Not a test: prints figures and our/floor ratios against the targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { findChildProcess } from '../src/dev/stale-process';
import { startTemporalDevServer } from '../src/dev/temporal-server';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  CROWDSTRIKE_TOKEN_PATH,
  startCrowdStrikeStub,
  type RecordedCall,
  type StubServer,
} from '../test/stubs';
import { CROWDSTRIKE_AGENT_FIN_LT_042, REPO_ROOT, TOKENS, startStack } from '../test/support/stack';
import { LoadClient } from './load-client';

const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 60);
const DISTINCT_ALERTS = Number(process.env['BENCH_DISTINCT_ALERTS'] ?? 1_000);
const STORM_ALERTS = Number(process.env['BENCH_STORM_ALERTS'] ?? 10_000);
const DISTINCT_ROUNDS = Number(process.env['BENCH_DISTINCT_ROUNDS'] ?? 5);
const IN_FLIGHT = Number(process.env['BENCH_IN_FLIGHT'] ?? 100);
const STORM_IN_FLIGHT = Number(process.env['BENCH_STORM_IN_FLIGHT'] ?? 200);
/** The storm and bare Fastify take turns in this many rounds per storm (STORM_ALERTS split between them). */
const STORM_ROUNDS = Number(process.env['BENCH_STORM_ROUNDS'] ?? 5);
/**
 * The storm of STORM_ALERTS is measured this many times, one after another (STORM_ROUNDS rounds
 * each), and judged on the median of all rounds: a round of 2,000 deliveries lasts a fraction of
 * a second, so one disturbed round (a GC, a timer of another process, the host's CPU speed
 * changing) moves a five-round median; fifteen rounds keep the verdict from hanging on one.
 */
const STORM_REPEATS = Number(process.env['BENCH_STORM_REPEATS'] ?? 3);
/**
 * Deliveries sent to each before the storm's rounds, so neither is measured while its JIT warms
 * up: V8 keeps optimizing both servers' hot paths over the first ~10,000 requests (with 2,000,
 * CPU per request was still ~40% above its settled level), and a production API meets a storm
 * long warmed up.
 */
const STORM_WARMUP = Number(process.env['BENCH_STORM_WARMUP'] ?? 20_000);
/** The storm's body: one Splunk alert, the same bytes every time. */
const STORM_BODY = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
const STORM_PATH = `/webhooks/splunk?token=${TOKENS.splunk}`;

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

/** Latency percentiles of unsorted samples. */
function figures(samples: readonly number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

function expectStatus(answered: number, status: number): void {
  if (answered !== status) throw new Error(`expected ${status}, got ${answered}`);
}

/** Resolves once `done()` holds, checking every 20 ms; fails after `timeoutMs` naming `what`. */
async function until(done: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One system measured the same way: the floor, or Interlock behind its webhook. */
interface Subject {
  /** Sends one IT alert (floor: starts one workflow); resolves with ms until its containment call. */
  latencyOnce(sample: string): Promise<number>;
  /** Sends `count` distinct ones, IN_FLIGHT at a time; ms until all were accepted and until all were contained. */
  distinctRound(count: number, round: string): Promise<{ acceptedMs: number; containedMs: number }>;
  close(): Promise<void>;
}

async function startFloor(temporalAddress: string): Promise<Subject> {
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
  const start = (id: string) =>
    client.workflow.start('floorWorkflow', {
      taskQueue,
      workflowId: `floor-${run}-${id}`,
      args: [CROWDSTRIKE_AGENT_FIN_LT_042],
    });
  // Warm up the worker's caches and the stub token.
  await client.workflow.execute('floorWorkflow', {
    taskQueue,
    workflowId: `floor-warm-${run}`,
    args: [CROWDSTRIKE_AGENT_FIN_LT_042],
  });
  return {
    async latencyOnce(sample) {
      const reached = next();
      const started = performance.now();
      await start(`lat-${sample}`);
      return (await reached) - started;
    },
    async distinctRound(count, round) {
      const before = stub.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length;
      const phaseStart = performance.now();
      const acceptedMs = await withConcurrency(count, IN_FLIGHT, async (i) => {
        await start(`tp-${round}-${i}`);
      });
      await until(
        () => stub.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length >= before + count,
        `the floor's ${count} containment calls`,
      );
      return { acceptedMs, containedMs: performance.now() - phaseStart };
    },
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await stub.close();
    },
  };
}

/** A subject of the storm: `count` deliveries of the storm's body, STORM_IN_FLIGHT at a time; resolves with the ms taken. */
interface StormSubject {
  storm(count: number): Promise<number>;
  /** Its processes, by the name the CPU figures print. */
  processes(): Record<string, number | undefined>;
}

/** Bare Fastify in a child process (bench/bare-fastify.ts), as Interlock's API is one. */
async function startBareFastify(): Promise<StormSubject & { close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(__dirname, 'run.cjs'), join(__dirname, 'bare-fastify.ts')],
    // The same NODE_OPTIONS as the stack gives the API process (none).
    { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare Fastify exited with ${code}`)));
  });
  const load = new LoadClient(`http://127.0.0.1:${port}`);
  return {
    storm: (count) =>
      withConcurrency(count, STORM_IN_FLIGHT, async () => {
        expectStatus(await load.post(STORM_PATH, {}, STORM_BODY), 202);
      }),
    processes: () => ({ 'bare Fastify': child.pid }),
    async close() {
      load.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startInterlock(): Promise<
  Subject &
    StormSubject & {
      stormIncident(): Promise<string>;
      counted(incidentId: string): Promise<number>;
      copies(): Promise<{ ledger: number; temporal: number }>;
    }
> {
  // The latency phase contains the same laptop once per sample: lift the blast-radius guard.
  const stack = await startStack({
    blastRadius: { perRun: 5, perHour: 1_000_000 },
    // E.g. `--cpu-prof --cpu-prof-dir=…` to profile the API process (written when it stops).
    nodeOptions: { api: process.env['BENCH_API_NODE_OPTIONS'] ?? '' },
  });
  const next = containmentWatcher(stack.crowdstrike);
  const load = new LoadClient(stack.apiUrl);
  const post = (body: string) => load.post('/webhooks/generic', { authorization: `Bearer ${TOKENS.generic}` }, body);
  const itAlert = (id: string) =>
    JSON.stringify({
      id,
      title: 'Ransomware behaviour on fin-lt-042',
      severity: 'high',
      rule: { id },
      hosts: [{ name: 'fin-lt-042' }],
    });
  const run = randomBytes(3).toString('hex');
  {
    const reached = next();
    expectStatus(await post(itAlert(`bench-warm-${run}`)), 202);
    await reached;
  }
  return {
    async latencyOnce(sample) {
      const reached = next();
      const started = performance.now();
      expectStatus(await post(itAlert(`bench-lat-${run}-${sample}`)), 202);
      return (await reached) - started;
    },
    // Distinct incidents: each alert has its own rule, so its own incident, and its own containment.
    async distinctRound(count, round) {
      const before = stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length;
      const phaseStart = performance.now();
      const acceptedMs = await withConcurrency(count, IN_FLIGHT, async (i) => {
        expectStatus(await post(itAlert(`tp-${run}-${round}-${i}`)), 202);
      });
      await until(
        () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length >= before + count,
        `Interlock's ${count} containment calls`,
      );
      return { acceptedMs, containedMs: performance.now() - phaseStart };
    },
    storm: (count) =>
      withConcurrency(count, STORM_IN_FLIGHT, async () => {
        expectStatus(await load.post(STORM_PATH, {}, STORM_BODY), 202);
      }),
    processes: () => {
      const { api, worker } = stack.pids();
      return { API: api, worker };
    },
    /** Delivers the storm's body once; resolves with its incident. */
    async stormIncident() {
      const response = await stack.webhook('splunk', STORM_BODY);
      expectStatus(response.status, 202);
      return ((await response.json()) as { incidentId: string }).incidentId;
    },
    /** The deliveries the incident has counted so far. */
    async counted(incidentId) {
      const response = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
      if (response.status !== 200) return 0;
      return ((await response.json()) as { state?: { alertCount?: number } }).state?.alertCount ?? 0;
    },
    /** interlock_intake_copies_total: copies answered from the copy ledger, and sent through Temporal. */
    async copies() {
      const text = await (await stack.api('/metrics', { operator: 'alice' })).text();
      const value = (path: string) =>
        Number(text.match(new RegExp(`^interlock_intake_copies_total\\{path="${path}"\\} (\\S+)$`, 'm'))?.[1] ?? NaN);
      return { ledger: value('ledger'), temporal: value('temporal') };
    },
    async close() {
      load.close();
      await stack.stop();
    },
  };
}

/** CPU time counters of the whole machine from /proc/stat (user, nice, system, idle, iowait, irq, softirq, steal, …). */
function cpuTimes(): number[] | undefined {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * The share of CPU time the hypervisor took from this machine (steal) during the works passed
 * to `during`, from /proc/stat; undefined where that is not available. Absolute rates move with it.
 */
class StealMeter {
  private total = 0;
  private stolen = 0;
  private available = true;

  async during<T>(work: () => Promise<T>): Promise<T> {
    const before = cpuTimes();
    const result = await work();
    const after = cpuTimes();
    if (before === undefined || after === undefined) this.available = false;
    else {
      const delta = after.map((v, i) => v - (before[i] ?? 0));
      this.total += delta.reduce((a, b) => a + b, 0);
      this.stolen += delta[7] ?? 0;
    }
    return result;
  }

  get share(): number | undefined {
    return this.available && this.total > 0 ? this.stolen / this.total : undefined;
  }
}

/** CPU time (ms) a process has used so far, from /proc/<pid>/stat; undefined where unreadable. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    // utime and stime (fields 14 and 15 of stat), in clock ticks of 10 ms (USER_HZ 100).
    const ticks = Number(fields?.[11]) + Number(fields?.[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time each named process (and this one: the load client) used during the works passed to `during`. */
class CpuMeter {
  private readonly used = new Map<string, number>();

  async during<T>(processes: Record<string, number | undefined>, work: () => Promise<T>): Promise<T> {
    const read = () => {
      const own = process.cpuUsage();
      const now: [string, number | undefined][] = Object.entries(processes).map(([name, pid]) => [
        name,
        processCpuMs(pid),
      ]);
      return [...now, ['load client', (own.user + own.system) / 1000] as [string, number]];
    };
    const before = new Map(read());
    const result = await work();
    for (const [name, after] of read()) {
      const start = before.get(name);
      if (after !== undefined && start !== undefined) this.used.set(name, (this.used.get(name) ?? 0) + after - start);
    }
    return result;
  }

  /** `name: N µs` per delivery for each process measured. */
  perDelivery(deliveries: number): string {
    return [...this.used].map(([name, ms]) => `${name} ${((ms * 1000) / deliveries).toFixed(0)} µs`).join(', ');
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/**
 * The floor and Interlock take turns — latency sample by sample, distinct throughput round by
 * round, in alternating order — so a change in the machine's speed (on a shared host the
 * hypervisor takes a varying share of the CPU) weighs on both alike. Ratios are judged on
 * the median of the per-round ratios. The storm and bare Fastify take turns the same way.
 */
async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTemporalDevServer({});
  process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
  const subjects: { close(): Promise<void> }[] = [];
  try {
    const floor = await startFloor(server.address);
    subjects.push(floor);
    const ours = await startInterlock();
    subjects.push(ours);
    const bare = await startBareFastify();
    subjects.push(bare);

    const floorLatency: number[] = [];
    const ourLatency: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
      floorLatency.push(await floor.latencyOnce(`${i}`));
      ourLatency.push(await ours.latencyOnce(`${i}`));
    }

    const perRound = Math.ceil(DISTINCT_ALERTS / Math.max(1, DISTINCT_ROUNDS));
    const rounds: {
      floor: { acceptedMs: number; containedMs: number };
      ours: { acceptedMs: number; containedMs: number };
    }[] = [];
    for (let r = 0; r < DISTINCT_ROUNDS; r += 1) {
      // Alternate who goes first, so neither always runs right after the other's burst.
      if (r % 2 === 0) {
        const floorRound = await floor.distinctRound(perRound, `${r}`);
        rounds.push({ floor: floorRound, ours: await ours.distinctRound(perRound, `${r}`) });
      } else {
        const ourRound = await ours.distinctRound(perRound, `${r}`);
        rounds.push({ floor: await floor.distinctRound(perRound, `${r}`), ours: ourRound });
      }
    }

    // Let the incidents' trailing work settle before the storm.
    await new Promise((r) => setTimeout(r, 3_000));
    // The storm: every delivery the same body, so all join one incident. Between rounds the
    // worker catches up with the deliveries sent (the incident counts them all), so its
    // trailing work weighs on neither subject's next round; those waits are not timed.
    const incidentId = await ours.stormIncident();
    let delivered = 1;
    let counted = 0;
    // One query at a time, only between rounds: a query is a workflow task for the worker.
    const settled = async () => {
      const deadline = performance.now() + 300_000;
      while ((counted = await ours.counted(incidentId)) < delivered) {
        if (performance.now() > deadline)
          throw new Error(`the storm's incident counted ${counted} of ${delivered} deliveries after 300 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const stormRounds: { bareMs: number; oursMs: number }[] = [];
    const perStormRound = Math.ceil(STORM_ALERTS / Math.max(1, STORM_ROUNDS));
    const steal = new StealMeter();
    // The Temporal dev server is a child of this process; PostgreSQL, shared with others, is not measured.
    const temporalPid = findChildProcess(['start-dev']);
    const bareCpu = new CpuMeter();
    const ourCpu = new CpuMeter();
    await bare.storm(STORM_WARMUP);
    await ours.storm(STORM_WARMUP);
    delivered += STORM_WARMUP;
    await settled();
    for (let r = 0; r < STORM_ROUNDS * STORM_REPEATS; r += 1) {
      const oursRound = async () => {
        const ms = await steal.during(() =>
          ourCpu.during({ ...ours.processes(), Temporal: temporalPid }, () => ours.storm(perStormRound)),
        );
        delivered += perStormRound;
        await settled();
        return ms;
      };
      const bareRound = () => steal.during(() => bareCpu.during(bare.processes(), () => bare.storm(perStormRound)));
      if (r % 2 === 0) {
        const bareMs = await bareRound();
        stormRounds.push({ bareMs, oursMs: await oursRound() });
      } else {
        const oursMs = await oursRound();
        stormRounds.push({ oursMs, bareMs: await bareRound() });
      }
    }

    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const rate = (ms: number[]) => (perRound * rounds.length) / (sum(ms) / 1000);
    const floorRate = rate(rounds.map((x) => x.floor.containedMs));
    const ourRate = rate(rounds.map((x) => x.ours.containedMs));
    // Per round: our rate over the floor's = the floor's time over ours.
    const roundRatios = rounds.map((x) => x.floor.containedMs / x.ours.containedMs);
    const distinctRatio = median(roundRatios);
    const fl = figures(floorLatency);
    const ol = figures(ourLatency);
    const stormRate = (ms: number[]) => (perStormRound * ms.length) / (sum(ms) / 1000);
    const bareRate = stormRate(stormRounds.map((x) => x.bareMs));
    const oursStormRate = stormRate(stormRounds.map((x) => x.oursMs));
    const stormRatios = stormRounds.map((x) => x.bareMs / x.oursMs);
    const stormRatio = median(stormRatios);
    // Each storm of STORM_ALERTS on its own: its rate over bare Fastify's in the same rounds.
    const storms = Array.from({ length: STORM_REPEATS }, (_, i) => {
      const part = stormRounds.slice(i * STORM_ROUNDS, (i + 1) * STORM_ROUNDS);
      return sum(part.map((x) => x.bareMs)) / sum(part.map((x) => x.oursMs));
    });
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const fixed = (v: number) => v.toFixed(2);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const stolen =
      steal.share === undefined ? '' : `; CPU taken by the hypervisor meanwhile: ${(steal.share * 100).toFixed(0)}%`;
    const lines = [
      `intake benchmark (latency: ${LATENCY_SAMPLES} sequential IT alerts each; distinct: ${rounds.length} rounds of ${perRound} IT alerts each, every alert its own incident and containment, ${IN_FLIGHT} in flight; storm: ${STORM_REPEATS} storms of ${perStormRound * STORM_ROUNDS} duplicates, ${stormRounds.length} rounds of ${perStormRound} in all, after ${STORM_WARMUP} to warm up, ${STORM_IN_FLIGHT} in flight, taking turns with bare Fastify)`,
    ];
    if (rounds.length > 0 || floorLatency.length > 0)
      lines.push(
        `floor    distinct ${floorRate.toFixed(0)} workflows/s start to containment call (starts accepted ${rate(rounds.map((x) => x.floor.acceptedMs)).toFixed(0)}/s)   latency p50 ${ms(fl.p50)}  p95 ${ms(fl.p95)}  p99 ${ms(fl.p99)}`,
        `interlock distinct ${ourRate.toFixed(0)} alerts/s webhook to containment call (webhooks answered ${rate(rounds.map((x) => x.ours.acceptedMs)).toFixed(0)}/s)   latency p50 ${ms(ol.p50)}  p95 ${ms(ol.p95)}  p99 ${ms(ol.p99)}`,
      );
    lines.push(
      `bare fastify       ${bareRate.toFixed(0)} requests/s (a trivial POST route, its own process, the same body and load client)`,
      `interlock storm    ${oursStormRate.toFixed(0)} alerts/s (target >= 2000: ${verdict(oursStormRate >= 2000)})${stolen}; the incident counted ${counted} of ${delivered} deliveries`,
      `CPU per delivery   bare Fastify rounds: ${bareCpu.perDelivery(perStormRound * stormRounds.length)}; storm rounds: ${ourCpu.perDelivery(perStormRound * stormRounds.length)}`,
      `ratio storm ${fixed(stormRatio)} of bare Fastify, median of rounds [${stormRatios.map(fixed).join(' ')}] (target >= 0.50: ${verdict(stormRatio >= 0.5)})   overall ${fixed(oursStormRate / bareRate)}, each storm [${storms.map(fixed).join(' ')}]`,
    );
    const copies = await ours.copies();
    lines.push(
      `copies             ${copies.ledger} answered from the copy ledger, ${copies.temporal} sent through Temporal (interlock_intake_copies_total)`,
    );
    if (rounds.length > 0)
      lines.push(
        `ratio distinct ${fixed(distinctRatio)} median of rounds [${roundRatios.map(fixed).join(' ')}] (target >= 0.80: ${verdict(distinctRatio >= 0.8)})   overall ${fixed(ourRate / floorRate)}`,
      );
    if (floorLatency.length > 0)
      lines.push(
        `ratio p50 ${fixed(ol.p50 / fl.p50)} (target <= 1.50: ${verdict(ol.p50 <= 1.5 * fl.p50)})   p95 ${fixed(ol.p95 / fl.p95)}   p99 ${fixed(ol.p99 / fl.p99)} (target <= 2.00: ${verdict(ol.p99 <= 2 * fl.p99)})`,
      );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const subject of subjects.reverse()) await subject.close();
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
