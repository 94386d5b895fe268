/**
 * `npm run bench:parked` — a night shift's backlog: 1,000 OT incidents, each parked on a pending
 * firewall-quarantine approval, against the real stack (API and worker processes, Temporal dev
 * server, PostgreSQL, FortiGate stub). Not a test: prints the worker's and the API's memory,
 * GET /approvals?status=pending latency, and approval → firewall call latency, each judged
 * against issue 18's targets; exits 1 when one is missed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { parse } from 'yaml';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../src/config/schema';
import { startTemporalDevServer } from '../src/dev/temporal-server';
import { FORTIGATE_ADD_USERS_PATH, type RecordedCall } from '../test/stubs';
import { numberedPlc, plcAssets } from '../test/support/plant-assets';
import { API_KEYS, startStack, type Stack } from '../test/support/stack';

/** The NODE_OPTIONS docs/operations.md#worker-and-api-memory gives each process (values.yaml api.nodeOptions, worker.nodeOptions). */
const API_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=8';
const WORKER_NODE_OPTIONS = '--max-old-space-size=320 --max-semi-space-size=16';

const PARKED = Number(process.env['BENCH_PARKED'] ?? 1_000);
const LIST_SAMPLES = Number(process.env['BENCH_LIST_SAMPLES'] ?? 200);
const SEQUENTIAL_APPROVALS = Number(process.env['BENCH_SEQUENTIAL_APPROVALS'] ?? 100);
const CONCURRENT_APPROVALS = Number(process.env['BENCH_CONCURRENT_APPROVALS'] ?? 100);
const APPROVAL_IN_FLIGHT = Number(process.env['BENCH_APPROVAL_IN_FLIGHT'] ?? 10);
const PARK_IN_FLIGHT = Number(process.env['BENCH_PARK_IN_FLIGHT'] ?? 20);
/** temporal.maxCachedWorkflows for the run; unset: the configuration's default. */
const CACHE = process.env['BENCH_MAX_CACHED_WORKFLOWS'];
/** The V8 heap caps docs/operations.md#worker-and-api-memory recommends; overridable to compare. */
const NODE_OPTIONS = {
  api: process.env['BENCH_API_NODE_OPTIONS'] ?? API_NODE_OPTIONS,
  worker: process.env['BENCH_WORKER_NODE_OPTIONS'] ?? WORKER_NODE_OPTIONS,
};

/** glibc malloc arenas of the API and worker (the Dockerfile's value); overridable to compare. */
const MALLOC_ARENA_MAX = process.env['BENCH_MALLOC_ARENA_MAX'] ?? '2';
/**
 * jemalloc, preloaded as the Dockerfile preloads it, when this machine has it (Debian's
 * libjemalloc2); BENCH_ALLOCATOR=glibc measures glibc's malloc instead.
 */
const JEMALLOC = [
  '/usr/local/lib/libjemalloc.so.2',
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
].find((path) => existsSync(path));
const PRELOAD = process.env['BENCH_ALLOCATOR'] === 'glibc' ? undefined : JEMALLOC;
const ALLOCATOR =
  PRELOAD !== undefined
    ? `jemalloc (LD_PRELOAD=${PRELOAD})`
    : process.env['BENCH_ALLOCATOR'] === 'glibc'
      ? 'glibc malloc'
      : 'glibc malloc: jemalloc is not installed (apt-get install libjemalloc2), the image preloads it';

const TARGETS = { workerRssMb: 500, apiRssMb: 200, approvalP99Ms: 1_000, listP99Ms: 100 } as const;

/** The i-th parked PLC: its own address in the line1-cell zone (10.20.0.0/16), so its own incident. */
const plc = (i: number) => numberedPlc('bench', i);

async function withConcurrency(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function figures(samples: readonly number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** Resident and peak resident memory of a process, in MB, from /proc/<pid>/status. */
function memoryOf(pid: number | undefined): { rss: number; hwm: number } {
  if (pid === undefined) throw new Error('the process is not running');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Resolves once `done()` holds, checking every 200 ms; fails after `timeoutMs` naming `what`. */
async function until(done: () => Promise<boolean> | boolean, what: string, timeoutMs = 900_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** When the FortiGate stub was first asked to ban each address (performance.now()). */
function banWatcher(stack: Stack): Map<string, number> {
  const bannedAt = new Map<string, number>();
  const calls = stack.fortigate.calls;
  const push = calls.push.bind(calls);
  calls.push = (...recorded: RecordedCall[]) => {
    const at = performance.now();
    for (const call of recorded) {
      if (call.path !== FORTIGATE_ADD_USERS_PATH || call.status !== 200) continue;
      const ips = (call.body as { ip_addresses?: unknown }).ip_addresses;
      if (Array.isArray(ips)) for (const ip of ips) if (!bannedAt.has(String(ip))) bannedAt.set(String(ip), at);
    }
    return push(...recorded);
  };
  return bannedAt;
}

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One approval's wall-clock marks (Date.now()), from the request to the ban. */
interface ApprovalTiming {
  workflowId: string;
  sentAt: number;
  answeredAt: number;
  bannedAt: number;
}

/** Where an approval's time went, ms per phase (from the playbook run's history). */
interface Phases {
  /** Request sent → the workflow task carrying the decision scheduled (API, Update RPC, server). */
  toTask: number;
  /** That task scheduled → picked up by the worker (poller and slot wait). */
  taskQueued: number;
  /** Picked up → completed (replay of an evicted run, the Update handler; it schedules the outcome's write). */
  task: number;
  /** Task completed → the decision's answer received by the bench (server, API, HTTP). */
  completedToAnswer: number;
  /**
   * Task completed → the action's activity (executeAction) scheduled: the approval's outcome
   * written (the vote and the closing, regular activities) and the workflow tasks after them.
   * Runs beside `completedToAnswer`, not after it.
   */
  outcomeToAction: number;
  /** Workflow tasks completed after the one that accepted the decision, up to the one scheduling the action. */
  tasksToAction: number;
  /** Of `outcomeToAction`: the outcome's write activities (vote, closing) scheduled → started, summed. */
  outcomeQueued: number;
  /** Of `outcomeToAction`: those activities started → completed (their database writes), summed. */
  outcomeRun: number;
  /** The action's activity scheduled → started (activity poller and slot wait). */
  activityQueued: number;
  /** Activity started → the FortiGate stub asked (policy, ledger, the HTTP call). */
  activityToBan: number;
}

/** The activity type of the approved action (src/engine/contracts.ts, InterlockActivities). */
const ACTION_ACTIVITY_TYPE = 'executeAction';

const eventMs = (event: HistoryEvent | undefined): number => {
  const t = event?.eventTime;
  return t === undefined || t === null ? NaN : Number(t.seconds ?? 0) * 1_000 + Math.floor((t.nanos ?? 0) / 1e6);
};

/** The phases of one approval, read from the run's history against the bench's own marks. */
function phasesOf(events: readonly HistoryEvent[], timing: ApprovalTiming): Phases | undefined {
  const accepted = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  if (accepted < 0) return undefined;
  const before = (type: temporal.api.enums.v1.EventType, from: number) => {
    for (let i = from; i >= 0; i -= 1) if (events[i]?.eventType === type) return events[i];
    return undefined;
  };
  const completed = before(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, accepted);
  const started = before(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, accepted);
  const scheduled = before(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, accepted);
  // The action's own activity, by its type: the first activity after the decision is the write of its vote.
  const activityAt = events.findIndex(
    (e, i) =>
      i > accepted &&
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === ACTION_ACTIVITY_TYPE,
  );
  const activity = activityAt < 0 ? undefined : events[activityAt];
  const tasksToAction =
    activityAt < 0
      ? NaN
      : events.slice(accepted, activityAt).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
          .length;
  const activityStarted = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      activity?.eventId !== undefined &&
      String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(activity.eventId),
  );
  // The approval's outcome written on the way: the activities between the decision and the action
  // that the run waited on (notifications run beside it), each scheduled → started → completed.
  const writes =
    activityAt < 0
      ? []
      : events
          .slice(accepted, activityAt)
          .filter(
            (e) =>
              e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
              e.activityTaskScheduledEventAttributes?.activityType?.name !== 'notify',
          );
  const ofActivity = (type: temporal.api.enums.v1.EventType, scheduledId: unknown) =>
    events.find(
      (e) =>
        e.eventType === type &&
        String((e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes)?.scheduledEventId) ===
          String(scheduledId),
    );
  let outcomeQueued = 0;
  let outcomeRun = 0;
  for (const write of writes) {
    const writeStarted = ofActivity(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, write.eventId);
    const writeCompleted = ofActivity(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, write.eventId);
    outcomeQueued += eventMs(writeStarted) - eventMs(write);
    outcomeRun += eventMs(writeCompleted) - eventMs(writeStarted);
  }
  return {
    toTask: eventMs(scheduled) - timing.sentAt,
    taskQueued: eventMs(started) - eventMs(scheduled),
    task: eventMs(completed) - eventMs(started),
    completedToAnswer: timing.answeredAt - eventMs(completed),
    outcomeToAction: eventMs(activity) - eventMs(completed),
    tasksToAction,
    outcomeQueued,
    outcomeRun,
    activityQueued: eventMs(activityStarted) - eventMs(activity),
    activityToBan: timing.bannedAt - eventMs(activityStarted),
  };
}

/** p50/p99 of each phase over the approvals of one measurement. */
async function breakdown(stack: Stack, address: string, timings: readonly ApprovalTiming[]): Promise<string> {
  const config = parse(readFileSync(stack.configPath, 'utf8')) as { temporal: { namespace: string } };
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const all: Phases[] = [];
    for (const timing of timings) {
      const history = await client.workflow.getHandle(timing.workflowId).fetchHistory();
      const phases = phasesOf(history.events ?? [], timing);
      if (phases !== undefined) all.push(phases);
    }
    const names = Object.keys(all[0] ?? {}) as (keyof Phases)[];
    return names
      .map((name) => {
        const f = figures(all.map((p) => p[name]).filter((v) => Number.isFinite(v)));
        return `${name} p50 ${f.p50.toFixed(0)} p99 ${f.p99.toFixed(0)}`;
      })
      .join(' | ');
  } finally {
    await connection.close();
  }
}

interface PendingApproval {
  id: string;
  incidentId: string;
  workflowId: string;
  target: { ref: string; ips?: string[] } | null;
}

async function getJson<T>(stack: Stack, path: string): Promise<T> {
  const response = await stack.api(path, { operator: 'alice' });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Every pending approval, walking the pages of GET /approvals?status=pending. */
async function allPending(stack: Stack): Promise<PendingApproval[]> {
  const all: PendingApproval[] = [];
  let cursor: string | undefined;
  do {
    const page = await getJson<{ approvals: PendingApproval[]; nextCursor?: string }>(
      stack,
      `/approvals?status=pending&limit=500${cursor === undefined ? '' : `&cursor=${cursor}`}`,
    );
    all.push(...page.approvals);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

/** ms for one GET (body read in full). */
async function timedGet(stack: Stack, path: string): Promise<{ ms: number; nextCursor?: string }> {
  const started = performance.now();
  const response = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${API_KEYS.alice}` } });
  const body = (await response.json()) as { nextCursor?: string };
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return { ms, ...(body.nextCursor === undefined ? {} : { nextCursor: body.nextCursor }) };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTemporalDevServer({});
  process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
  // The API and worker processes inherit it (the stack passes its environment on), as the
  // Dockerfile sets it: glibc's malloc arenas, docs/operations.md#worker-and-api-memory.
  process.env['MALLOC_ARENA_MAX'] = MALLOC_ARENA_MAX;
  if (PRELOAD !== undefined) process.env['LD_PRELOAD'] = PRELOAD;
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      // Approvals wait the whole run; every approved quarantine is its own incident's only one.
      approvalTtl: '8h',
      escalateAfter: '8h',
      closeAfterIdle: '8h',
      blastRadius: { perRun: 5, perHour: 1_000_000 },
      ...(CACHE === undefined ? {} : { maxCachedWorkflows: Number(CACHE) }),
      nodeOptions: NODE_OPTIONS,
      configure(config) {
        // Known PLCs of medium criticality: one OT approver each (rule 3), not two.
        config.assets.push(...plcAssets('bench', PARKED));
      },
    });
    const live = stack;
    const bannedAt = banWatcher(live);
    const idle = { worker: memoryOf(live.pids().worker), api: memoryOf(live.pids().api) };

    // Park: one alert per PLC, each its own incident whose quarantine waits for an OT approver.
    const parkStarted = performance.now();
    const incidents = new Set<string>();
    await withConcurrency(PARKED, PARK_IN_FLIGHT, async (i) => {
      const response = await live.webhook('generic', {
        id: `parked-${i}`,
        title: `Unexpected engineering session on ${plc(i).id}`,
        severity: 'high',
        rule: { id: 'test-quarantine' },
        hosts: [{ name: plc(i).id, ip: plc(i).ip }],
      });
      const body = await response.text();
      if (response.status !== 202) throw new Error(`webhook answered ${response.status}: ${body}`);
      incidents.add((JSON.parse(body) as { incidentId: string }).incidentId);
    });
    if (incidents.size !== PARKED) throw new Error(`${PARKED} alerts opened ${incidents.size} incidents`);
    let pending: PendingApproval[] = [];
    await until(async () => {
      pending = await allPending(live);
      return pending.length >= PARKED;
    }, `${PARKED} pending approvals`);
    const parkedSeconds = (performance.now() - parkStarted) / 1000;
    if (pending.length !== PARKED || new Set(pending.map((a) => a.incidentId)).size !== PARKED)
      throw new Error(`expected one pending approval per incident, got ${pending.length}`);
    // Let the last workflow tasks and the processes' garbage collection settle.
    await new Promise((r) => setTimeout(r, 10_000));
    const parked = { worker: memoryOf(live.pids().worker), api: memoryOf(live.pids().api) };

    // GET /approvals?status=pending: the first page (default size), then whole walks page by page.
    const firstPage: number[] = [];
    for (let i = 0; i < LIST_SAMPLES; i += 1) firstPage.push((await timedGet(live, '/approvals?status=pending')).ms);
    const paged: number[] = [];
    while (paged.length < LIST_SAMPLES) {
      let cursor: string | undefined;
      do {
        const answer = await timedGet(
          live,
          `/approvals?status=pending${cursor === undefined ? '' : `&cursor=${cursor}`}`,
        );
        paged.push(answer.ms);
        cursor = answer.nextCursor;
      } while (cursor !== undefined && paged.length < LIST_SAMPLES);
    }
    // The same route answering an empty page: authentication, routing and one indexed query, so
    // what the machine (shared, loaded) gives any request is printed beside the listing's figures.
    const emptyPage: number[] = [];
    for (let i = 0; i < LIST_SAMPLES; i += 1)
      emptyPage.push((await timedGet(live, '/approvals?status=pending&incidentId=none')).ms);
    const fullPage: number[] = [];
    for (let i = 0; i < Math.ceil(LIST_SAMPLES / 4); i += 1)
      fullPage.push((await timedGet(live, '/approvals?status=pending&limit=500')).ms);

    // Approve: an OT engineer's decision through the API → the FortiGate ban of that address.
    const approve = async (approval: PendingApproval, timings: ApprovalTiming[]): Promise<number> => {
      const ip = approval.target?.ips?.[0];
      if (ip === undefined) throw new Error(`approval ${approval.id} has no target address`);
      const sentAt = Date.now();
      const started = performance.now();
      const response = await live.api(`/approvals/${approval.id}/decision`, {
        method: 'POST',
        operator: 'omar',
        body: { decision: 'approve', reason: 'bench: checked with the line supervisor' },
      });
      const body = (await response.json()) as { status?: string };
      if (response.status !== 200 || body.status !== 'approved')
        throw new Error(`decision on ${approval.id} answered ${response.status}: ${JSON.stringify(body)}`);
      const answeredAt = Date.now();
      await until(() => bannedAt.has(ip), `the ban of ${ip}`, 60_000);
      const ms = (bannedAt.get(ip) ?? NaN) - started;
      timings.push({ workflowId: approval.workflowId, sentAt, answeredAt, bannedAt: sentAt + ms });
      return ms;
    };
    const toApprove = pending.slice(0, SEQUENTIAL_APPROVALS + CONCURRENT_APPROVALS);
    const sequential: number[] = [];
    const sequentialTimings: ApprovalTiming[] = [];
    for (const approval of toApprove.slice(0, SEQUENTIAL_APPROVALS))
      sequential.push(await approve(approval, sequentialTimings));
    const concurrent: number[] = [];
    const concurrentTimings: ApprovalTiming[] = [];
    const batch = toApprove.slice(SEQUENTIAL_APPROVALS);
    await withConcurrency(batch.length, APPROVAL_IN_FLIGHT, async (i) => {
      concurrent.push(await approve(batch[i] as PendingApproval, concurrentTimings));
    });
    const after = { worker: memoryOf(live.pids().worker), api: memoryOf(live.pids().api) };
    // Read after every figure above was taken: fetching histories loads the Temporal server.
    const sequentialPhases = await breakdown(live, server.address, sequentialTimings);
    const concurrentPhases = await breakdown(live, server.address, concurrentTimings);

    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const mb = (v: number) => `${v.toFixed(0)} MB`;
    const verdict = (ok: boolean) => (ok ? 'ok' : 'FAIL');
    const stats = (label: string, samples: number[], target: number) => {
      const f = figures(samples);
      return {
        ok: f.p99 <= target,
        line: `${label} (${samples.length}): p50 ${ms(f.p50)}  p95 ${ms(f.p95)}  p99 ${ms(f.p99)}  max ${ms(f.max)} (target p99 <= ${target} ms: ${verdict(f.p99 <= target)})`,
      };
    };
    const workerPeak = Math.max(parked.worker.rss, after.worker.rss);
    const apiPeak = Math.max(parked.api.rss, after.api.rss);
    const judged = [
      {
        ok: workerPeak <= TARGETS.workerRssMb,
        line: `worker RSS idle ${mb(idle.worker.rss)}, ${PARKED} parked ${mb(parked.worker.rss)}, after approvals ${mb(after.worker.rss)} (peak VmHWM ${mb(after.worker.hwm)}) (target <= ${TARGETS.workerRssMb} MB: ${verdict(workerPeak <= TARGETS.workerRssMb)})`,
      },
      {
        ok: apiPeak <= TARGETS.apiRssMb,
        line: `API    RSS idle ${mb(idle.api.rss)}, ${PARKED} parked ${mb(parked.api.rss)}, after approvals ${mb(after.api.rss)} (peak VmHWM ${mb(after.api.hwm)}) (target <= ${TARGETS.apiRssMb} MB: ${verdict(apiPeak <= TARGETS.apiRssMb)})`,
      },
      stats('GET /approvals?status=pending first page of 100', firstPage, TARGETS.listP99Ms),
      stats('GET /approvals?status=pending page by page (100 each)', paged, TARGETS.listP99Ms),
      stats('GET /approvals?status=pending&limit=500', fullPage, TARGETS.listP99Ms),
      {
        ok: true,
        line: `reference: the same route answering an empty page (${emptyPage.length}): ${(['p50', 'p95', 'p99'] as const).map((p) => `${p} ${ms(figures(emptyPage)[p])}`).join('  ')}`,
      },
      stats('approval -> FortiGate ban, one at a time', sequential, TARGETS.approvalP99Ms),
      stats(`approval -> FortiGate ban, ${APPROVAL_IN_FLIGHT} in flight`, concurrent, TARGETS.approvalP99Ms),
      { ok: true, line: `  where it went, one at a time (ms): ${sequentialPhases}` },
      { ok: true, line: `  where it went, ${APPROVAL_IN_FLIGHT} in flight (ms): ${concurrentPhases}` },
    ];
    const lines = [
      `parked benchmark: ${PARKED} OT incidents each waiting for one approval (parked in ${parkedSeconds.toFixed(0)} s, ${PARK_IN_FLIGHT} webhooks in flight; worker cache ${CACHE ?? `default ${DEFAULT_MAX_CACHED_WORKFLOWS}`} workflows; NODE_OPTIONS api '${NODE_OPTIONS.api}' worker '${NODE_OPTIONS.worker}'; MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}; ${ALLOCATOR})`,
      ...judged.map((j) => j.line),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (judged.some((j) => !j.ok)) process.exitCode = 1;
  } finally {
    await stack?.stop();
    await server.shutdown();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(
      `bench:parked failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
