import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import { createMaintenanceActivities } from '../activities/maintenance-activities';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import { startMetricsServer } from '../metrics';
import { collectHealth } from '../metrics/health';
import { createNotifier } from '../notifications';
import { checkHealth, probeRoutes, type Lifecycle } from '../runtime/health';
import { checkPlaybookConnectors } from '../playbooks/connector-check';
import { loadPlaybooks } from '../playbooks/loader';
import type { Playbook } from '../playbooks/schema';
import { BlastRadiusStore } from '../policy/blast-radius';
import { PolicyEngine } from '../policy/policy-engine';
import type { AesGcmPayloadCodec } from '../runtime/payload-codec';
import type { Services } from '../runtime/services';
import { ensureSearchAttributes } from '../runtime/search-attributes';
import { temporalDataConverter } from '../runtime/temporal-encryption';
import { type Tracing, workerTracing } from '../tracing';
import { Connectors } from '../../integrations';
import { ensureMaintenanceSchedules } from './maintenance-schedules';
import { workflowSource } from './workflow-bundle';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  /**
   * Stops polling, lets running activities finish within `worker.shutdownGraceTime` (then
   * cancels them: Temporal retries them on another worker, and the action ledger keeps a retry
   * from repeating a vendor change), then closes the probes and metrics port last.
   */
  shutdown(): Promise<void>;
}

/**
 * The playbooks this configuration can carry out: one whose step needs a connector that is not
 * configured, when the policy could run that step, is refused (not loaded) unless
 * `playbooks.missingConnector` is `warn`; each finding is logged naming the step.
 */
export function runnablePlaybooks(
  playbooks: Playbook[],
  config: InterlockConfig,
  policy: PolicyEngine,
  log: Pick<Logger, 'warn' | 'error'>,
): Playbook[] {
  const check = checkPlaybookConnectors(playbooks, config, policy);
  for (const finding of check.warnings) log.warn({ ...finding }, finding.message);
  if (config.playbooks.missingConnector === 'warn') {
    for (const finding of check.refused)
      log.warn(
        { ...finding },
        `${finding.message.replace(/: the playbook is not loaded$/, '')}: loaded anyway (playbooks.missingConnector: warn); the step will fail`,
      );
    return playbooks;
  }
  for (const finding of check.refused) log.error({ ...finding }, finding.message);
  return check.runnable;
}

/**
 * Where the workflow code comes from, with tracing's interceptors: the prebuilt bundle has the
 * workflow interceptors in it; bundling at startup adds them as interceptor modules.
 */
function workerOptionsFor(source: ReturnType<typeof workflowSource>, tracing: Tracing | undefined) {
  const { interceptors, sinks } = workerTracing(tracing);
  if ('workflowBundle' in source) return { workflowBundle: source.workflowBundle, interceptors, sinks };
  return {
    workflowsPath: source.workflowsPath,
    interceptors: { ...interceptors, workflowModules: source.workflowInterceptorModules },
    bundlerOptions: { preloadModules: source.preloadModules },
    sinks,
  };
}

/** Starts a Temporal worker that runs Interlock's workflows and activities. */
export async function startWorker(
  config: InterlockConfig,
  services: Services,
  log: Logger,
  codec: AesGcmPayloadCodec,
  lifecycle: Lifecycle,
  /** Started by the process when traces are configured (src/tracing). */
  tracing?: Tracing,
): Promise<RunningWorker> {
  const policy = new PolicyEngine(config);
  const playbooks = runnablePlaybooks(await loadPlaybooks(config.playbooks.dir), config, policy, log);
  log.info({ playbooks: playbooks.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // The API decides whether incidents carry search attributes; registering here too means
  // whichever process starts first has them in place (a refusal is logged, never fatal).
  if (config.temporal.searchAttributes) await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const connectors = new Connectors(config.integrations);
  const activities = createActivities({
    config,
    policy,
    audit: services.audit,
    approvals: services.approvals,
    ledger: services.ledger,
    playbooks: () => playbooks,
    enforcement: connectors,
    // Slack and/or email when configured; silent otherwise.
    notifier: createNotifier(config, services.pool),
    log,
    blastRadius: new BlastRadiusStore(services.pool, config.policy.blastRadius),
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      ...activities,
      ...createMaintenanceActivities({ config, pool: services.pool, audit: services.audit, log }),
    },
    dataConverter: temporalDataConverter(codec),
    shutdownGraceTime: config.worker.shutdownGraceTime,
    // Not the SDK's default (~60% of the V8 heap limit's worth of workflows, 2,000+ here): parked
    // incidents would hold the worker's memory; a bounded cache trades it for a replay.
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    ...workerOptionsFor(workflowSource(), tracing),
  });
  // Retention pruning and head anchoring run as Temporal Schedules, kept in step with the configuration.
  // Refused (e.g. a Temporal Cloud key without schedule rights): said loudly, but incidents still run.
  const scheduling = await Connection.connect({ address: config.temporal.address });
  try {
    await ensureMaintenanceSchedules(
      new Client({ connection: scheduling, namespace: config.temporal.namespace }),
      config,
      log,
    );
  } catch (error) {
    log.error(
      { err: error },
      'audit maintenance schedules could not be created or updated: retention pruning and anchoring do not run',
    );
  } finally {
    await scheduling.close();
  }
  const done = worker.run().finally(() => connection.close());
  // Outside workflow code: connectors' own periodic work (e.g. Defender for IoT maintenance
  // windows mirrored from config.maintenanceWindows), idempotent so every replica may run it.
  const background = connectors.startBackground({
    maintenanceWindows: config.maintenanceWindows,
    zones: config.zones,
    assets: config.assets,
    log,
  });
  // The worker's own metrics (actions, approval requests and votes, audit, notifications) and
  // its probes (GET /health/live, /health/ready) on metrics.workerPort.
  let metrics: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (config.metrics.workerPort !== undefined) {
    const check = () => checkHealth(services.pool, connection.workflowService);
    collectHealth(check);
    metrics = await startMetricsServer(config.metrics.workerPort, config.metrics.host, probeRoutes(check, lifecycle));
    log.info(
      { url: `http://${config.metrics.host}:${metrics.port}/metrics`, probes: ['/health/live', '/health/ready'] },
      'worker metrics listening',
    );
  }
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  return {
    worker,
    done,
    async shutdown() {
      lifecycle.startDraining();
      const started = Date.now();
      try {
        await Promise.all(background.map((task) => task.stop()));
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done;
        log.info({ ms: Date.now() - started }, 'worker drained: no task or activity in flight');
      } finally {
        await metrics?.close();
      }
    },
  };
}
