import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { configSchema, type InterlockConfig } from './schema';

/** A configuration problem, worded for the operator who has to fix the file. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length > 0 ? `${message}:\n  - ${problems.join('\n  - ')}` : message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value of the parsed document.
 * Substitution happens after YAML parsing so an environment value can never change the
 * document's structure (a secret containing `: ` or `#` stays one string). Placeholders are
 * first swapped for inert tokens because `{ token: ${X} }` is not valid YAML as written.
 */
function substituteEnv(text: string, env: Env): { text: string; resolve: (value: string, path: string) => string } {
  const placeholders: { name: string; fallback: string | undefined }[] = [];
  const tokenized = text
    .split('\n')
    .map((line) => {
      const commentAt = line.search(/(^|\s)#/);
      const code = commentAt === -1 ? line : line.slice(0, commentAt);
      const comment = commentAt === -1 ? '' : line.slice(commentAt);
      const replaced = code.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
        placeholders.push({ name, fallback });
        return `__INTERLOCK_ENV_${placeholders.length - 1}__`;
      });
      return replaced + comment;
    })
    .join('\n');
  const resolve = (value: string, path: string): string =>
    value.replace(/__INTERLOCK_ENV_(\d+)__/g, (_m, index: string) => {
      const placeholder = placeholders[Number(index)];
      if (placeholder === undefined) return '';
      const fromEnv = env[placeholder.name];
      if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
      if (placeholder.fallback !== undefined) return placeholder.fallback;
      throw new ConfigError('Invalid configuration', [
        `${path}: environment variable ${placeholder.name} is not set (use \${${placeholder.name}:-default} for an optional value)`,
      ]);
    });
  return { text: tokenized, resolve };
}

function resolveTree(node: unknown, path: string[], resolve: (value: string, path: string) => string): unknown {
  if (typeof node === 'string') {
    const resolved = resolve(node, path.join('.') || '(root)');
    return resolved;
  }
  if (Array.isArray(node)) return node.map((item, i) => resolveTree(item, [...path, String(i)], resolve));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveTree(v, [...path, k], resolve)]));
  }
  return node;
}

/** Environment variables override connection settings (12-factor style deployments). */
function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const overrides: [string, string, string][] = [
    ['TEMPORAL_ADDRESS', 'temporal', 'address'],
    ['TEMPORAL_NAMESPACE', 'temporal', 'namespace'],
    ['TEMPORAL_TASK_QUEUE', 'temporal', 'taskQueue'],
    ['DATABASE_URL', 'database', 'url'],
    ['INTERLOCK_PORT', 'server', 'port'],
    ['INTERLOCK_HOST', 'server', 'host'],
    ['INTERLOCK_PUBLIC_URL', 'server', 'publicUrl'],
  ];
  const result = { ...raw };
  for (const [variable, section, key] of overrides) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const current = result[section];
    const sectionObject = current !== null && typeof current === 'object' ? (current as Record<string, unknown>) : {};
    result[section] = { ...sectionObject, [key]: value };
  }
  return result;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** Parses and validates configuration text. Throws ConfigError naming every bad key. */
export function parseConfig(text: string, env: Env = process.env, origin = 'configuration'): InterlockConfig {
  const { text: tokenized, resolve } = substituteEnv(text, env);
  const document = parseDocument(tokenized, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      `${origin} is not valid YAML`,
      document.errors.map((e) => e.message),
    );
  }
  const parsed: unknown = document.toJS();
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${origin} must be a YAML mapping`);
  }
  const resolved = resolveTree(parsed, [], resolve) as Record<string, unknown>;
  const result = configSchema.safeParse(applyEnvOverrides(resolved, env));
  if (!result.success) throw new ConfigError(`Invalid ${origin}`, formatIssues(result.error));
  return result.data;
}

/** Loads a configuration file; relative paths inside it are relative to the file. */
export function loadConfig(path: string, env: Env = process.env): InterlockConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `Cannot read configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const config = parseConfig(text, env, `configuration ${path}`);
  const playbooksDir = isAbsolute(config.playbooks.dir)
    ? config.playbooks.dir
    : resolve(dirname(path), config.playbooks.dir);
  return { ...config, playbooks: { ...config.playbooks, dir: playbooksDir } };
}
