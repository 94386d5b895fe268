import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findChildProcess, forgetPid, recordPid, stopRecordedProcess } from './stale-process';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';

type DevServerSearchAttributes = NonNullable<
  NonNullable<LocalTestWorkflowEnvironmentOptions['server']>['searchAttributes']
>;

/** Where scripts/bootstrap.sh builds the temporal CLI (kept outside the checkout so clean clones reuse it). */
export function temporalCliCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env['INTERLOCK_CACHE'] || join(homedir(), '.cache', 'interlock');
  return join(cacheRoot, 'bin', 'temporal');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The temporal CLI to run the dev server with: TEMPORAL_CLI_PATH, then the bootstrap cache,
 * then `temporal` on PATH. Undefined when none is found (the SDK then downloads its own).
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env['TEMPORAL_CLI_PATH'];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return explicit;
  }
  const cached = temporalCliCachePath(env);
  if (isExecutable(cached)) return cached;
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Where a dev server with a SQLite file records its process id (a crashed run's server is found there). */
function serverPidFile(dbFile: string): string {
  return `${dbFile}.server-pid`;
}

export interface TemporalDevServerOptions {
  /** SQLite file to persist workflows across restarts; in-memory when omitted. */
  dbFile?: string;
  /** gRPC port on 127.0.0.1; a free port when omitted. */
  port?: number;
  /** Web UI port; the UI is off when omitted. */
  uiPort?: number;
  /** Namespace created at startup (default "default"). */
  namespace?: string;
  /** Custom search attributes to register at startup. */
  searchAttributes?: DevServerSearchAttributes;
  log?: (msg: string) => void;
}

export interface TemporalDevServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  /** Web UI URL when a uiPort was given. */
  uiUrl?: string;
  shutdown(): Promise<void>;
}

// The dev server's SQLite store uses a single connection; these pragmas are what the SDK's own CI uses for speed.
const SQLITE_SPEED_ARGS = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'];

/**
 * Starts a Temporal dev server through the SDK's ephemeral-server support, using a locally
 * available temporal CLI (offline machines) or else the SDK's cached download (needs internet).
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const log = opts.log ?? (() => undefined);
  const namespace = opts.namespace ?? 'default';
  const cli = findTemporalCli();
  if (cli) {
    log(`starting Temporal dev server with ${cli}`);
  } else {
    log('no temporal CLI found (TEMPORAL_CLI_PATH, bootstrap cache, PATH): the Temporal SDK will download one');
  }
  // A server orphaned by a crashed previous run would hold the SQLite file and the UI port.
  const pidFile = opts.dbFile !== undefined ? serverPidFile(opts.dbFile) : undefined;
  const serverMarkers = ['start-dev', opts.dbFile ?? ''];
  if (pidFile) {
    const stale = await stopRecordedProcess(pidFile, serverMarkers);
    if (stale !== undefined) log(`stopped a Temporal dev server left running by a previous process (pid ${stale})`);
  }
  let testEnv: TestWorkflowEnvironment;
  try {
    testEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        ip: '127.0.0.1',
        namespace,
        ...(opts.port !== undefined && { port: opts.port }),
        ...(opts.dbFile !== undefined && { dbFilename: opts.dbFile }),
        ...(opts.uiPort !== undefined && { ui: true, uiPort: opts.uiPort }),
        ...(opts.searchAttributes !== undefined && { searchAttributes: opts.searchAttributes }),
        extraArgs: SQLITE_SPEED_ARGS,
      },
    });
  } catch (err) {
    const hint = cli
      ? `the temporal CLI at ${cli} failed to start`
      : 'no temporal CLI was found and the SDK could not download one: run `bash scripts/bootstrap.sh` (builds it with Go) or set TEMPORAL_CLI_PATH';
    throw new Error(`Temporal dev server did not start: ${hint}`, { cause: err });
  }
  log(`Temporal dev server listening on ${testEnv.address} (namespace ${namespace})`);
  const serverPid = pidFile ? findChildProcess(serverMarkers) : undefined;
  if (pidFile && serverPid !== undefined) await recordPid(pidFile, serverPid);
  let stopped: Promise<void> | undefined;
  return {
    address: testEnv.address,
    namespace,
    ...(opts.uiPort !== undefined && { uiUrl: `http://127.0.0.1:${opts.uiPort}` }),
    shutdown: () =>
      (stopped ??= testEnv.teardown().then(async () => {
        if (pidFile) await forgetPid(pidFile);
      })),
  };
}

export interface WatchdogOptions {
  /** How often the watchdog reads the store (default 2 s). */
  probeEveryMs?: number;
  /** A read that has no answer after this long has failed (default 10 s). */
  probeTimeoutMs?: number;
  /** Failed reads in a row that make the watchdog restart the server (default 3). */
  failuresBeforeRestart?: number;
  /** Where the watchdog reports a restart (default: `log`). */
  warn?: (msg: string) => void;
}

export interface SupervisedTemporalDevServer extends TemporalDevServer {
  /** How many times the watchdog has restarted the server. */
  restarts(): number;
  /** The server's process id now, when known. */
  pid(): number | undefined;
}

/**
 * A dev server kept serving: a watchdog reads its store every few seconds (ListNamespaces goes
 * to SQLite) and, after a few failed reads in a row, restarts it on the same port with the same
 * SQLite file, so namespaces and workflows survive and clients and workers reconnect as after
 * an outage.
 *
 * Why: the dev server's store is SQLite through a single connection, and under load that
 * connection can wedge, failing every later call with "interrupted (9)" until the process
 * restarts (it failed ten suites of one CI run, 2026-12-02). The SQLite driver interrupts the
 * connection when a call's context is cancelled, and since SQLite 3.41 an interrupt stays in
 * force while any statement is active.
 */
export async function superviseTemporalDevServer(
  opts: TemporalDevServerOptions & WatchdogOptions & { dbFile: string },
): Promise<SupervisedTemporalDevServer> {
  const probeEveryMs = opts.probeEveryMs ?? 2_000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 10_000;
  const failuresBeforeRestart = opts.failuresBeforeRestart ?? 3;
  const log = opts.log ?? (() => undefined);
  const warn = opts.warn ?? log;
  // The SDK gives a server 5 s to answer; a cold or busy machine can need another try.
  const start = async (port: number | undefined): Promise<TemporalDevServer> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await startTemporalDevServer({ ...opts, ...(port !== undefined && { port }) });
      } catch (error) {
        if (attempt === 3) throw error;
        warn(`Temporal dev server did not start (attempt ${attempt}): ${errorLine(error)}`);
      }
    }
  };
  let server = await start(opts.port);
  const port = Number(server.address.slice(server.address.lastIndexOf(':') + 1));
  // No retry interceptor: a failed read should count at once, not be retried for a minute.
  const connection = await Connection.connect({ address: server.address, interceptors: [] });

  let failures = 0;
  let restarts = 0;
  let probing: Promise<void> | undefined;
  let stopped = false;
  const restart = async (reason: string) => {
    warn(`Temporal dev server not answering (${reason}); restarting it on port ${port} with its store`);
    await server
      .shutdown()
      .catch((error: unknown) => warn(`stopping the Temporal dev server failed: ${errorLine(error)}`));
    server = await start(port);
    restarts += 1;
    failures = 0;
    warn(`Temporal dev server restarted (${restarts} so far)`);
  };
  const probe = async () => {
    try {
      await connection.withDeadline(Date.now() + probeTimeoutMs, () =>
        connection.workflowService.listNamespaces({ pageSize: 1 }),
      );
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures >= failuresBeforeRestart && !stopped)
        await restart(errorLine(error)).catch((restartError: unknown) =>
          warn(`restarting the Temporal dev server failed, trying again at the next read: ${errorLine(restartError)}`),
        );
    }
  };
  const timer = setInterval(() => {
    probing ??= probe().finally(() => (probing = undefined));
  }, probeEveryMs);
  timer.unref();

  let stopping: Promise<void> | undefined;
  return {
    address: server.address,
    namespace: server.namespace,
    ...(server.uiUrl !== undefined && { uiUrl: server.uiUrl }),
    restarts: () => restarts,
    pid() {
      try {
        return Number(readFileSync(serverPidFile(opts.dbFile), 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    shutdown: () =>
      (stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await probing;
        await connection.close();
        await server.shutdown();
      })()),
  };
}

function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
