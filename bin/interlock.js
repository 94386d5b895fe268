#!/usr/bin/env node
// The `interlock` command (package.json "bin"): runs the built entry, dist/src/cli/entry.js
// `npm run build` (or scripts/bootstrap.sh, which `npm run dev` and `npm test` run) builds dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'src', 'cli', 'entry.js');
if (!existsSync(entry)) {
  process.stderr.write(`interlock: ${entry} is missing: build it first with \`npm run build\`\n`);
  process.exitCode = 1;
} else {
  require(entry);
}
