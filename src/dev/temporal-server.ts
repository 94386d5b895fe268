import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findChildProcess, forgetPid, recordPid, stopRecordedProcess } from './stale-process';
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
  const pidFile = opts.dbFile !== undefined ? `${opts.dbFile}.server-pid` : undefined;
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
