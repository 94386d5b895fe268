/**
 * Records the workflow histories the replay suite (test/replay) replays: `npm run record:histories`.
 *
 * Runs end-to-end test files against the real stack (API and worker processes, the Temporal dev
 * server, PostgreSQL, vendor stubs) with INTERLOCK_RECORD_HISTORIES set, so each stack saves the
 * histories of its namespace when it stops (test/support/record-histories.ts). Then it keeps a
 * bounded selection: histories of runs that completed, continued as new or wait (e.g. on an
 * approval); per test file and workflow type, the fewest histories that together cover every
 * playbook, status, event type, activity, signal and update seen; none above a size cap, except
 * the smallest continued-as-new run if only larger ones exist. It replaces
 * test/replay/histories/ with them and a manifest.json index.
 *
 *   npm run record:histories                       # the default test files
 *   npm run record:histories -- test/e2e/break-glass.test.ts   # only these (others are kept)
 *
 * Options (environment): RECORD_MAX_PER_TYPE (default 10), RECORD_MAX_BYTES (default 300000);
 * RECORD_FROM=<dir> selects from an earlier recording's raw histories instead of running tests;
 * RECORD_KEEP_RAW=1 keeps this recording's raw histories (for RECORD_FROM).
 * A failing test file aborts the recording and leaves the committed histories untouched.
 *
 * Written as CommonJS with erasable types only, so Node 24 runs it directly.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const childProcess = require('node:child_process') as typeof import('node:child_process');
const fs = require('node:fs') as typeof import('node:fs');
const os = require('node:os') as typeof import('node:os');
const path = require('node:path') as typeof import('node:path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'test', 'replay', 'histories');
const MANIFEST = path.join(OUT, 'manifest.json');

/** Every shipped scenario: S1-S10, expiry, rejection, break-glass, rollback, the storm, a killed worker. */
const DEFAULT_FILES = [
  'test/e2e/scenarios.test.ts', // S1-S8, S10, saga rollback, blast radius
  'test/e2e/foundation.test.ts', // S1 (Splunk), S4, rejection, worker killed while an approval waits, SIS
  'test/e2e/approval-expiry.test.ts',
  'test/e2e/break-glass.test.ts',
  'test/e2e/s9-audit-store-down.test.ts', // S9
  'test/e2e/intake-storm.test.ts', // continue-as-new under a storm
  'test/e2e/intake-reopen.test.ts', // incidents that close, and reopen as a new run
  'test/e2e/policy-rules.test.ts',
  'test/e2e/hostile-text.test.ts', // quarantined alerts
  'test/e2e/slack.test.ts', // approvals from Slack, escalation reminders
  'test/e2e/audit-outage.test.ts', // audit writes retried across a PostgreSQL outage
  'test/e2e/enrichment.test.ts', // intel.lookup results gating the next step (steps.<id>.result)
];

const MAX_PER_TYPE = Number(process.env['RECORD_MAX_PER_TYPE'] ?? 10);
const MAX_BYTES = Number(process.env['RECORD_MAX_BYTES'] ?? 300_000);

type JsonObject = Record<string, unknown>;
interface Recorded {
  testFile: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  history: { events: JsonObject[] };
}
type Status = 'completed' | 'continued-as-new' | 'waiting';
interface Candidate extends Recorded {
  recordedAt: string;
  status: Status;
  text: string;
  bytes: number;
  features: Set<string>;
  playbook?: string;
  playbooks: string[];
  alert?: string;
}
interface ManifestEntry {
  file: string;
  scenario: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  status: Status;
  events: number;
  bytes: number;
  /** A playbook run's playbook. */
  playbook?: string;
  /** The playbooks an incident ran: as child runs or entirely within its admission. */
  playbooks?: string[];
  alert?: string;
  recordedAt: string;
  commit: string;
}

/** `EVENT_TYPE_WORKFLOW_TASK_STARTED` and `WorkflowTaskStarted` (the CLI's form) alike. */
function eventType(event: JsonObject): string {
  const type = String(event['eventType']);
  return type.startsWith('EVENT_TYPE_')
    ? type.slice('EVENT_TYPE_'.length)
    : type.replace(/(?<!^)([A-Z])/g, '_$1').toUpperCase();
}

function attributes(event: JsonObject): JsonObject {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  return (key === undefined ? {} : event[key]) as JsonObject;
}

function decodePayloads(payloads: unknown): unknown[] {
  const list = (payloads as { payloads?: { data?: string }[] } | undefined)?.payloads ?? [];
  return list.map((p) => {
    try {
      return JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  });
}

/** Why a history is not worth replaying, or its status. */
function classify(events: JsonObject[]): Status | { skip: string } {
  const types = events.map(eventType);
  const last = types.at(-1) ?? '';
  if (last === 'WORKFLOW_EXECUTION_COMPLETED') return 'completed';
  if (last === 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW') return 'continued-as-new';
  if (last.startsWith('WORKFLOW_EXECUTION_')) return { skip: last.toLowerCase() };
  // A failed workflow task at recording time is a bug to look at, not a history to keep.
  if (types.includes('WORKFLOW_TASK_FAILED')) return { skip: 'workflow task failed' };
  if (last === 'WORKFLOW_TASK_SCHEDULED' || last === 'WORKFLOW_TASK_STARTED') return { skip: 'in a workflow task' };
  return 'waiting';
}

/** What a history exercises: the selection keeps the fewest histories that cover all of it. */
function featuresOf(
  recorded: Recorded,
  status: Status,
): Pick<Candidate, 'features' | 'playbook' | 'playbooks' | 'alert'> {
  const features = new Set<string>([`status:${status}`]);
  let playbook: string | undefined;
  const playbooks = new Set<string>();
  let alert: string | undefined;
  for (const event of recorded.history.events) {
    const type = eventType(event);
    const attrs = attributes(event);
    features.add(`event:${type}`);
    if (type === 'WORKFLOW_EXECUTION_STARTED') {
      const [input] = decodePayloads(attrs['input']) as
        | [
            {
              playbook?: { id?: string };
              alert?: { title?: string };
              alerts?: { title?: string }[];
              deliveries?: { alert?: { title?: string } }[];
              carried?: unknown;
            },
          ]
        | [];
      playbook = input?.playbook?.id;
      alert = input?.alert?.title ?? input?.deliveries?.[0]?.alert?.title ?? input?.alerts?.[0]?.title;
      if (playbook !== undefined) features.add(`playbook:${playbook}`);
      if (input?.carried !== undefined) features.add('carried-over');
    }
    const named = (attrs['activityType'] ?? attrs['workflowType']) as { name?: string } | undefined;
    if (named?.name !== undefined) features.add(`${type}:${named.name}`);
    if (typeof attrs['signalName'] === 'string') features.add(`signal:${attrs['signalName']}`);
    if (typeof attrs['markerName'] === 'string') features.add(`marker:${attrs['markerName']}`);
    const update = (attrs['acceptedRequest'] as { input?: { name?: string; args?: unknown } } | undefined)?.input;
    if (update?.name !== undefined) {
      // An approval vote: approve or reject, and whether it was break-glass.
      const [vote] = decodePayloads(update.args) as [{ decision?: string; breakGlass?: unknown }] | [];
      features.add(
        `update:${update.name}:${vote?.decision ?? ''}${vote?.breakGlass === undefined ? '' : ':break-glass'}`,
      );
    }
    if (type === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED') {
      // Run workflow IDs are `<incident>.<playbook>`.
      const child = String(attrs['workflowId']).split('.').slice(1).join('.');
      features.add(`child:${child}`);
      playbooks.add(child);
    }
    if (type === 'WORKFLOW_EXECUTION_COMPLETED') {
      // A playbook run returns its step outcomes: executed, rejected, expired, refused, rolled back...
      const [outcomes] = decodePayloads(attrs['result']) as [unknown];
      if (Array.isArray(outcomes))
        for (const o of outcomes as { status?: string }[]) features.add(`outcome:${o.status ?? ''}`);
    }
    // Local activities are markers; their type is in the marker's data.
    if (attrs['markerName'] === 'core_local_activity') {
      const details = attrs['details'] as JsonObject | undefined;
      const [data] = decodePayloads(details?.['data']) as [{ activity_type?: string }] | [];
      if (typeof data?.activity_type === 'string') features.add(`local-activity:${data.activity_type}`);
      if (data?.activity_type === 'admitAlert') {
        // Playbooks the incident's admission started or carried out entirely.
        const [admission] = decodePayloads(details?.['result']) as
          [{ runs?: { playbook?: { id?: string }; outcomes?: unknown }[] }] | [];
        for (const run of admission?.runs ?? []) {
          features.add(`admitted:${run.playbook?.id ?? ''}${run.outcomes === undefined ? '' : ':done'}`);
          if (run.playbook?.id !== undefined) playbooks.add(run.playbook.id);
        }
      }
    }
  }
  if (alert === undefined) {
    // Incidents started by signal-with-start get their first alert as a signal.
    const signal = recorded.history.events.find((e) => eventType(e) === 'WORKFLOW_EXECUTION_SIGNALED');
    const [first] = signal === undefined ? [] : decodePayloads(attributes(signal)['input']);
    const title = Array.isArray(first)
      ? (first[0] as { alert?: { title?: string } } | undefined)?.alert?.title
      : (first as { title?: string } | undefined)?.title;
    if (typeof title === 'string') alert = title;
  }
  return {
    features,
    playbooks: [...playbooks].sort(),
    ...(playbook === undefined ? {} : { playbook }),
    ...(alert === undefined ? {} : { alert }),
  };
}

/** Greedy cover: repeatedly the candidate adding most new features (smaller first on ties). */
function select(candidates: Candidate[]): Candidate[] {
  const underCap = candidates.filter((c) => c.bytes <= MAX_BYTES);
  const chosen: Candidate[] = [];
  const covered = new Set<string>();
  const pool = [...underCap];
  // Keep a continued-as-new run even if every one is above the cap.
  if (!pool.some((c) => c.status === 'continued-as-new')) {
    const smallest = candidates.filter((c) => c.status === 'continued-as-new').sort((a, b) => a.bytes - b.bytes)[0];
    if (smallest !== undefined) pool.push(smallest);
  }
  while (chosen.length < MAX_PER_TYPE) {
    let best: Candidate | undefined;
    let bestGain = 0;
    for (const c of pool) {
      if (chosen.includes(c)) continue;
      const gain = [...c.features].filter((f) => !covered.has(f)).length;
      if (gain > bestGain || (gain === bestGain && gain > 0 && best !== undefined && c.bytes < best.bytes)) {
        best = c;
        bestGain = gain;
      }
    }
    if (best === undefined) break;
    chosen.push(best);
    best.features.forEach((f) => covered.add(f));
  }
  return chosen;
}

/** One event per line: compact, and a re-recording's diff stays readable. */
function formatHistory(history: Recorded['history']): string {
  return `{"events": [\n${history.events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}

function git(...args: string[]): string {
  return childProcess.execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

function main(): void {
  const started = Date.now();
  const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_FILES;
  const reuse = process.env['RECORD_FROM'];
  const rawDir = reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-histories-'));
  if (reuse === undefined) {
    console.log(`recording workflow histories of ${files.length} test file(s) into ${rawDir}`);
    const run = childProcess.spawnSync('npm', ['test', '--', ...files], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, INTERLOCK_RECORD_HISTORIES: rawDir },
    });
    if (run.status !== 0) {
      console.error(`the test run failed (exit ${run.status ?? run.signal}); committed histories left untouched`);
      process.exit(1);
    }
  }
  const testsDone = Date.now();

  const commit = git('rev-parse', 'HEAD') + (git('status', '--porcelain', '--', 'src').length > 0 ? '-dirty' : '');
  const scenarios = fs.readdirSync(rawDir);
  const byGroup = new Map<string, Candidate[]>();
  const skipped = new Map<string, number>();
  for (const scenario of scenarios) {
    for (const namespace of fs.readdirSync(path.join(rawDir, scenario))) {
      for (const name of fs.readdirSync(path.join(rawDir, scenario, namespace))) {
        const rawFile = path.join(rawDir, scenario, namespace, name);
        const text = fs.readFileSync(rawFile, 'utf8');
        const recorded = JSON.parse(text) as Recorded;
        const status = classify(recorded.history.events);
        if (typeof status !== 'string') {
          skipped.set(status.skip, (skipped.get(status.skip) ?? 0) + 1);
          continue;
        }
        const formatted = formatHistory(recorded.history);
        const key = `${scenario}/${recorded.workflowType}`;
        const group = byGroup.get(key) ?? [];
        group.push({
          ...recorded,
          recordedAt: fs.statSync(rawFile).mtime.toISOString(),
          status,
          text: formatted,
          bytes: Buffer.byteLength(formatted),
          ...featuresOf(recorded, status),
        });
        byGroup.set(key, group);
      }
    }
  }

  // Scenarios recorded now replace their old histories; the others stay as they were.
  const previous = fs.existsSync(MANIFEST) ? (JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as ManifestEntry[]) : [];
  const kept = previous.filter((entry) => !scenarios.includes(entry.scenario));
  for (const scenario of scenarios) fs.rmSync(path.join(OUT, scenario), { recursive: true, force: true });
  const entries: ManifestEntry[] = [...kept];
  for (const [key, group] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
    const [scenario = '', workflowType = ''] = key.split('/');
    // Same recording, same selection: candidates in a stable order.
    group.sort((a, b) => `${a.workflowId}/${a.runId}`.localeCompare(`${b.workflowId}/${b.runId}`));
    select(group).forEach((c, index) => {
      const file = `${scenario}/${workflowType}-${index + 1}.json`;
      fs.mkdirSync(path.join(OUT, scenario), { recursive: true });
      fs.writeFileSync(path.join(OUT, file), c.text);
      entries.push({
        file,
        scenario,
        workflowType,
        workflowId: c.workflowId,
        runId: c.runId,
        status: c.status,
        events: c.history.events.length,
        bytes: c.bytes,
        ...(c.playbook === undefined ? {} : { playbook: c.playbook }),
        ...(c.playbooks.length === 0 ? {} : { playbooks: c.playbooks }),
        ...(c.alert === undefined ? {} : { alert: c.alert }),
        recordedAt: c.recordedAt,
        commit,
      });
    });
  }
  entries.sort((a, b) => a.file.localeCompare(b.file, 'en', { numeric: true }));
  fs.writeFileSync(MANIFEST, `${JSON.stringify(entries, null, 2)}\n`);
  if (reuse === undefined && process.env['RECORD_KEEP_RAW'] === undefined)
    fs.rmSync(rawDir, { recursive: true, force: true });

  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const recordedCount = [...byGroup.values()].reduce((n, g) => n + g.length, 0);
  console.log(
    `recorded ${recordedCount} replayable histories (skipped: ${
      [...skipped].map(([why, n]) => `${n} ${why}`).join(', ') || 'none'
    }); committed ${entries.length} histories, ${(total / 1024).toFixed(0)} KiB, in ${OUT}`,
  );
  console.log(
    `tests ${((testsDone - started) / 1000).toFixed(0)} s, selection ${((Date.now() - testsDone) / 1000).toFixed(1)} s`,
  );
}

main();
