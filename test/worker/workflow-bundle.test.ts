/**
 * What each workflow evaluates: the worker keeps every cached workflow in its own copy of the
 * bundle's modules (the SDK's reusable V8 context gives each workflow its own module cache), and
 * a workflow evicted from the cache evaluates them again when it is replayed. So the modules the
 * workflow code imports cost memory per cached workflow and time per replay
 * (docs/operations.md#worker-and-api-memory): zod, used at the boundaries, must not be one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';

jest.setTimeout(120_000);

let modules: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-bundle-'));
  try {
    await writeWorkflowBundle(join(dir, 'workflow-bundle.js'));
    const code = readFileSync(join(dir, 'workflow-bundle.js'), 'utf8');
    // webpack's module table: one `/***/ "<path>":` entry per bundled module.
    modules = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1] ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the production workflow bundle', () => {
  it('holds the workflow modules', () => {
    expect(
      modules.some(
        (m) => m.endsWith('workflows/playbook-run-workflow.ts') || m.endsWith('workflows/playbook-run-workflow.js'),
      ),
    ).toBe(true);
  });

  it('carries no zod: workflow code reads its vocabularies from zod-free modules', () => {
    expect(modules.filter((m) => m.includes('node_modules/zod/'))).toEqual([]);
  });
});
