/**
 * Writes playbooks/playbook.schema.json from the zod playbook schema, so YAML editors
 * autocomplete playbooks. Run after changing src/playbooks/schema.ts:
 *
 *   node_modules/.bin/node scripts/gen-playbook-schema.ts
 *
 * test/playbooks/json-schema.test.ts fails while the committed file is stale. The file is
 * formatted with the repository's Prettier settings so `prettier --check` stays clean.
 *
 * Node 24 runs this file directly (type stripping), but our sources use extensionless
 * imports compiled to CommonJS by tsc/SWC, which Node cannot load as-is. So this script
 * is written as CommonJS with erasable types only, and registers a small synchronous
 * module hook that compiles the repository's .ts files with SWC (a devDependency) on load.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const nodeModule = require('node:module') as typeof import('node:module');
const fs = require('node:fs') as typeof import('node:fs');
const path = require('node:path') as typeof import('node:path');
const nodeUrl = require('node:url') as typeof import('node:url');
const swc = require('@swc/core') as typeof import('@swc/core');

nodeModule.registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (specifier.startsWith('.') && parent?.endsWith('.ts') && !/\.[cm]?[jt]s$/.test(specifier)) {
      const candidate = nodeUrl.fileURLToPath(new URL(`${specifier}.ts`, parent));
      if (fs.existsSync(candidate))
        return { url: nodeUrl.pathToFileURL(candidate).href, format: 'commonjs', shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) {
      return nextLoad(url, context);
    }
    const filename = nodeUrl.fileURLToPath(url);
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'commonjs' },
    });
    return { format: 'commonjs', source: code, shortCircuit: true };
  },
});

const prettier = require('prettier') as typeof import('prettier');
const { PLAYBOOK_JSON_SCHEMA_PATH, playbookJsonSchema } =
  require('../src/playbooks/json-schema') as typeof import('../src/playbooks/json-schema');

async function main(): Promise<void> {
  const target = path.join(__dirname, '..', PLAYBOOK_JSON_SCHEMA_PATH);
  const options = (await prettier.resolveConfig(target)) ?? {};
  const text = await prettier.format(JSON.stringify(playbookJsonSchema()), { ...options, filepath: target });
  fs.writeFileSync(target, text);
  console.log(`wrote ${target}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
