/**
 * The interpreter workflow calls the playbook expression, schema and matcher modules inside
 * Temporal's deterministic sandbox. bundleWorkflowCode fails on Node built-ins, and running
 * the bundle on a real (local dev) server proves CEL evaluates there too.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { AlertAssetResolver } from '../../src/playbooks/alert-assets';
import { exampleConfig } from '../support/example-config';
import type { expressionsProbeWorkflow } from './fixtures/expressions-workflow';
import { modbusWriteAlert } from './sample-alerts';

const WORKFLOWS_PATH = require.resolve('./fixtures/expressions-workflow');

/** The temporal CLI built by scripts/bootstrap.sh; else the SDK downloads one (needs internet). */
function localTemporalCli(): string | undefined {
  const candidates = [
    process.env['TEMPORAL_CLI_PATH'],
    join(process.env['INTERLOCK_CACHE'] || join(homedir(), '.cache', 'interlock'), 'bin', 'temporal'),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

jest.setTimeout(120_000);

let bundle: WorkflowBundleWithSourceMap;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  const cli = localTemporalCli();
  env = await TestWorkflowEnvironment.createLocal(
    cli ? { server: { executable: { type: 'existing-path', path: cli } } } : {},
  );
});

afterAll(async () => {
  await env?.teardown();
});

describe('playbook modules in a Temporal workflow', () => {
  it('bundle without Node built-ins', () => {
    expect(bundle.code).toContain('expressionsProbeWorkflow');
    // The CEL library made it into the bundle (not left as an external require).
    expect(bundle.code).toContain('no such overload');
  });

  it('evaluate a shipped playbook inside the sandbox', async () => {
    const { parse } = await import('yaml');
    const s4 = parse(
      readFileSync(join(__dirname, '..', '..', 'playbooks', 's4-modbus-write-it-to-plc.yaml'), 'utf8'),
    ) as Parameters<typeof expressionsProbeWorkflow>[0]['playbook'];
    const taskQueue = 'playbook-expressions-test';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof expressionsProbeWorkflow>('expressionsProbeWorkflow', {
        taskQueue,
        workflowId: 'playbook-expressions-probe',
        args: [
          {
            playbook: s4,
            alert: modbusWriteAlert,
            assets: new AlertAssetResolver(exampleConfig()).resolve(modbusWriteAlert),
            incidentId: 'inc-sandbox',
          },
        ],
      }),
    );
    expect(result).toEqual({
      matched: true,
      conditions: [true, true],
      targets: ['it-ws-17', '10.20.1.7'],
      params: [{ comment: 'Interlock incident inc-sandbox: Modbus write to 10.20.1.7' }, { ip: '10.10.4.17' }],
      hostCount: 2,
    });
  });
});
