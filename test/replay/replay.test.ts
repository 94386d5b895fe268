/**
 * Replay tests: every committed history of a real run (recorded from the end-to-end stack by
 * `npm run record:histories`) is replayed against the current workflow code, bundled the way
 * production bundles it. A workflow change that would break the incidents in flight — a
 * command added, removed or reordered without `patched()` — fails here, naming the history.
 * See docs/workflow-changes.md. (The SDK core logs a WARN line for each history the altered
 * fixtures fail on: those are expected.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import { historyText, secretsIn } from '../support/record-histories';
import { ENCRYPTION_KEY, stackConfig } from '../support/stack';

const HISTORIES = join(__dirname, 'histories');

interface ManifestEntry {
  file: string;
  scenario: string;
  workflowType: 'incidentWorkflow' | 'playbookRunWorkflow';
  workflowId: string;
  status: 'completed' | 'continued-as-new' | 'waiting';
  /** A playbook run's playbook. */
  playbook?: string;
  /** The playbooks an incident ran, as child runs or within its admission (S1, S3 need no child). */
  playbooks?: string[];
}

const manifest = JSON.parse(readFileSync(join(HISTORIES, 'manifest.json'), 'utf8')) as ManifestEntry[];
const historyJson = (entry: ManifestEntry) =>
  JSON.parse(readFileSync(join(HISTORIES, entry.file), 'utf8')) as { events: Record<string, unknown>[] };
const eventTypes = (entry: ManifestEntry) => historyJson(entry).events.map((e) => String(e['eventType']));

type Bundle = { codePath: string } | { code: string };

/**
 * Histories recorded from the test stack carry payloads encrypted with its key (older ones are in
 * clear and pass through the codec). Only the payload codec is needed to replay: the workflow code
 * must read its inputs, while failure messages do not decide which commands it issues.
 */
const REPLAY_DATA_CONVERTER = {
  payloadCodecs: [
    new AesGcmPayloadCodec(
      [{ id: ENCRYPTION_KEY.id, key: Buffer.from(ENCRYPTION_KEY.key, 'base64') }],
      ENCRYPTION_KEY.id,
    ),
  ],
};

/** Replays every committed history; one line per history that the code refuses. */
async function replayAll(workflowBundle: Bundle): Promise<{ replayed: number; refused: string[] }> {
  const histories = manifest.map((entry) => ({
    workflowId: entry.workflowId,
    history: historyFromJSON(historyJson(entry)),
  }));
  const refused: string[] = [];
  let replayed = 0;
  // One history at a time, in manifest order: the n-th result is the n-th file.
  for await (const result of Worker.runReplayHistories(
    { workflowBundle, replayName: 'interlock-replay', dataConverter: REPLAY_DATA_CONVERTER },
    histories,
  )) {
    const entry = manifest[replayed];
    replayed += 1;
    if (result.error !== undefined) {
      // Core's own words ("[TMPRL1100] Nondeterminism error: ...") say which event did not match.
      const why = /\[TMPRL\d+\][^"]*/.exec(result.error.message)?.[0] ?? result.error.message;
      refused.push(`${entry?.file ?? '?'}: ${result.error.name}: ${why}`);
    }
  }
  return { replayed, refused };
}

/** Bundles a test-only workflows module (the bundler follows relative imports into src/). */
async function bundleOf(workflowsPath: string): Promise<Bundle> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return { code };
}

let workDir: string;
let current: Bundle;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'interlock-replay-'));
  // The production bundler (what `npm run build` writes to dist/workflow-bundle.js), from the current source.
  const codePath = join(workDir, 'workflow-bundle.js');
  await writeWorkflowBundle(codePath);
  current = { codePath };
}, 120_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('committed histories', () => {
  it('are all indexed in manifest.json', () => {
    const files = readdirSync(HISTORIES, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
      .sort();
    expect(manifest.map((e) => e.file).sort()).toEqual(files);
  });

  it('cover every shipped scenario (S1-S10, expiry, rejection, break-glass, rollback, storm, killed worker)', () => {
    const scenarios = new Set(manifest.map((e) => e.scenario));
    for (const scenario of [
      'scenarios', // S1-S8, S10, saga rollback, blast radius
      'foundation', // S1 from Splunk, S4, rejection, worker killed while an approval waits
      'approval-expiry',
      'break-glass',
      's9-audit-store-down', // S9
      'intake-storm',
      'enrichment', // an intel.lookup result (steps.<id>.result) gating containment
    ])
      expect(scenarios).toContain(scenario);
    const playbooks = new Set(manifest.flatMap((e) => [e.playbook, ...(e.playbooks ?? [])]));
    for (const playbook of [
      's1-ransomware-office-laptop',
      's2-unauthorized-plc-programming',
      's3-new-device-level2',
      's4-modbus-write-it-to-plc',
      's5-plc-stop-command',
      's6-traffic-to-sis',
      's7-unknown-ip-target',
      't-saga-rollback',
      't-quarantine-host',
    ])
      expect(playbooks).toContain(playbook);
    const runs = manifest.filter((e) => e.workflowType === 'playbookRunWorkflow');
    const incidents = manifest.filter((e) => e.workflowType === 'incidentWorkflow');
    // The storm's incident continued as new; a later run of it picked up the carried state.
    expect(incidents.filter((e) => e.scenario === 'intake-storm').map((e) => e.status)).toContain('continued-as-new');
    // An incident that closed (reopen), runs waiting on an approval, runs that completed.
    expect(incidents.map((e) => e.status)).toContain('completed');
    expect(runs.map((e) => e.status)).toEqual(expect.arrayContaining(['completed', 'waiting']));
    // The approval was decided by Update; the worker was killed while it waited (its task timed out).
    const foundationRuns = runs.filter((e) => e.scenario === 'foundation').map(eventTypes);
    expect(foundationRuns.some((t) => t.includes('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT'))).toBe(true);
    expect(foundationRuns.some((t) => t.includes('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED'))).toBe(true);
    // Expiry: the approval's timer fired.
    const expiry = runs.filter((e) => e.scenario === 'approval-expiry').map(eventTypes);
    expect(expiry.some((t) => t.includes('EVENT_TYPE_TIMER_FIRED'))).toBe(true);
  });

  it('hold no credential of the test stacks', () => {
    const credentials = secretsIn(
      stackConfig({
        port: 0,
        temporal: '',
        namespace: '',
        taskQueue: '',
        databaseUrl: '',
        playbooksDir: '',
        crowdstrike: '',
        fortigate: '',
      }),
    );
    expect(credentials.length).toBeGreaterThan(4);
    // Decoded payloads never carry a value under a credential's name either.
    const credentialField = /"(?:[a-z]*token|[a-z]*secret|password|apikey|authorization)"\s*:\s*"[^"]/i;
    const leaks = manifest.flatMap((entry) => {
      const text = historyText(historyJson(entry));
      return [
        ...credentials.filter((c) => text.includes(c)).map(() => `${entry.file}: a stack credential`),
        ...(credentialField.test(text) ? [`${entry.file}: ${credentialField.exec(text)?.[0] ?? ''}`] : []),
      ];
    });
    expect(leaks).toEqual([]);
  });
});

describe('replay', () => {
  it('replays every committed history against the current workflow code without non-determinism', async () => {
    const { replayed, refused } = await replayAll(current);
    expect(refused).toEqual([]);
    expect(replayed).toBe(manifest.length);
    expect(replayed).toBeGreaterThan(20);
  }, 120_000);

  it('refuses every history when the workflow code changes without a patch', async () => {
    const changed = await bundleOf(require.resolve('./fixtures/unpatched-change-workflows'));
    const { replayed, refused } = await replayAll(changed);
    expect(replayed).toBe(manifest.length);
    // Each history is refused for non-determinism, not for any other replay error.
    expect(refused).toHaveLength(manifest.length);
    for (const line of refused) expect(line).toMatch(/: DeterminismViolationError: /);
  }, 120_000);

  it('accepts the same change made behind patched(), as docs/workflow-changes.md says', async () => {
    const patched = await bundleOf(require.resolve('./fixtures/patched-change-workflows'));
    const { replayed, refused } = await replayAll(patched);
    expect(refused).toEqual([]);
    expect(replayed).toBe(manifest.length);
  }, 120_000);
});
