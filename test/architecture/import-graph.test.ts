/**
 * The layering of src/: no import circle between its top-level folders (type-only imports
 * count too — a circle of types still ties the folders together), and workflow code imports
 * only what the workflow sandbox can run deterministically.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports (`import type` included). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The top-level src/ folder of a file ('' for files directly in src/, e.g. main.ts). */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? (parts[0] as string) : '';
}

/** Folder → folders it imports from (relative imports that stay inside src/). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === '') continue;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const specifier of importsOf(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target + '.ts');
      if (to !== '' && to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every elementary circle's folders, found by depth-first search from each folder. */
function circles(graph: Map<string, Set<string>>): string[][] {
  const found = new Map<string, string[]>();
  const walk = (start: string, path: string[]) => {
    for (const next of graph.get(path.at(-1) as string) ?? []) {
      if (next === start) {
        const key = [...path].sort().join(',');
        if (!found.has(key)) found.set(key, [...path, start]);
      } else if (!path.includes(next) && next > start) {
        walk(start, [...path, next]);
      }
    }
  };
  for (const folder of [...graph.keys()].sort()) walk(folder, [folder]);
  return [...found.values()];
}

describe('src/ layering', () => {
  it('has no import circle between top-level folders', () => {
    expect(circles(folderGraph()).map((c) => c.join(' → '))).toEqual([]);
  });

  it('finds a circle when there is one (the check itself can fail)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(circles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('keeps workflow code and the pure code it shares free of Node built-ins, I/O packages and activity code', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const allowedPackages = ['@temporalio/workflow', '@temporalio/common'];
    const offending: string[] = [];
    const sandboxed = [
      ...sourceFiles(join(SRC, 'workflows')),
      ...sourceFiles(join(SRC, 'engine')),
      join(SRC, 'approvals/messages.ts'),
      join(SRC, 'approvals/validate-approval.ts'),
    ];
    expect(sandboxed.length).toBeGreaterThan(10);
    for (const file of sandboxed) {
      for (const specifier of importsOf(file)) {
        const where = `${relative(SRC, file)}: ${specifier}`;
        if (builtins.has(specifier)) offending.push(where);
        else if (!specifier.startsWith('.') && !allowedPackages.includes(specifier)) offending.push(where);
        else if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          // Workflows run in the sandbox: activity, worker, API and database code must not reach it.
          const io = ['activities', 'api', 'db', 'worker', 'runtime', 'dev', 'cli', 'notifications'];
          if (io.includes(folderOf(target + '.ts')) || target.endsWith('approval-store')) offending.push(where);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
