import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from './api/create-app';
import { drainAndClose } from './api/shutdown';
import { runCli, type ServiceMode } from './cli/program';
import { ConfigError, loadConfig } from './config/load';
import type { InterlockConfig } from './config/schema';
import { runMigrations } from './db/migrate';
import { createPool } from './db/pool';
import { createLogger, type Logger } from './logging';
import { Lifecycle } from './runtime/health';
import { createServices } from './runtime/services';
import { payloadCodecFor, temporalDataConverter } from './runtime/temporal-encryption';
import type { Tracing } from './tracing';
import { tracingSettings } from './tracing/settings';
import { startMetricsServer } from './metrics';

const REPO_ROOT = resolve(__dirname, '..', '..');
type Stop = () => Promise<void>;
/** How to stop a running mode, and the most time stopping may take before the process exits 1. */
interface Running {
  stop: Stop;
  limitMs: number;
  limitKey: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function requireConnections(config: InterlockConfig, mode: string): void {
  const missing = [
    config.temporal.address === '' && 'temporal.address (TEMPORAL_ADDRESS)',
    config.database.url === '' && 'database.url (DATABASE_URL)',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new ConfigError(`${mode} mode needs ${missing.join(' and ')}; only dev mode embeds them`);
}

/** dev mode: fill empty connection settings with embedded servers kept under .interlock/. */
async function startEmbedded(config: InterlockConfig, log: Logger, stops: Stop[]): Promise<InterlockConfig> {
  const { superviseTemporalDevServer } = await import('./dev/temporal-server.js');
  const { embeddedPostgresDataDir, startEmbeddedPostgres } = await import('./dev/embedded-postgres.js');
  const stateDir = resolve(process.env['INTERLOCK_STATE_DIR'] ?? join(REPO_ROOT, '.interlock'));
  mkdirSync(stateDir, { recursive: true });
  let { address, uiUrl } = config.temporal;
  let { url } = config.database;
  if (address === '') {
    // Restarted on the same port with its store if the store stops answering (a known wedge).
    const server = await superviseTemporalDevServer({
      dbFile: join(stateDir, 'temporal.db'),
      uiPort: Number(nonEmpty(process.env['INTERLOCK_TEMPORAL_UI_PORT']) ?? 8233),
      namespace: config.temporal.namespace,
      log: (msg) => log.info(msg),
      warn: (msg) => log.warn(msg),
    });
    stops.push(() => server.shutdown());
    address = server.address;
    // Links to the embedded UI, and CORS for its calls to the codec endpoint.
    if (uiUrl === '' && server.uiUrl !== undefined) uiUrl = server.uiUrl;
    log.info({ address, ui: server.uiUrl }, 'embedded Temporal dev server started');
  }
  if (url === '') {
    const pg = await startEmbeddedPostgres({ dataDir: embeddedPostgresDataDir(stateDir), log: (msg) => log.info(msg) });
    stops.push(() => pg.stop());
    url = pg.url;
    log.info('embedded PostgreSQL started');
  }
  return { ...config, temporal: { ...config.temporal, address, uiUrl }, database: { ...config.database, url } };
}

/** The shutdown limit of a mode: the API drains first, then the worker stops (dev: both in turn). */
function shutdownLimit(config: InterlockConfig, mode: string): Pick<Running, 'limitMs' | 'limitKey'> {
  const api = { limitMs: config.server.shutdownTimeout, limitKey: 'server.shutdownTimeout' };
  const worker = { limitMs: config.worker.shutdownTimeout, limitKey: 'worker.shutdownTimeout' };
  if (mode === 'api') return api;
  if (mode === 'worker') return worker;
  return { limitMs: api.limitMs + worker.limitMs, limitKey: 'server.shutdownTimeout + worker.shutdownTimeout' };
}

async function run(mode: string): Promise<Running> {
  const log = createLogger(`interlock-${mode}`);
  const configPath =
    nonEmpty(process.env['INTERLOCK_CONFIG']) ??
    (mode === 'dev' ? join(REPO_ROOT, 'config', 'interlock.dev.yaml') : undefined);
  if (configPath === undefined)
    throw new ConfigError(
      'INTERLOCK_CONFIG is not set: name the configuration file (see config/interlock.example.yaml)',
    );
  let config = loadConfig(configPath);
  log.info({ configPath, mode }, 'configuration loaded');
  const stops: Stop[] = [];
  const stopAll: Stop = async () => {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => {
        log.error({ err: error }, 'error during shutdown');
        process.exitCode = 1;
      });
  };
  const running = (): Running => ({ stop: stopAll, ...shutdownLimit(config, mode) });
  // main() owns SIGTERM/SIGINT: the Temporal Runtime must not stop the worker on its own
  // before readiness fails, nor outside the shutdown limit.
  // Worker and dev-only modules load in their modes only: the API process stays without the
  // Temporal worker's native core, its bundler and the embedded servers (memory, docs/operations.md).
  if (mode === 'worker' || mode === 'dev')
    (await import('@temporalio/worker')).Runtime.install({ shutdownSignals: [] });
  const lifecycle = new Lifecycle();
  try {
    let tracing: Tracing | undefined;
    const traces = mode === 'migrate' ? undefined : tracingSettings(config);
    if (traces !== undefined) {
      // First: it patches node's http before any server or vendor client is made, and is
      // stopped last (stops run in reverse), flushing the spans of everything stopped before it.
      const { startTracing } = await import('./tracing/index.js');
      const started = startTracing(traces, { process: mode });
      tracing = started;
      stops.push(() => started.shutdown());
      log.info(
        {
          endpoint: traces.url === undefined ? 'OTEL_EXPORTER_OTLP_*' : new URL(traces.url).origin,
          sampleRatio: traces.sampleRatio,
        },
        'traces exported over OTLP',
      );
    } else if (config.telemetry.tracing !== undefined) {
      log.warn('telemetry.tracing is set without an otlpEndpoint (or OTEL_EXPORTER_OTLP_ENDPOINT): traces are off');
    }
    if (mode === 'dev') {
      config = await startEmbedded(config, log, stops);
      // The simulated lab is dev mode's alone: api and worker never start vendor stand-ins.
      if (process.env['INTERLOCK_LAB'] !== 'off') {
        const { startLab } = await import('./dev/lab/lab.js');
        const lab = await startLab(config, log);
        stops.push(() => lab.close());
      }
    }
    if (mode === 'migrate') {
      if (config.database.url === '') throw new ConfigError('database.url (DATABASE_URL) is required to migrate');
      const pool = createPool(config.database.url);
      await runMigrations(pool).finally(() => pool.end());
      log.info('migrations applied');
      return running();
    }
    requireConnections(config, mode);
    const codec = payloadCodecFor(config);
    if (codec.activeKeyId === undefined)
      log.warn('temporal.encryption.disabled: payloads are stored in clear in Temporal');
    else log.info({ activeKeyId: codec.activeKeyId }, 'Temporal payloads encrypted (AES-256-GCM)');
    const services = await createServices(config);
    stops.push(() => services.close());
    if (mode === 'worker' || mode === 'dev') {
      const { startWorker } = await import('./worker/worker.js');
      const worker = await startWorker(config, services, log, codec, lifecycle, tracing);
      stops.push(() => worker.shutdown());
      worker.done.catch((error: unknown) => {
        log.fatal({ err: error }, 'worker stopped with an error');
        process.exitCode = 1;
      });
    }
    if (mode === 'api' || mode === 'dev') {
      const connection = await Connection.connect({ address: config.temporal.address });
      stops.push(() => connection.close());
      const client = new Client({
        connection,
        namespace: config.temporal.namespace,
        dataConverter: temporalDataConverter(codec),
        ...(tracing === undefined ? {} : { interceptors: tracing.clientInterceptors }),
      });
      const app = await createApiApp({ config, temporal: client, services, log, lifecycle });
      await app.listen(config.server.port, config.server.host);
      stops.push(() => drainAndClose(app, lifecycle, log));
      log.info({ url: `http://${config.server.host}:${config.server.port}` }, 'API listening');
      if (config.metrics.port !== undefined) {
        const metrics = await startMetricsServer(config.metrics.port, config.metrics.host);
        stops.push(() => metrics.close());
        log.info({ url: `http://${config.metrics.host}:${metrics.port}/metrics` }, 'API metrics listening');
      }
    }
    return running();
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Runs a service mode ('api', 'worker', 'dev', 'migrate') until SIGINT/SIGTERM (migrate: once). */
export async function serve(mode: ServiceMode): Promise<void> {
  let running: Running;
  try {
    running = await run(mode);
  } catch (error) {
    process.stderr.write(`interlock ${mode}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (mode === 'migrate') {
    await running.stop();
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the drain.
      process.stderr.write(`interlock ${mode}: ${signal} received again, exiting now without finishing the drain\n`);
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    process.stderr.write(
      `interlock ${mode}: ${signal} received, draining (at most ${running.limitMs} ms, ${running.limitKey})\n`,
    );
    setTimeout(() => {
      process.stderr.write(
        `interlock ${mode}: SHUTDOWN LIMIT REACHED: still draining after ${running.limitMs} ms (${running.limitKey}); ` +
          'exiting 1: work still in flight may be retried by its sender or by Temporal\n',
      );
      process.exit(1);
    }, running.limitMs).unref();
    running.stop().then(
      () => {
        process.stderr.write(`interlock ${mode}: stopped in ${Date.now() - started} ms\n`);
        process.exit(process.exitCode ?? 0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

// One command tree (src/cli/program.ts): the service modes above and the operator commands.
// `interlock` (bin/interlock.js) enters through src/cli/entry.ts, which loads this file only to serve.
if (require.main === module) void runCli(process.argv.slice(2), serve);
