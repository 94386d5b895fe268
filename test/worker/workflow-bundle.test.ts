/**
 * What each workflow evaluates: the SDK's reusable V8 context gives each workflow its own module
 * cache, so a module not preloaded costs memory per cached workflow and time per replay of an
 * evicted one (docs/operations.md#worker-and-api-memory). The workflow code is preloaded
 * (evaluated once per worker and shared); zod, used at the boundaries, must not be bundled at all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';

jest.setTimeout(120_000);

let modules: string[] = [];
let preloaded = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-bundle-'));
  try {
    await writeWorkflowBundle(join(dir, 'workflow-bundle.js'));
    const code = readFileSync(join(dir, 'workflow-bundle.js'), 'utf8');
    // webpack's module table: one `/***/ "<path>":` entry per bundled module.
    modules = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1] ?? '');
    // The generated entrypoint's preloadModules(): what the reusable context evaluates once.
    preloaded = /preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
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

  it('preloads the workflow code, so cached and replayed workflows share its modules', () => {
    expect(preloaded).toMatch(/src\/workflows\/index\.(ts|js)/);
  });

  it('carries no zod: workflow code reads its vocabularies from zod-free modules', () => {
    expect(modules.filter((m) => m.includes('node_modules/zod/'))).toEqual([]);
  });
});
