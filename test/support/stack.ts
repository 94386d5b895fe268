import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { startCrowdStrikeStub, startFortiGateStub, type CrowdStrikeStub, type FortiGateStub } from '../stubs';
import { createTestDatabase } from './pg';
import { RECORD_ENV, recordHistories, secretsIn } from './record-histories';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');

/** Credentials of the test stack, as an operator or a SIEM would present them. */
export const TOKENS = { splunk: 'splunk-test-token-1234', generic: 'generic-test-token-5678' } as const;
export const API_KEYS = {
  alice: 'alice-key-0123456789abcdef',
  omar: 'omar-key-0123456789abcdef',
  grace: 'grace-key-0123456789abcdef',
  victor: 'victor-key-0123456789abcdef',
} as const;
export const CROWDSTRIKE_AGENT_FIN_LT_042 = '4c1f8e2a9b7d4e6f8a0b1c2d3e4f5a6b';
/** The stack's Temporal payload encryption key (temporal.encryption). */
export const ENCRYPTION_KEY = { id: 'test-k1', key: 'dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=' } as const;

export interface StackOptions {
  approvalTtl?: string;
  /** Use this database (e.g. a throwaway cluster, or a least-privileged login) instead of a fresh
   * one on the shared server; the stack does not drop it. */
  databaseUrl?: string;
  /** policy.escalateAfter (default 5m). */
  escalateAfter?: string;
  /** Point the stack's `slack` settings at a Slack stub. */
  slack?: {
    apiUrl: string;
    botToken: string;
    signingSecret: string;
    channel: string;
    channels?: Record<string, string>;
  };
  /** Send the stack's email through this SMTP server. */
  email?: { host: string; port: number; from?: string };
  /** Last-minute changes to the generated configuration (e.g. operators' slackUserId/email). */
  configure?: (config: Record<string, unknown> & ReturnType<typeof stackConfig>) => void;
  closeAfterIdle?: string;
  /** incidents.continueAsNewAfterEvents (a small value exercises continue-as-new). */
  continueAsNewAfterEvents?: number;
  /** policy.blastRadius (the benchmark contains one host many times). */
  blastRadius?: { perRun: number; perHour: number };
  /** temporal.uiUrl (links, and the origin allowed to call the codec endpoint). */
  temporalUiUrl?: string;
  /** A Temporal frontend other than the suite's dev server (e.g. the production server of
   * test/support/temporal-server.ts). */
  temporalAddress?: string;
  /** temporal.maxCachedWorkflows (the worker's workflow cache; default: the config's). */
  maxCachedWorkflows?: number;
  /** How long an API or worker process may take to start (default 60 s; a loaded machine needs more). */
  startTimeoutMs?: number;
  /** NODE_OPTIONS of the API and worker processes (e.g. a V8 heap cap); default: none. */
  nodeOptions?: { api?: string; worker?: string };
}

export interface Stack {
  apiUrl: string;
  crowdstrike: CrowdStrikeStub;
  fortigate: FortiGateStub;
  databaseUrl: string;
  configPath: string;
  /** POST a JSON body to a webhook with the source's bearer token (unless headers override). */
  webhook(source: 'splunk' | 'generic', body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Call the API as an operator. */
  api(
    path: string,
    options?: { method?: string; operator?: keyof typeof API_KEYS; body?: unknown; apiKey?: string },
  ): Promise<Response>;
  /** Process IDs of the running API and worker (e.g. to read their memory from /proc). */
  pids(): { api: number | undefined; worker: number | undefined };
  killWorker(): Promise<void>;
  startWorker(): Promise<void>;
  /** Sends `signal` to the API process (it is then gone until startApi); resolves with how it exited. */
  signalApi(signal: NodeJS.Signals): Promise<ProcessExit>;
  startApi(): Promise<void>;
  /** Sends `signal` to the worker process (it is then gone until startWorker); resolves with how it exited. */
  signalWorker(signal: NodeJS.Signals): Promise<ProcessExit>;
  /**
   * Starts one more API or worker process against the same configuration (database, Temporal
   * namespace, task queue, stubs); an API gets its own port. The stack stops it with the rest.
   */
  addProcess(mode: 'api' | 'worker'): Promise<StackProcess>;
  /** Everything the stack's processes have written so far. */
  output(): string;
  stop(): Promise<void>;
}

/** A process added by Stack.addProcess: killed (any signal) and started again as an operator would. */
export interface StackProcess {
  mode: 'api' | 'worker';
  /** An API's base URL (its own port, the same across restarts). */
  url: string | undefined;
  pid(): number | undefined;
  /** Sends `signal` (it is then gone until start); resolves with how it exited. */
  signal(signal: NodeJS.Signals): Promise<ProcessExit>;
  start(): Promise<void>;
}

/** How a process of the stack ended after a signal: its exit code, and the time from the signal. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

/** A port free on loopback right now (for a process the stack starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * `count` consecutive free ports for a process that binds them itself later: below Linux's
 * ephemeral range (32768+), where the kernel hands out ports to any process asking for port 0
 * (the embedded Temporal server among them), so nothing else is given one of them meanwhile.
 */
export async function freePortBlock(count: number): Promise<number> {
  const bind = (port: number) =>
    new Promise<boolean>((resolveBound) => {
      const server = createServer();
      server.once('error', () => resolveBound(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolveBound(true)));
    });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const bound = await Promise.all(Array.from({ length: count }, (_, i) => bind(base + i)));
    if (bound.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports below 32000`);
}

function testPlaybooksDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-playbooks-'));
  for (const file of readdirSync(join(REPO_ROOT, 'playbooks')).filter((f) => /\.ya?ml$/.test(f))) {
    cpSync(join(REPO_ROOT, 'playbooks', file), join(dir, file));
  }
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'playbooks'), dir, { recursive: true });
  return dir;
}

/** The test stack's configuration: the shared example's inventory, stubs for the vendors. */
export function stackConfig(
  o: {
    port: number;
    temporal: string;
    namespace: string;
    taskQueue: string;
    databaseUrl: string;
    playbooksDir: string;
    crowdstrike: string;
    fortigate: string;
  } & StackOptions,
) {
  return {
    server: { port: o.port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${o.port}`, maxBodyBytes: 65_536 },
    temporal: {
      address: o.temporal,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      ...(o.temporalUiUrl === undefined ? {} : { uiUrl: o.temporalUiUrl }),
      ...(o.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: o.maxCachedWorkflows }),
      encryption: { keys: [ENCRYPTION_KEY], activeKeyId: ENCRYPTION_KEY.id },
    },
    database: { url: o.databaseUrl },
    incidents: {
      closeAfterIdle: o.closeAfterIdle ?? '5m',
      ...(o.continueAsNewAfterEvents === undefined ? {} : { continueAsNewAfterEvents: o.continueAsNewAfterEvents }),
    },
    // Only EDR and firewall stubs by default: steps needing other connectors fail cleanly (tests rely on it).
    playbooks: { dir: o.playbooksDir, missingConnector: 'warn' },
    sources: { splunk: { token: TOKENS.splunk }, generic: { token: TOKENS.generic } },
    operators: [
      { id: 'alice', name: 'Alice Moreau', roles: ['soc-analyst'], apiKey: API_KEYS.alice },
      { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'], apiKey: API_KEYS.omar },
      { id: 'grace', name: 'Grace Lin', roles: ['ot-engineer', 'shift-lead'], apiKey: API_KEYS.grace },
      { id: 'victor', name: 'Victor Stahl', roles: ['safety-owner', 'break-glass'], apiKey: API_KEYS.victor },
    ],
    zones: [
      { id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] },
      { id: 'eng', purdueLevel: 3, mode: 'approve', cidrs: ['10.10.0.0/16'] },
      { id: 'dmz', purdueLevel: 3.5, mode: 'approve', cidrs: ['10.15.0.0/16'] },
      { id: 'line1-cell', purdueLevel: 1, mode: 'approve', site: 'plant-a', owner: 'grace', cidrs: ['10.20.0.0/16'] },
    ],
    assets: [
      {
        id: 'fin-lt-042',
        hostnames: ['fin-lt-042', 'fin-lt-042.corp.example.net'],
        ips: ['10.30.5.42'],
        zone: 'corp',
        kind: 'workstation',
        criticality: 'low',
        edr: { crowdstrike: CROWDSTRIKE_AGENT_FIN_LT_042 },
      },
      { id: 'eng-ws-03', hostnames: ['eng-ws-03'], ips: ['10.10.4.17'], zone: 'eng', kind: 'ews', criticality: 'high' },
      { id: 'plc-7', hostnames: ['plc-7'], ips: ['10.20.1.7'], zone: 'line1-cell', kind: 'plc', criticality: 'high' },
      {
        id: 'sis-1',
        hostnames: ['sis-1'],
        ips: ['10.20.9.1'],
        zone: 'line1-cell',
        kind: 'sis',
        criticality: 'safety',
        safetySystem: true,
      },
    ],
    policy: {
      approvalTtl: o.approvalTtl ?? '10m',
      escalateAfter: o.escalateAfter ?? '5m',
      dualApprovalFor: ['high', 'safety'],
      otApproverRoles: ['ot-engineer'],
      ...(o.blastRadius === undefined ? {} : { blastRadius: o.blastRadius }),
    },
    integrations: {
      crowdstrike: {
        baseUrl: o.crowdstrike,
        clientId: 'interlock-test-client',
        clientSecret: 'interlock-test-secret',
        timeout: '5s',
      },
      fortigate: { baseUrl: o.fortigate, apiKey: 'fortigate-test-api-key', vdom: 'root', timeout: '5s' },
    },
  };
}

/** Registers a namespace on the dev server and waits until its frontend knows it. */
export async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // The frontend caches namespaces; wait until it knows the new one.
    await eventually(
      async () => (await connection.workflowService.describeNamespace({ namespace })).namespaceInfo?.name,
      `namespace ${namespace}`,
      10_000,
    );
  } finally {
    await connection.close();
  }
}

/** Spawns `node dist/src/main.js <mode>` and resolves once `ready` appears in its output. */
function spawnInterlock(
  mode: 'api' | 'worker',
  configPath: string,
  ready: RegExp,
  output: string[],
  nodeOptions = '',
  timeoutMs = 60_000,
): Promise<ChildProcess> {
  return new Promise((resolveChild, reject) => {
    const child = spawn(process.execPath, [MAIN, mode], {
      env: { ...process.env, INTERLOCK_CONFIG: configPath, LOG_LEVEL: 'info', NODE_OPTIONS: nodeOptions },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // not left running behind the failed test
      reject(new Error(`${mode} did not start within ${timeoutMs / 1000}s:\n${output.join('')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (ready.test(chunk.toString())) {
        clearTimeout(timer);
        resolveChild(child);
      }
    };
    const logFile = process.env['INTERLOCK_TEST_LOG_DIR'];
    if (logFile !== undefined) {
      mkdirSync(logFile, { recursive: true });
      const sink = createWriteStream(join(logFile, `${basename(configPath, '.yaml')}-${mode}-${child.pid ?? 0}.log`));
      child.stdout.pipe(sink);
      child.stderr.pipe(sink);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} exited with ${code}:\n${output.join('')}`));
    });
  });
}

/** Sends `signal` and resolves once the process has exited. */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): Promise<ProcessExit> {
  const sent = Date.now();
  const exited = new Promise<ProcessExit>((r) =>
    child.once('exit', (code, exitSignal) => r({ code, signal: exitSignal, ms: Date.now() - sent })),
  );
  child.kill(signal);
  return exited;
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

/**
 * A complete Interlock deployment for one test file: API and worker as separate real
 * processes, a fresh PostgreSQL database, the shared Temporal dev server, vendor stubs.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const temporal = options.temporalAddress ?? process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'];
  if (temporal === undefined) throw new Error('the Temporal dev server of test/support/global-setup.ts is not running');
  const [db, crowdstrike, fortigate, port] = await Promise.all([
    options.databaseUrl === undefined
      ? createTestDatabase()
      : { url: options.databaseUrl, drop: () => Promise.resolve() },
    startCrowdStrikeStub({ clientId: 'interlock-test-client', clientSecret: 'interlock-test-secret' }),
    startFortiGateStub({ apiKey: 'fortigate-test-api-key' }),
    freePort(),
  ]);
  // A namespace per stack: incident IDs are deterministic, so stacks sharing one would
  // join each other's incidents, exactly as two deployments sharing a namespace would.
  const namespace = `test-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'interlock-stack-'));
  let worker: ChildProcess | undefined;
  let api: ChildProcess | undefined;
  const added: (() => ChildProcess | undefined)[] = [];
  const tearDown = async (signal: NodeJS.Signals) => {
    await Promise.all([stopChild(api, signal), stopChild(worker, signal), ...added.map((c) => stopChild(c(), signal))]);
    await Promise.all([crowdstrike.close(), fortigate.close()]);
    await db.drop();
    rmSync(workDir, { recursive: true, force: true });
  };
  // What is up already is torn down when a later step fails: a stub left listening would keep
  // jest from exiting after the run, turning a failed suite into a CI timeout.
  const abandon = async (error: unknown): Promise<never> => {
    await tearDown('SIGKILL').catch(() => undefined);
    throw error;
  };
  await registerNamespace(temporal, namespace).catch(abandon);
  const configPath = join(workDir, `${basename(workDir)}.yaml`);
  const config = stackConfig({
    ...options,
    port,
    temporal,
    namespace,
    taskQueue: `test-${randomBytes(4).toString('hex')}`,
    databaseUrl: db.url,
    playbooksDir: testPlaybooksDir(),
    crowdstrike: crowdstrike.url,
    fortigate: fortigate.url,
  });
  const withChannels: Record<string, unknown> & typeof config = {
    ...config,
    ...(options.slack === undefined ? {} : { slack: { channels: {}, ...options.slack } }),
    ...(options.email === undefined
      ? {}
      : {
          email: {
            smtp: { host: options.email.host, port: options.email.port, secure: false },
            from: options.email.from ?? 'Interlock <interlock@example.test>',
          },
        }),
  };
  options.configure?.(withChannels);
  writeFileSync(configPath, stringify(withChannels));
  const output: string[] = [];
  const nodeOptions = options.nodeOptions ?? {};
  const timeoutMs = options.startTimeoutMs;
  const spawnWorker = () =>
    spawnInterlock('worker', configPath, /worker running/, output, nodeOptions.worker, timeoutMs);
  const spawnApi = () => spawnInterlock('api', configPath, /API listening/, output, nodeOptions.api, timeoutMs);
  worker = await spawnWorker().catch(abandon);
  api = await spawnApi().catch(abandon);
  const apiUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl,
    crowdstrike,
    fortigate,
    databaseUrl: db.url,
    configPath,
    webhook(source, body, headers = {}) {
      return fetch(`${apiUrl}/webhooks/${source}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS[source]}`, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    api(path, { method = 'GET', operator, body, apiKey } = {}) {
      const key = apiKey ?? (operator === undefined ? undefined : API_KEYS[operator]);
      return fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    pids() {
      return { api: api?.pid, worker: worker?.pid };
    },
    async killWorker() {
      await stopChild(worker, 'SIGKILL');
      worker = undefined;
    },
    async startWorker() {
      worker = await spawnWorker();
    },
    signalApi(signal) {
      if (api === undefined) throw new Error('the API is not running');
      const child = api;
      api = undefined;
      return signalChild(child, signal);
    },
    async startApi() {
      api = await spawnApi();
    },
    signalWorker(signal) {
      if (worker === undefined) throw new Error('the worker is not running');
      const child = worker;
      worker = undefined;
      return signalChild(child, signal);
    },
    async addProcess(mode) {
      let path = configPath;
      let url: string | undefined;
      if (mode === 'api') {
        const extraPort = await freePort();
        url = `http://127.0.0.1:${extraPort}`;
        path = join(workDir, `${basename(workDir)}-api-${added.length + 1}.yaml`);
        writeFileSync(
          path,
          stringify({ ...withChannels, server: { ...withChannels.server, port: extraPort, publicUrl: url } }),
        );
      }
      const spawnIt = () =>
        spawnInterlock(
          mode,
          path,
          mode === 'api' ? /API listening/ : /worker running/,
          output,
          nodeOptions[mode],
          timeoutMs,
        );
      let child: ChildProcess | undefined = await spawnIt();
      added.push(() => child);
      return {
        mode,
        url,
        pid: () => child?.pid,
        signal(signal) {
          if (child === undefined) throw new Error(`the added ${mode} is not running`);
          const running = child;
          child = undefined;
          return signalChild(running, signal);
        },
        async start() {
          child = await spawnIt();
        },
      };
    },
    output: () => output.join(''),
    async stop() {
      try {
        // Opt-in (npm run record:histories): save this stack's workflow histories while its worker still runs.
        const recordDir = process.env[RECORD_ENV];
        if (recordDir !== undefined && recordDir !== '')
          await recordHistories({ address: temporal, namespace, dir: recordDir, secrets: secretsIn(withChannels) });
      } finally {
        await tearDown('SIGTERM');
      }
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}
