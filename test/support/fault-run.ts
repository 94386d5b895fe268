/**
 * The fault run (issue 18), shared by `npm run bench:faults` (bench/faults.ts, full size) and
 * the suite (test/e2e/fault-run.test.ts, small): two API and two worker processes on one
 * PostgreSQL cluster of their own (test/support/pg-cluster.ts) and one Temporal server;
 * distinct IT and OT incidents delivered across both APIs, OT approvals given through the API
 * and through signed Slack clicks, while on a schedule a worker and an API are SIGKILLed and
 * started again, PostgreSQL is restarted, and the Slack and EDR stubs answer 500/429 for a
 * window. Then it checks what must hold whatever the faults: 0 lost, 0 duplicate vendor
 * calls, every approved action ran, no unapproved OT action ran, the audit chain verifies.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AuditRecord } from '../../src/audit/types';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, FORTIGATE_ADD_USERS_PATH, type RecordedCall } from '../stubs';
import { startSlackStub, type SlackStub, type SlackStubMessage } from '../stubs/slack-stub';
import { numberedPlc, plcAssets } from './plant-assets';
import { slackClickBody, slackSignedHeaders } from './slack-click';
import { startPgCluster, type PgCluster } from './pg-cluster';
import { API_KEYS, TOKENS, startStack, type Stack, type StackProcess } from './stack';

export interface FaultRunOptions {
  /** Temporal frontend (the dev server, or the production server of temporal-server.ts). */
  temporalAddress: string;
  /** Distinct IT incidents (ransomware on an office workstation: automatic EDR containment). */
  itIncidents: number;
  /** Distinct OT incidents (a PLC's address to quarantine at the firewall: one OT approval each). */
  otIncidents: number;
  /** OT approvals given (half through the API, half through signed Slack clicks); ≤ otIncidents. */
  approvals: number;
  /** How long the Slack and EDR stubs answer 500, then 429 (half the window each). */
  vendorOutageMs: number;
  /** How long PostgreSQL stays down when it is restarted. */
  databaseDownMs: number;
  /** The faults are spread over this span from the first delivery. */
  faultSpanMs: number;
  /** Webhook deliveries in flight. */
  inFlight: number;
  /** How long to wait, after the faults, for every incident to reach its end state. */
  settleTimeoutMs: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface FaultRunResult {
  seconds: number;
  /** How long the run waited after the faults for every incident's end state; whether it ran out of time. */
  settle: { seconds: number; timedOut: boolean };
  delivered: number;
  /** Webhook deliveries answered 202 (the ledger), and deliveries retried (not answered 202). */
  accepted: number;
  retried: number;
  lost: string[];
  /** Vendor targets changed more than once (EDR agent IDs, firewall addresses). */
  duplicates: string[];
  approvalsGiven: { api: number; slack: number };
  approvedRun: number;
  approvedNotRun: string[];
  unapprovedOtRun: string[];
  itContained: number;
  /** IT containments that failed after their retries (vendor outage), each with its action.failed record. */
  itFailedAudited: number;
  itUnaccounted: string[];
  faults: { workerKills: number; apiKills: number; restarts: number; databaseRestarts: number; vendorOutages: number };
  chain: { ok: boolean; checked?: number; firstBroken?: unknown };
}

const SIGNING_SECRET = 'fault-run-slack-signing-secret-0123';
const OMAR_SLACK = 'U0OMAR001';
const PLANT_CHANNEL = 'C0PLANTA1';

/** The i-th IT workstation: its own address and CrowdStrike agent. */
const workstation = (i: number) => ({
  id: `fault-ws-${i}`,
  ip: `10.30.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
  agent: `fa17${i.toString(16).padStart(28, '0')}`,
});
/** The i-th PLC: its own address in line1-cell, medium criticality (one OT approver). */
const plc = (i: number) => numberedPlc('fault', i);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Delivery {
  uid: string;
  kind: 'it' | 'ot';
  index: number;
  body: string;
}

/** The run's processes: the stack's own API and worker and one added of each. */
interface Processes {
  stack: Stack;
  api2: StackProcess;
  worker2: StackProcess;
  urls: string[];
}

/** GET as alice from whichever API answers (one may be down). */
async function getJson<T>(p: Processes, path: string): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const url = p.urls[attempt % p.urls.length] as string;
    try {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${API_KEYS.alice}` } });
      const text = await response.text();
      if (response.status === 200) return JSON.parse(text) as T;
      if (response.status === 404) throw Object.assign(new Error(`GET ${path}: 404 ${text}`), { notFound: true });
      last = new Error(`GET ${path}: ${response.status} ${text}`);
    } catch (error) {
      if ((error as { notFound?: boolean }).notFound === true) throw error;
      last = error;
    }
    await sleep(500);
  }
  throw last instanceof Error ? last : new Error(String(last));
}

export async function runFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const begun = performance.now();
  const log = (line: string) => options.log?.(`+${((performance.now() - begun) / 1000).toFixed(0)} s ${line}`);
  const run = randomBytes(3).toString('hex');
  const [cluster, slack] = await Promise.all([startPgCluster(), startSlackStub()]);
  let stack: Stack | undefined;
  try {
    const owner = createPool(cluster.url);
    await runMigrations(owner).finally(() => owner.end());
    stack = await startStack({
      databaseUrl: cluster.url,
      temporalAddress: options.temporalAddress,
      approvalTtl: '8h',
      escalateAfter: '8h',
      closeAfterIdle: '8h',
      blastRadius: { perRun: 5, perHour: 1_000_000 },
      // A process restarted under this load (and the faults) can take minutes to be ready.
      startTimeoutMs: 240_000,
      slack: {
        apiUrl: slack.apiUrl,
        botToken: slack.botToken,
        signingSecret: SIGNING_SECRET,
        channel: 'C0SOC0001',
        channels: { 'plant-a': PLANT_CHANNEL },
      },
      configure(config) {
        const operators = config.operators.map((op) => (op.id === 'omar' ? { ...op, slackUserId: OMAR_SLACK } : op));
        Object.assign(config, { operators });
        config.assets.push(
          ...Array.from({ length: options.itIncidents }, (_, i) => ({
            id: workstation(i).id,
            hostnames: [workstation(i).id],
            ips: [workstation(i).ip],
            zone: 'corp',
            kind: 'workstation',
            criticality: 'low' as const,
            edr: { crowdstrike: workstation(i).agent },
          })),
          ...plcAssets('fault', options.otIncidents),
        );
      },
    });
    const live = stack;
    const [api2, worker2] = await Promise.all([live.addProcess('api'), live.addProcess('worker')]);
    const p: Processes = { stack: live, api2, worker2, urls: [live.apiUrl, api2.url as string] };
    log('two APIs and two workers running');
    return await faultRun(p, cluster, slack, run, options, log);
  } finally {
    await stack?.stop();
    await Promise.all([cluster.destroy(), slack.close()]);
  }
}

async function faultRun(
  p: Processes,
  cluster: PgCluster,
  slack: SlackStub,
  run: string,
  options: FaultRunOptions,
  log: (line: string) => void,
): Promise<FaultRunResult> {
  const { stack } = p;
  const started = performance.now();
  // IT and OT interleaved, so both kinds are in flight when each fault strikes.
  const deliveries: Delivery[] = [];
  for (let i = 0, it = 0, ot = 0; it < options.itIncidents || ot < options.otIncidents; i += 1) {
    const otTurn = ot < options.otIncidents && (it >= options.itIncidents || i % 2 === 1);
    if (otTurn) {
      const host = plc(ot);
      deliveries.push({
        uid: `fault-${run}-ot-${ot}`,
        kind: 'ot',
        index: ot,
        body: JSON.stringify({
          id: `fault-${run}-ot-${ot}`,
          title: `Unexpected engineering session on ${host.id}`,
          severity: 'high',
          rule: { id: 'test-quarantine' },
          hosts: [{ name: host.id, ip: host.ip }],
        }),
      });
      ot += 1;
    } else {
      const host = workstation(it);
      deliveries.push({
        uid: `fault-${run}-it-${it}`,
        kind: 'it',
        index: it,
        body: JSON.stringify({
          id: `fault-${run}-it-${it}`,
          title: `Ransomware behaviour on ${host.id}`,
          severity: 'high',
          rule: { id: `fault-${run}-it-rule-${it}` },
          hosts: [{ name: host.id, ip: host.ip }],
        }),
      });
      it += 1;
    }
  }
  // Which OT incidents get an approval: spread over the run, alternately API and Slack.
  const stride = options.approvals === 0 ? Infinity : options.otIncidents / options.approvals;
  const toApprove = new Map<number, 'api' | 'slack'>();
  for (let k = 0; k < options.approvals; k += 1) toApprove.set(Math.floor(k * stride), k % 2 === 0 ? 'api' : 'slack');

  // The ledger: every delivery answered 202, with the incident intake named.
  const ledger = new Map<string, { incidentId: string; delivery: Delivery }>();
  let retried = 0;
  const deliver = async (d: Delivery): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      // Spread over both APIs (IT and OT alike), and to the other one after a failure.
      const url = p.urls[(d.index + (d.kind === 'ot' ? 1 : 0) + attempt) % p.urls.length] as string;
      try {
        const response = await fetch(`${url}/webhooks/generic`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.generic}` },
          body: d.body,
        });
        const answer = { status: response.status, body: await response.text() };
        if (answer.status === 202) {
          const { incidentId } = JSON.parse(answer.body) as { incidentId: string };
          ledger.set(d.uid, { incidentId, delivery: d });
          return;
        }
        if (![429, 500, 502, 503].includes(answer.status))
          throw new Error(`delivery ${d.uid} answered ${answer.status}: ${answer.body}`);
      } catch (error) {
        if ((error as Error).message.startsWith(`delivery ${d.uid} answered`)) throw error;
        // Refused, reset or cut off mid-answer: not accepted, so delivered again.
      }
      retried += 1;
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
    }
  };

  // Faults on a schedule over faultSpanMs.
  const faults = { workerKills: 0, apiKills: 0, restarts: 0, databaseRestarts: 0, vendorOutages: 0 };
  // A killed process is started again 2 s later, in the background (a restart can take a minute
  // on a loaded machine): the next fault keeps its time. PostgreSQL stops only once every
  // restart is done, so no process starts against a stopped database.
  const restarts: Promise<void>[] = [];
  const restartAfter = async (what: string, kill: () => Promise<unknown>, start: () => Promise<void>) => {
    await kill();
    log(`fault: ${what} SIGKILLed`);
    const restarted = (async () => {
      await sleep(2_000);
      await start();
      faults.restarts += 1;
      log(`fault: ${what} started again`);
    })();
    restarted.catch(() => undefined);
    restarts.push(restarted);
  };
  const plan: { at: number; act: () => Promise<void> }[] = [
    {
      at: 0.1,
      act: () =>
        restartAfter(
          'worker 2',
          () => ((faults.workerKills += 1), p.worker2.signal('SIGKILL')),
          () => p.worker2.start(),
        ),
    },
    {
      at: 0.2,
      act: () =>
        restartAfter(
          'API 1',
          () => ((faults.apiKills += 1), stack.signalApi('SIGKILL')),
          () => stack.startApi(),
        ),
    },
    {
      at: 0.4,
      act: async () => {
        await Promise.all(restarts);
        await cluster.stop();
        log('fault: PostgreSQL stopped');
        await sleep(options.databaseDownMs);
        await cluster.start();
        faults.databaseRestarts += 1;
        log('fault: PostgreSQL started again');
      },
    },
    {
      at: 0.55,
      act: async () => {
        const window = (async () => {
          let end = [slack.failUntil(500), stack.crowdstrike.failUntil(500)];
          log('fault: Slack and EDR answer 500');
          await sleep(options.vendorOutageMs / 2);
          for (const stop of end) stop();
          end = [
            slack.failUntil(429, { 'retry-after': '1' }),
            stack.crowdstrike.failUntil(429, { 'retry-after': '1' }),
          ];
          log('fault: Slack and EDR answer 429');
          await sleep(options.vendorOutageMs / 2);
          for (const stop of end) stop();
          faults.vendorOutages += 1;
          log('fault: Slack and EDR answer again');
        })();
        window.catch(() => undefined);
        restarts.push(window);
      },
    },
    {
      at: 0.7,
      act: () =>
        restartAfter(
          'worker 1',
          () => ((faults.workerKills += 1), stack.signalWorker('SIGKILL')),
          () => stack.startWorker(),
        ),
    },
    {
      at: 0.8,
      act: () =>
        restartAfter(
          'API 2',
          () => ((faults.apiKills += 1), p.api2.signal('SIGKILL')),
          () => p.api2.start(),
        ),
    },
  ];
  const faultsDone = (async () => {
    for (const step of plan) {
      const wait = started + step.at * options.faultSpanMs - performance.now();
      if (wait > 0) await sleep(wait);
      await step.act();
    }
    await Promise.all(restarts);
  })();

  // Awaited below; a failure meanwhile must not go unhandled.
  faultsDone.catch(() => undefined);

  // Deliveries, and meanwhile the approvers.
  // Paced over most of the fault span, so the faults strike while alerts keep arriving.
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length) {
      const i = next++;
      const due = started + (i / deliveries.length) * 0.8 * options.faultSpanMs - performance.now();
      if (due > 0) await sleep(due);
      await deliver(deliveries[i] as Delivery);
    }
  };
  const delivered = Promise.all(Array.from({ length: Math.min(options.inFlight, deliveries.length) }, lane));
  const approving = { stop: false };
  const approvers = approveAll(p, slack, toApprove, ledger, log, () => performance.now() - started, approving);
  approvers.catch(() => undefined);
  await delivered;
  log(`delivered: ${ledger.size} accepted, ${retried} retried, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await faultsDone;

  // Settle: every incident reaches its end state, or the timeout.
  const bansOf = () => countBy(stack.fortigate.calls, FORTIGATE_ADD_USERS_PATH, 200, (b) => ipsOf(b));
  const containsOf = () => countBy(stack.crowdstrike.calls, CROWDSTRIKE_DEVICE_ACTIONS_PATH, 202, (b) => idsOf(b));
  const approvedIps = [...toApprove.keys()].map((i) => plc(i).ip);
  const itFailed = new Set<number>();
  const settleStarted = performance.now();
  const deadline = settleStarted + options.settleTimeoutMs;
  let settleTimedOut = false;
  for (;;) {
    const bans = bansOf();
    const contains = containsOf();
    const itOpen = Array.from({ length: options.itIncidents }, (_, i) => i).filter(
      (i) => !contains.has(workstation(i).agent) && !itFailed.has(i),
    );
    // An IT containment not made may have failed after its retries: its record says so.
    for (const i of itOpen.slice(0, 50)) {
      const incidentId = ledger.get(`fault-${run}-it-${i}`)?.incidentId;
      if (incidentId === undefined) continue;
      const records = await auditOfIncident(p, incidentId);
      if (records.some((r) => r.eventType === 'action.failed')) itFailed.add(i);
    }
    const approvedOpen = approvedIps.filter((ip) => !bans.has(ip));
    if (approvedOpen.length === 0 && itOpen.every((i) => itFailed.has(i))) break;
    if (performance.now() > deadline) {
      settleTimedOut = true;
      break;
    }
    await sleep(2_000);
  }
  approving.stop = true;
  const given = await approvers;
  log(`approvals given: ${given.api} API, ${given.slack} Slack`);

  // The checks.
  const lost: string[] = [];
  for (const d of deliveries) {
    const entry = ledger.get(d.uid);
    if (entry === undefined) continue;
    const records = await auditOfIncident(p, entry.incidentId);
    const received = records.some((r) => r.eventType === 'alert.received' && JSON.stringify(r).includes(d.uid));
    if (!received || !records.some((r) => r.eventType === 'incident.opened')) lost.push(d.uid);
  }
  const bans = bansOf();
  const contains = containsOf();
  const duplicates = [
    ...[...contains].filter(([, n]) => n > 1).map(([id, n]) => `EDR agent ${id} contained ${n} times`),
    ...[...bans].filter(([, n]) => n > 1).map(([ip, n]) => `firewall address ${ip} banned ${n} times`),
  ];
  const approvedSet = new Set(approvedIps);
  const approvedNotRun = approvedIps.filter((ip) => !bans.has(ip));
  const unapprovedOtRun = Array.from({ length: options.otIncidents }, (_, i) => plc(i).ip).filter(
    (ip) => bans.has(ip) && !approvedSet.has(ip),
  );
  const itUnaccounted = Array.from({ length: options.itIncidents }, (_, i) => i)
    .filter((i) => !contains.has(workstation(i).agent) && !itFailed.has(i))
    .map((i) => `${workstation(i).id} (${ledger.get(`fault-${run}-it-${i}`)?.incidentId ?? 'not accepted'})`);
  const chain = await getJson<FaultRunResult['chain']>(p, '/audit/verify');
  return {
    seconds: (performance.now() - started) / 1000,
    settle: { seconds: (performance.now() - settleStarted) / 1000, timedOut: settleTimedOut },
    delivered: deliveries.length,
    accepted: ledger.size,
    retried,
    lost,
    duplicates,
    approvalsGiven: given,
    approvedRun: approvedIps.length - approvedNotRun.length,
    approvedNotRun,
    unapprovedOtRun,
    itContained: [...contains.keys()].length,
    itFailedAudited: itFailed.size,
    itUnaccounted,
    faults,
    chain,
  };
}

function ipsOf(body: unknown): string[] {
  const ips = (body as { ip_addresses?: unknown } | undefined)?.ip_addresses;
  return Array.isArray(ips) ? ips.map(String) : [];
}

function idsOf(body: unknown): string[] {
  const ids = (body as { ids?: unknown } | undefined)?.ids;
  return Array.isArray(ids) ? ids.map((id) => String(id).toLowerCase()) : [];
}

/** How many successful calls to `path` named each target. */
function countBy(
  calls: readonly RecordedCall[],
  path: string,
  status: number,
  targets: (body: unknown) => string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls)
    if (call.path === path && call.status === status)
      for (const target of targets(call.body)) counts.set(target, (counts.get(target) ?? 0) + 1);
  return counts;
}

async function auditOfIncident(p: Processes, incidentId: string): Promise<AuditRecord[]> {
  try {
    return (await getJson<{ records: AuditRecord[] }>(p, `/incidents/${incidentId}/audit`)).records;
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound === true) return [];
    throw error;
  }
}

interface PendingApproval {
  id: string;
  incidentId: string;
  status: string;
}

/**
 * Gives the chosen approvals as OT engineer omar once each is pending: through the API (retried
 * with its Idempotency-Key until answered 200) or by a signed Slack click on its message
 * (clicked again, as a person would, until the approval is decided).
 */
async function approveAll(
  p: Processes,
  slack: SlackStub,
  toApprove: ReadonlyMap<number, 'api' | 'slack'>,
  ledger: ReadonlyMap<string, { incidentId: string; delivery: Delivery }>,
  log: (line: string) => void,
  elapsed: () => number,
  until: { stop: boolean },
): Promise<{ api: number; slack: number }> {
  const given = { api: 0, slack: 0 };
  const decided = new Set<number>();
  const lastTry = new Map<number, number>();
  let clicks = 0;
  while (decided.size < toApprove.size) {
    // Once told to stop, one last pass counts the approvals decided since the previous one.
    const lastPass = until.stop;
    // Pending approvals of chosen incidents, by incident.
    const byIncident = new Map<string, PendingApproval>();
    let cursor: string | undefined;
    do {
      const page = await getJson<{ approvals: PendingApproval[]; nextCursor?: string }>(
        p,
        `/approvals?status=pending&limit=500${cursor === undefined ? '' : `&cursor=${cursor}`}`,
      );
      for (const a of page.approvals) byIncident.set(a.incidentId, a);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const decidedNow = new Map<string, number>();
    for (const [index, channel] of toApprove) {
      if (decided.has(index)) continue;
      const entry = [...ledger.values()].find((e) => e.delivery.kind === 'ot' && e.delivery.index === index);
      if (entry === undefined) continue;
      const approval = byIncident.get(entry.incidentId);
      const tried = lastTry.get(index);
      if (approval === undefined) {
        // Given before and no longer pending: decided.
        if (tried !== undefined) {
          decided.add(index);
          given[channel] += 1;
        }
        continue;
      }
      // Wait a while for a decision already given to show before giving it again.
      if (tried !== undefined && elapsed() - tried < 15_000) continue;
      lastTry.set(index, elapsed());
      decidedNow.set(approval.id, index);
      if (channel === 'api') void decideByApi(p, approval.id).catch(() => undefined);
      else {
        clicks += 1;
        void clickInSlack(p, slack, approval.id, clicks).catch(() => undefined);
      }
    }
    if (decidedNow.size > 0) log(`approvals: ${decidedNow.size} given, ${decided.size}/${toApprove.size} decided`);
    if (lastPass) break;
    await sleep(2_000);
  }
  return given;
}

async function decideByApi(p: Processes, approvalId: string): Promise<void> {
  const key = randomUUID();
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const url = p.urls[attempt % p.urls.length] as string;
    try {
      const response = await fetch(`${url}/approvals/${approvalId}/decision`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEYS.omar}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ decision: 'approve', reason: 'fault run: checked with the line supervisor' }),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
      if (response.status === 409 || response.status === 422) return; // decided meanwhile
    } catch {
      // The API died under the request: the same key again, on either API.
    }
    await sleep(1_000);
  }
}

/** Omar's click on the approval's Slack message, signed as Slack signs it, retried as Slack retries. */
async function clickInSlack(p: Processes, slack: SlackStub, approvalId: string, click: number): Promise<void> {
  const isMessage = (m: SlackStubMessage) =>
    m.threadTs === undefined && JSON.stringify(m.blocks).includes(`"value":"${approvalId}"`);
  let message: SlackStubMessage | undefined;
  for (let i = 0; i < 60 && message === undefined; i += 1) {
    message = slack.messages.find(isMessage);
    if (message === undefined) await sleep(1_000);
  }
  if (message === undefined) return; // not posted (yet): the next round clicks again
  const body = slackClickBody({
    user: OMAR_SLACK,
    approvalId,
    action: 'approve',
    message,
    actionTs: `${Math.floor(Date.now() / 1000)}.${String(100_000 + click)}`,
  });
  const headers = slackSignedHeaders(SIGNING_SECRET, body);
  // Slack retries a click not answered 200 (up to 3 times), with the same signed request.
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const url = p.urls[(click + attempt) % p.urls.length] as string;
    try {
      const response = await fetch(`${url}/slack/interactions`, {
        method: 'POST',
        headers: attempt === 0 ? headers : { ...headers, 'x-slack-retry-num': String(attempt) },
        body,
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // The API died under the click.
    }
    await sleep(1_000);
  }
}

/** The result as the benches print it, one figure a line, each check's verdict beside it. */
export function faultRunReport(
  r: FaultRunResult,
  options: FaultRunOptions,
  label: string,
): { lines: string[]; misses: string[] } {
  const verdict = (ok: boolean) => (ok ? 'ok' : 'FAIL');
  const misses: string[] = [];
  const check = (ok: boolean, line: string, detail: string[] = []) => {
    if (!ok) misses.push(`${line}${detail.length > 0 ? `: ${detail.slice(0, 10).join(', ')}` : ''}`);
    return `${line} (${verdict(ok)})`;
  };
  const lines = [
    `fault run (${label}): ${options.itIncidents} IT + ${options.otIncidents} OT incidents, ${options.approvals} OT approvals, 2 APIs + 2 workers, ${options.inFlight} webhooks in flight, ${(options.vendorOutageMs / 1000).toFixed(0)} s vendor outage, ${(options.databaseDownMs / 1000).toFixed(0)} s PostgreSQL down; ${r.seconds.toFixed(0)} s`,
    // A timeout is reported as such: an action still on its way is not one that was lost.
    `settled: ${r.settle.timedOut ? `NO, gave up after ${r.settle.seconds.toFixed(0)} s (BENCH_FAULT_SETTLE_MS)` : `in ${r.settle.seconds.toFixed(0)} s`}`,
    `faults done: ${r.faults.workerKills} worker + ${r.faults.apiKills} API SIGKILLs, ${r.faults.restarts} restarts, ${r.faults.databaseRestarts} PostgreSQL restart, ${r.faults.vendorOutages} Slack+EDR 500/429 window`,
    check(
      r.accepted === r.delivered,
      `webhooks accepted (202): ${r.accepted} of ${r.delivered} (${r.retried} deliveries retried)`,
    ),
    check(r.lost.length === 0, `lost (accepted without incident or records): ${r.lost.length}`, r.lost),
    check(r.duplicates.length === 0, `duplicate vendor calls: ${r.duplicates.length}`, r.duplicates),
    `approvals given: ${r.approvalsGiven.api + r.approvalsGiven.slack} (${r.approvalsGiven.api} API, ${r.approvalsGiven.slack} signed Slack clicks)`,
    check(
      r.approvedNotRun.length === 0,
      `approved actions run: ${r.approvedRun} of ${options.approvals}`,
      r.approvedNotRun,
    ),
    check(r.unapprovedOtRun.length === 0, `unapproved OT actions run: ${r.unapprovedOtRun.length}`, r.unapprovedOtRun),
    check(
      r.itUnaccounted.length === 0,
      `IT containments: ${r.itContained} made, ${r.itFailedAudited} failed after retries and audited, ${r.itUnaccounted.length} unaccounted`,
      r.itUnaccounted,
    ),
    check(r.chain.ok, `audit chain: ${r.chain.ok ? 'verifies' : 'DOES NOT VERIFY'} (${r.chain.checked ?? 0} records)`, [
      JSON.stringify(r.chain.firstBroken ?? null),
    ]),
  ];
  return { lines, misses };
}
