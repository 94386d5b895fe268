/**
 * Loads playbooks from YAML files (Node side: fs and yaml; never import from workflow code).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isAlias, isCollection, isPair, LineCounter, parseDocument, type Document } from 'yaml';
import { formatPath, toPlaybookIssues, playbookSchema, type Playbook } from './schema';

/** Playbooks are short; anything larger is a mistake (or an attempt to exhaust memory). */
const MAX_FILE_BYTES = 256 * 1024;
const PLAYBOOK_FILE = /\.ya?ml$/i;
/**
 * Parser resource limits, far above any real playbook: alias expansions ("billion laughs";
 * the yaml library counts each alias weighted by the aliases inside its anchor) and nesting
 * depth of mappings and sequences.
 */
export const YAML_LIMITS = { maxAliasCount: 50, maxDepth: 64 } as const;

export interface PlaybookFileIssue {
  file: string;
  /** Dotted field path, e.g. "steps.1.action"; "(root)" for the whole document. */
  path: string;
  /** 1-based line in the file, when the path can be located. */
  line?: number;
  message: string;
}

/** One or more playbook files are invalid; `issues` names file, field path and line. */
export class PlaybookLoadError extends Error {
  override readonly name = 'PlaybookLoadError';
  constructor(readonly issues: PlaybookFileIssue[]) {
    super(`invalid playbook:\n${issues.map(formatIssue).join('\n')}`);
  }
}

function formatIssue(issue: PlaybookFileIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `  ${where}: ${issue.path}: ${issue.message}`;
}

/**
 * `limit` is true when the YAML exceeds a resource limit (YAML_LIMITS, or the parser ran out of
 * stack): the document was refused, not judged.
 */
export type PlaybookYamlResult =
  { ok: true; playbook: Playbook } | { ok: false; issues: PlaybookFileIssue[]; limit: boolean };

/** Parses and validates one playbook without throwing (for `POST /playbooks/validate`). */
export function checkPlaybookYaml(text: string, fileName = '<inline>'): PlaybookYamlResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // A repeated key silently overriding an earlier one (e.g. two `action:`) must be an error.
    uniqueKeys: true,
    // `<<` merge keys are one more way to multiply content; playbooks do not need them.
    merge: false,
  });
  const yamlIssue = (message: string, offset?: number): PlaybookFileIssue => ({
    file: fileName,
    path: '(yaml)',
    ...(offset === undefined ? {} : { line: lineCounter.linePos(offset).line }),
    message: message.split('\n', 1)[0] ?? message,
  });
  const yamlErrors = [...document.errors, ...document.warnings];
  if (yamlErrors.length > 0) {
    return {
      ok: false,
      issues: yamlErrors.map((error) => yamlIssue(error.message, error.pos[0])),
      // The parser turns a stack overflow on deep nesting into this error code.
      limit: yamlErrors.some((error) => error.code === 'RESOURCE_EXHAUSTION'),
    };
  }
  const tooDeep = deeperThan(document, YAML_LIMITS.maxDepth);
  if (tooDeep !== undefined)
    return {
      ok: false,
      issues: [yamlIssue(`nesting deeper than ${YAML_LIMITS.maxDepth} levels`, tooDeep)],
      limit: true,
    };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (error) {
    // The yaml library throws (ReferenceError) on an unresolved alias and on an alias bomb.
    const message = error instanceof Error ? error.message : String(error);
    const bomb = /excessive alias count/i.test(message);
    return {
      ok: false,
      issues: [
        yamlIssue(
          bomb ? `more alias expansions than the limit of ${YAML_LIMITS.maxAliasCount} (alias bomb?)` : message,
        ),
      ],
      limit: bomb,
    };
  }
  const result = playbookSchema.safeParse(value);
  if (result.success) return { ok: true, playbook: result.data };
  return {
    ok: false,
    issues: toPlaybookIssues(result.error.issues).map((issue) => ({
      file: fileName,
      path: issue.path,
      line: lineOf(document, lineCounter, issue.path),
      message: issue.message,
    })),
    limit: false,
  };
}

/** Offset of the first collection nested deeper than `max` (iterative: deep input must not overflow the stack). */
function deeperThan(document: Document, max: number): number | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: document.contents, depth: 0 }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const { node, depth } = entry;
    if (isPair(node)) {
      stack.push({ node: node.key, depth }, { node: node.value, depth });
      continue;
    }
    if (!isCollection(node) || isAlias(node)) continue;
    if (depth + 1 > max) return node.range?.[0] ?? 0;
    for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
  }
  return undefined;
}

/** Parses and validates one playbook; throws PlaybookLoadError naming file and field path. */
export function parsePlaybookYaml(text: string, fileName = '<inline>'): Playbook {
  const result = checkPlaybookYaml(text, fileName);
  if (!result.ok) throw new PlaybookLoadError(result.issues);
  return result.playbook;
}

/** Line of the deepest node on the path that exists in the document. */
function lineOf(document: Document, lineCounter: LineCounter, path: string): number | undefined {
  if (path === '(root)') return undefined;
  const segments: unknown[] = path.split('.').map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  for (let length = segments.length; length > 0; length--) {
    const node: unknown = document.getIn(segments.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

/**
 * Loads every *.yaml / *.yml file of `dir` (not recursive), in file-name order. All
 * problems across all files are reported together in one PlaybookLoadError, including
 * playbook ids used by more than one file.
 */
export async function loadPlaybooks(dir: string): Promise<Playbook[]> {
  return (await loadPlaybookFiles(dir)).map((file) => file.playbook);
}

/** A loaded playbook with the file it came from and that file's text (the console's YAML view). */
export interface PlaybookFile {
  playbook: Playbook;
  file: string;
  text: string;
}

/** loadPlaybooks, keeping each playbook's file name and text. */
export async function loadPlaybookFiles(dir: string): Promise<PlaybookFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && PLAYBOOK_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort();

  const playbooks: PlaybookFile[] = [];
  const issues: PlaybookFileIssue[] = [];
  const fileById = new Map<string, string>();
  for (const name of files) {
    const path = join(dir, name);
    const size = (await stat(path)).size;
    if (size > MAX_FILE_BYTES) {
      issues.push({ file: path, path: '(root)', message: `file is ${size} bytes; the limit is ${MAX_FILE_BYTES}` });
      continue;
    }
    const text = await readFile(path, 'utf8');
    const result = checkPlaybookYaml(text, path);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    const other = fileById.get(result.playbook.id);
    if (other !== undefined) {
      issues.push({
        file: path,
        path: formatPath(['id']),
        message: `duplicate playbook id "${result.playbook.id}" (also in ${basename(other)})`,
      });
      continue;
    }
    fileById.set(result.playbook.id, path);
    playbooks.push({ playbook: result.playbook, file: name, text });
  }
  if (issues.length > 0) throw new PlaybookLoadError(issues);
  return playbooks;
}
