import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/activities';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import { createNotifier } from '../notifications';
import { loadPlaybooks } from '../playbooks/loader';
import { BlastRadiusStore } from '../policy/blast-radius';
import { PolicyEngine } from '../policy/policy-engine';
import type { AesGcmPayloadCodec } from '../runtime/payload-codec';
import type { Services } from '../runtime/services';
import { temporalDataConverter } from '../runtime/temporal-encryption';
import { Connectors } from '../../integrations';
import { workflowSource } from './workflow-bundle';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts a Temporal worker that runs Interlock's workflows and activities. */
export async function startWorker(
  config: InterlockConfig,
  services: Services,
  log: Logger,
  codec: AesGcmPayloadCodec,
): Promise<RunningWorker> {
  const playbooks = await loadPlaybooks(config.playbooks.dir);
  log.info({ playbooks: playbooks.map((p) => `${p.id}@${p.version}`) }, 'playbooks loaded');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const connectors = new Connectors(config.integrations);
  const activities = createActivities({
    config,
    policy: new PolicyEngine(config),
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
    ...workflowSource(),
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
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  return {
    worker,
    done,
    async shutdown() {
      await Promise.all(background.map((task) => task.stop()));
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
