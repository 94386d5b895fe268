import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import { startMetricsServer } from '../metrics';
import { collectHealth } from '../metrics/health';
import { createNotifier } from '../notifications';
import { checkHealth } from '../runtime/health';
import { checkPlaybookConnectors } from '../playbooks/connector-check';
import { loadPlaybooks } from '../playbooks/loader';
import type { Playbook } from '../playbooks/schema';
import { BlastRadiusStore } from '../policy/blast-radius';
import { PolicyEngine } from '../policy/policy-engine';
import type { AesGcmPayloadCodec } from '../runtime/payload-codec';
import type { Services } from '../runtime/services';
import { temporalDataConverter } from '../runtime/temporal-encryption';
import { type Tracing, workerTracing } from '../tracing';
import { Connectors } from '../../integrations';
import { workflowSource } from './workflow-bundle';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
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
    sinks,
  };
}

/** Starts a Temporal worker that runs Interlock's workflows and activities. */
export async function startWorker(
  config: InterlockConfig,
  services: Services,
  log: Logger,
  codec: AesGcmPayloadCodec,
  /** Started by the process when traces are configured (src/tracing). */
  tracing?: Tracing,
): Promise<RunningWorker> {
  const policy = new PolicyEngine(config);
  const playbooks = runnablePlaybooks(await loadPlaybooks(config.playbooks.dir), config, policy, log);
  log.info({ playbooks: playbooks.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
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
    activities,
    dataConverter: temporalDataConverter(codec),
    ...workerOptionsFor(workflowSource(), tracing),
  });
  const done = worker.run().finally(() => connection.close());
  // Outside workflow code: connectors' own periodic work (e.g. Defender for IoT maintenance
  // windows mirrored from config.maintenanceWindows), idempotent so every replica may run it.
  const background = connectors.startBackground({
    maintenanceWindows: config.maintenanceWindows,
    zones: config.zones,
    assets: config.assets,
    log,
  });
  // The worker's own metrics (actions, approval requests and votes, audit, notifications) on metrics.workerPort.
  let metrics: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (config.metrics.workerPort !== undefined) {
    collectHealth(() => checkHealth(services.pool, connection.workflowService));
    metrics = await startMetricsServer(config.metrics.workerPort, config.metrics.host);
    log.info({ url: `http://${config.metrics.host}:${metrics.port}/metrics` }, 'worker metrics listening');
  }
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  return {
    worker,
    done,
    async shutdown() {
      await metrics?.close();
      await Promise.all(background.map((task) => task.stop()));
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
