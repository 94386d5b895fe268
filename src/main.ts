import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from './api/create-app';
import { runPruneAudit } from './cli/prune-audit';
import { runVerifyExport } from './cli/verify-export';
import { ConfigError, loadConfig } from './config/load';
import type { InterlockConfig } from './config/schema';
import { runMigrations } from './db/migrate';
import { createPool } from './db/pool';
import { embeddedPostgresDataDir, startEmbeddedPostgres } from './dev/embedded-postgres';
import { startLab } from './dev/lab/lab';
import { startTemporalDevServer } from './dev/temporal-server';
import { createLogger, type Logger } from './logging';
import { createServices } from './runtime/services';
import { payloadCodecFor, temporalDataConverter } from './runtime/temporal-encryption';
import { startWorker } from './worker/worker';
import { startTracing, tracingSettings, type Tracing } from './tracing';
import { startMetricsServer } from './metrics';

const USAGE = `usage: interlock <api|worker|dev|migrate|prune-audit|verify-export>
  api      HTTP API (NestJS)                      needs temporal.address and database.url
  worker   Temporal worker (workflows, activities) needs temporal.address and database.url
  dev      API + worker in one process; starts a Temporal dev server and PostgreSQL
           when temporal.address / database.url are empty, and a simulated lab (EDR and
           firewall stand-ins) for integrations on loopback URLs (INTERLOCK_LAB=off: none)
  migrate  apply database migrations and exit
  prune-audit  remove audit records older than audit.retention (keeps a checkpoint); run as
           the schema owner, like migrate
  verify-export <file>  verify an incident audit export or evidence bundle offline
Configuration: the YAML file named by INTERLOCK_CONFIG (dev: config/interlock.dev.yaml).`;

const REPO_ROOT = resolve(__dirname, '..', '..');
type Stop = () => Promise<void>;

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
  const stateDir = resolve(process.env['INTERLOCK_STATE_DIR'] ?? join(REPO_ROOT, '.interlock'));
  mkdirSync(stateDir, { recursive: true });
  let { address, uiUrl } = config.temporal;
  let { url } = config.database;
  if (address === '') {
    const server = await startTemporalDevServer({
      dbFile: join(stateDir, 'temporal.db'),
      uiPort: Number(nonEmpty(process.env['INTERLOCK_TEMPORAL_UI_PORT']) ?? 8233),
      namespace: config.temporal.namespace,
      log: (msg) => log.info(msg),
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

async function run(mode: string): Promise<Stop> {
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
      await stop().catch((error: unknown) => log.error({ err: error }, 'error during shutdown'));
  };
  try {
    let tracing: Tracing | undefined;
    const traces = mode === 'migrate' || mode === 'prune-audit' ? undefined : tracingSettings(config);
    if (traces !== undefined) {
      // First: it patches node's http before any server or vendor client is made, and is
      // stopped last (stops run in reverse), flushing the spans of everything stopped before it.
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
        const lab = await startLab(config, log);
        stops.push(() => lab.close());
      }
    }
    if (mode === 'migrate') {
      if (config.database.url === '') throw new ConfigError('database.url (DATABASE_URL) is required to migrate');
      const pool = createPool(config.database.url);
      await runMigrations(pool).finally(() => pool.end());
      log.info('migrations applied');
      return stopAll;
    }
    if (mode === 'prune-audit') {
      const result = await runPruneAudit(config);
      log.info(
        { pruned: result.pruned, cutoff: result.cutoff, checkpoint: result.checkpoint },
        result.pruned > 0 ? 'audit records pruned' : 'no audit record older than the retention',
      );
      return stopAll;
    }
    requireConnections(config, mode);
    const codec = payloadCodecFor(config);
    if (codec.activeKeyId === undefined)
      log.warn('temporal.encryption.disabled: payloads are stored in clear in Temporal');
    else log.info({ activeKeyId: codec.activeKeyId }, 'Temporal payloads encrypted (AES-256-GCM)');
    const services = await createServices(config);
    stops.push(() => services.close());
    if (mode === 'worker' || mode === 'dev') {
      const worker = await startWorker(config, services, log, codec, tracing);
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
      const app = await createApiApp({ config, temporal: client, services, log });
      await app.listen(config.server.port, config.server.host);
      stops.push(() => app.close());
      log.info({ url: `http://${config.server.host}:${config.server.port}` }, 'API listening');
      if (config.metrics.port !== undefined) {
        const metrics = await startMetricsServer(config.metrics.port, config.metrics.host);
        stops.push(() => metrics.close());
        log.info({ url: `http://${config.metrics.host}:${metrics.port}/metrics` }, 'API metrics listening');
      }
    }
    return stopAll;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? '';
  if (mode === 'verify-export') {
    // Offline: no configuration, no database.
    process.exitCode = runVerifyExport(process.argv.slice(3));
    return;
  }
  if (!['api', 'worker', 'dev', 'migrate', 'prune-audit'].includes(mode)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  let stop: Stop;
  try {
    stop = await run(mode);
  } catch (error) {
    process.stderr.write(`interlock ${mode}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (mode === 'migrate' || mode === 'prune-audit') {
    await stop();
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`interlock ${mode}: ${signal} received, shutting down\n`);
    stop().then(
      () => process.exit(process.exitCode ?? 0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
