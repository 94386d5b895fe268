/**
 * Opt-in recording of workflow histories from a real test stack, for the replay suite
 * (test/replay). With INTERLOCK_RECORD_HISTORIES=<dir>, `stack.stop()` saves the history of
 * every workflow run in the stack's own namespace, in a folder named by the test file;
 * scripts/record-histories.ts then picks a bounded selection and commits it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

/** What scripts/record-histories.ts reads: one run of one workflow, as recorded. */
export interface RecordedHistory {
  testFile: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The history in Temporal's JSON form (what `temporal workflow show -o json` writes). */
  history: { events: Record<string, unknown>[] };
}

export const RECORD_ENV = 'INTERLOCK_RECORD_HISTORIES';

/** Keys of the stack configuration whose values are credentials. */
const SECRET_KEY = /token|secret|password|apikey/i;

/** Every credential in a configuration object (test values, but they must not leak either). */
export function secretsIn(config: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'string') {
      if (SECRET_KEY.test(key) && value.length >= 8) found.push(value);
    } else if (Array.isArray(value)) {
      value.forEach((v) => walk(v, key));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(config);
  return found;
}

/** Every string in a JSON history, payload data (base64) decoded as well. */
export function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      parts.push(value, Buffer.from(value, 'base64').toString('utf8'));
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(walk);
    }
  };
  walk(history);
  return parts.join('\n');
}

/** A run whose last workflow task is still being scheduled or worked on is not settled yet. */
function inTask(history: History): boolean {
  const last = history.events?.at(-1)?.eventType;
  return last === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || last === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
}

/**
 * Saves every workflow run of `namespace` into `<dir>/<test file>/`. A run in the middle of a
 * workflow task is fetched again for a few seconds so it is saved settled, where possible.
 * Refuses to save a history that contains one of `secrets`.
 */
export async function recordHistories(options: {
  address: string;
  namespace: string;
  dir: string;
  secrets: string[];
}): Promise<number> {
  // Named by the jest test file that started the stack (the benchmark runs outside jest).
  const testPath = (typeof expect === 'undefined' ? undefined : expect.getState().testPath) ?? 'unknown';
  const testFile = basename(testPath).replace(/\.test\.ts$/, '');
  const outDir = join(options.dir, testFile, options.namespace);
  mkdirSync(outDir, { recursive: true });
  const connection = await Connection.connect({ address: options.address });
  try {
    const client = new Client({ connection, namespace: options.namespace });
    let count = 0;
    for await (const execution of client.workflow.list()) {
      const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
      let history = await handle.fetchHistory();
      for (let attempt = 0; attempt < 50 && inTask(history); attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        history = await handle.fetchHistory();
      }
      const json = JSON.parse(historyToJSON(history)) as RecordedHistory['history'];
      const text = historyText(json);
      const leaked = options.secrets.filter((secret) => text.includes(secret));
      if (leaked.length > 0)
        throw new Error(`history of ${execution.workflowId} contains ${leaked.length} credential(s) of the test stack`);
      const record: RecordedHistory = {
        testFile,
        workflowId: execution.workflowId,
        runId: execution.runId,
        workflowType: execution.type,
        history: json,
      };
      writeFileSync(join(outDir, `${execution.workflowId}.${execution.runId}.json`), JSON.stringify(record));
      count += 1;
    }
    return count;
  } finally {
    await connection.close();
  }
}
