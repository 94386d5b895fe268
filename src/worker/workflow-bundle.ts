import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../runtime/temporal-encryption';
import { WORKFLOW_INTERCEPTORS_PATH } from '../tracing';

/** Where `npm run build` leaves the pre-bundled workflow code (dist/workflow-bundle.js). */
export const PREBUILT_BUNDLE = join(__dirname, '..', '..', 'workflow-bundle.js');
const WORKFLOWS_PATH = require.resolve('../workflows');
/** Bundled with the workflows: tracing (inert unless a workflow is started with a trace context). */
export const WORKFLOW_INTERCEPTOR_MODULES = [WORKFLOW_INTERCEPTORS_PATH];
/**
 * Evaluated once per worker, in the SDK's reusable V8 context, and shared by every workflow
 * (`preloadModules`): the workflow code and everything it imports (the step machine, the action
 * catalog, `@temporalio/workflow`'s own index). Without it, each cached workflow evaluates its own
 * copy of these modules (~60 KB of heap a run) and each replay of an evicted run evaluates them
 * again. Safe because these modules keep no per-workflow state at module scope: their top level
 * only defines functions, constants and activity proxies (which look up the running workflow
 * when called), and the SDK freezes what they export. The tracing interceptors stay per workflow
 * (they load OpenTelemetry lazily). docs/operations.md#worker-and-api-memory.
 */
export const PRELOADED_MODULES = [WORKFLOWS_PATH];

/**
 * Workflows are bundled once at build time so workers start in a fraction of a second;
 * without a prebuilt bundle (e.g. under ts-node) the worker bundles at startup.
 */
export function workflowSource():
  | { workflowBundle: { codePath: string } }
  | { workflowsPath: string; workflowInterceptorModules: string[]; preloadModules: string[] } {
  return existsSync(PREBUILT_BUNDLE)
    ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
    : {
        workflowsPath: WORKFLOWS_PATH,
        workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
        preloadModules: PRELOADED_MODULES,
      };
}

export async function writeWorkflowBundle(path = PREBUILT_BUNDLE): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    // The worker's failure converter runs in the sandbox too (see runtime/failure-converter.ts).
    failureConverterPath: FAILURE_CONVERTER_PATH,
    preloadModules: PRELOADED_MODULES,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  await writeFile(path, code);
}

if (require.main === module) {
  writeWorkflowBundle().then(
    () => process.stderr.write(`workflow bundle written to ${PREBUILT_BUNDLE}\n`),
    (error: unknown) => {
      process.stderr.write(`workflow bundling failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
