/**
 * Playbook expressions: CEL (Common Expression Language) conditions and `{{ }}` templates.
 *
 * WORKFLOW-SAFE: imported by the Temporal interpreter workflow, so this module must stay
 * pure — no Node built-ins, no clock, no randomness, no I/O. It imports only the CEL
 * library (pure JS, no dependencies) and types.
 *
 * Variables available to every expression:
 * - `alert`    the normalized Alert (src/alerts/alert.ts)
 * - `incident` `{ id }`
 * - `steps`    results of earlier steps, keyed by step id (`steps["contain-host"]`)
 * - `assets`   triggers only: the alert's endpoints as the inventory knows them
 *              (`assets.dst.purdueLevel`, `assets.src.zone`, `assets.hosts[0].kind`; alert-assets.ts)
 *
 * Missing fields: reading an absent field (`alert.src.ip` when the alert has no `src`) is
 * an error, as CEL specifies. Guard with `has()` — `has(alert.src) && has(alert.src.ip)` —
 * or use optional chaining with a fallback — `alert.?src.?ip.orValue("")`,
 * `alert.hosts[0].?hostname.orValue(alert.hosts[0].ip)`. Note this CEL implementation only
 * accepts `has()` on a plain field path from a variable (`has(alert.src.ip)`), not after an
 * index (`has(alert.hosts[0].ip)`): use `.?` there, or `cel.bind(h, alert.hosts[0], has(h.ip))`.
 *
 * Numbers: integer-valued JS numbers are passed to CEL as `int`, so `alert.severityId >= 4`
 * and `size(alert.hosts) + 1` work; CEL ints come back as JS numbers.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { Alert } from '../alerts/alert';

/** The variables expressions see. `steps` holds the results of earlier steps by step id. */
export interface ExpressionVars {
  alert: Alert;
  incident: { id: string };
  steps: Record<string, unknown>;
}

/** A CEL expression or template failed to parse, type-check or evaluate. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    /** The CEL source (or template) that failed. */
    readonly expression: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type CompiledExpression = ReturnType<Environment['parse']>;

type CelModule = typeof import('@marcbachmann/cel-js');
let cel: { module: CelModule; environment: Environment } | undefined;

/**
 * The CEL library is loaded on first use, not on import: a Temporal workflow evaluates the
 * modules it imports afresh for every workflow execution, and CEL's standard library takes
 * tens of milliseconds of CPU to set up — a cost only code that evaluates expressions pays.
 */
function loadCel(): { module: CelModule; environment: Environment } {
  if (cel !== undefined) return cel;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy (see above)
  const module = require('@marcbachmann/cel-js') as CelModule;
  const environment = new module.Environment({
    // Playbook literals like ["a", 1] are harmless; requiring dyn() would only confuse authors.
    homogeneousAggregateLiterals: false,
    // `.?field` / `.orValue()` is the readable way to fall back on missing alert fields.
    enableOptionalTypes: true,
    // Playbook expressions are one-liners; anything bigger is a mistake or an attack.
    limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 },
  })
    .registerVariable('alert', 'map', { description: 'The normalized alert that triggered the playbook' })
    .registerVariable('incident', 'map', { description: 'The incident: { id }' })
    .registerVariable('steps', 'map', { description: 'Results of earlier steps, keyed by step id' })
    .registerVariable('assets', 'map', {
      description: "Triggers only: the alert's endpoints resolved against the inventory (src, dst, hosts, ips)",
    });
  cel = { module, environment };
  return cel;
}

/** Parsed programs by source; playbooks reuse a handful of expressions many times. */
const compiledCache = new Map<string, CompiledExpression>();
const MAX_CACHED = 1000;

/** One-line message: CEL's own messages append a multi-line source excerpt with a caret. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { summary, range } = error as Error & { summary?: unknown; range?: { start: number } };
  const text = typeof summary === 'string' ? summary : (error.message.split('\n', 1)[0] ?? error.message);
  return range ? `${text} (at column ${range.start + 1})` : text;
}

function compile(expr: string): CompiledExpression {
  const cached = compiledCache.get(expr);
  if (cached) return cached;
  let compiled: CompiledExpression;
  try {
    compiled = loadCel().environment.parse(expr);
  } catch (error) {
    throw new ExpressionError(`invalid expression "${expr}": ${describeError(error)}`, expr, {
      cause: error,
    });
  }
  // Bounded so a stream of distinct expressions (e.g. dry-runs via the API) cannot grow memory.
  if (compiledCache.size >= MAX_CACHED) compiledCache.clear();
  compiledCache.set(expr, compiled);
  return compiled;
}

/** JS → CEL: integer numbers become `int` (BigInt); undefined fields are dropped (absent). */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) out[key] = toCel(field);
    }
    return out;
  }
  return value;
}

/** CEL → JS: ints back to numbers (strings beyond 2^53, never silently rounded). */
function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  }
  if (cel !== undefined && value instanceof cel.module.Optional)
    return value.hasValue() ? fromCel(value.value()) : null;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) {
    return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), fromCel(v)]));
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function toContext(vars: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(vars)) context[name] = toCel(value);
  return context;
}

/** Evaluates one CEL expression and returns a plain JS value. Throws ExpressionError. */
export function evaluateExpression(expr: string, vars: Readonly<Record<string, unknown>>): unknown {
  const compiled = compile(expr);
  let result: unknown;
  try {
    result = compiled(toContext(vars));
  } catch (error) {
    throw new ExpressionError(`cannot evaluate "${expr}": ${describeError(error)}`, expr, {
      cause: error,
    });
  }
  // Async CEL functions could return a promise; none are registered, so this means a bug.
  if (result instanceof Promise) throw new ExpressionError(`expression "${expr}" is asynchronous`, expr);
  return fromCel(result);
}

/** Evaluates a condition (`when`, `if`). Anything but a boolean result is an ExpressionError. */
export function evaluateCondition(expr: string, vars: Readonly<Record<string, unknown>>): boolean {
  const result = evaluateExpression(expr, vars);
  if (typeof result !== 'boolean') {
    throw new ExpressionError(`condition "${expr}" must be a boolean, got ${describe(result)}`, expr);
  }
  return result;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

function typeCheck(expr: string): { error?: string; type?: string } {
  if (expr.trim() === '') return { error: 'expression is empty' };
  try {
    const result = loadCel().environment.check(expr);
    return result.valid ? { type: result.type } : { error: describeError(result.error ?? 'invalid expression') };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/**
 * Parses and type-checks a CEL expression without evaluating it (unknown variables, bad
 * syntax, impossible operators). Returns the error message, or undefined when valid.
 */
export function checkExpression(expr: string): string | undefined {
  return typeCheck(expr).error;
}

/** Like checkExpression, and also rejects expressions whose static type cannot be a boolean. */
export function checkCondition(expr: string): string | undefined {
  const { error, type } = typeCheck(expr);
  if (error !== undefined) return error;
  if (type !== undefined && type !== 'bool' && type !== 'dyn') {
    return `condition must be a boolean expression, but it returns ${type}`;
  }
  return undefined;
}

/** A template split into literal text and `{{ expr }}` placeholders. */
type TemplatePart = { text: string } | { expr: string };

const OPEN = '{{';
const CLOSE = '}}';

/**
 * Splits a template. Placeholders end at the first `}}` outside CEL string literals and
 * outside braces opened inside the placeholder, so `{{ {"a": {"b": 1}}.a }}` and
 * `{{ "}}" }}` work. There is no escape for a literal `{{`.
 */
function splitTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  while (cursor < template.length) {
    const open = template.indexOf(OPEN, cursor);
    if (open === -1) {
      parts.push({ text: template.slice(cursor) });
      break;
    }
    if (open > cursor) parts.push({ text: template.slice(cursor, open) });
    const close = findClose(template, open + OPEN.length);
    if (close === -1) {
      throw new ExpressionError(`unterminated "{{" at position ${open} in template "${template}"`, template);
    }
    const expr = template.slice(open + OPEN.length, close).trim();
    if (expr === '') throw new ExpressionError(`empty "{{ }}" in template "${template}"`, template);
    parts.push({ expr });
    cursor = close + CLOSE.length;
  }
  return parts;
}

function findClose(template: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < template.length) {
    const ch = template[i];
    if (ch === '"' || ch === "'") {
      i = skipString(template, i);
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0) return template.startsWith(CLOSE, i) ? i : -1;
      depth--;
    }
    i++;
  }
  return -1;
}

/** Returns the index after the string literal starting at `start` (single, double or triple quoted). */
function skipString(template: string, start: number): number {
  const quote = template[start] as string;
  const triple = quote.repeat(3);
  const delimiter = template.startsWith(triple, start) ? triple : quote;
  let i = start + delimiter.length;
  while (i < template.length) {
    if (template[i] === '\\') {
      i += 2;
      continue;
    }
    if (template.startsWith(delimiter, i)) return i + delimiter.length;
    i++;
  }
  return template.length;
}

/** True when the string contains a `{{` placeholder. */
export function isTemplate(value: string): boolean {
  return value.includes(OPEN);
}

/**
 * Renders a template.
 * - no `{{`: returned unchanged;
 * - exactly one placeholder spanning the whole string (`'{{ size(alert.hosts) }}'`): the raw
 *   value (number, boolean, string, list, map, null);
 * - otherwise: the interpolated string; each placeholder must yield a string, number or boolean.
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, unknown>>): unknown {
  if (!isTemplate(template)) return template;
  const parts = splitTemplate(template);
  const [only] = parts;
  if (parts.length === 1 && only !== undefined && 'expr' in only) return evaluateExpression(only.expr, vars);
  return parts
    .map((part) => {
      if ('text' in part) return part.text;
      const value = evaluateExpression(part.expr, vars);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        return String(value);
      }
      throw new ExpressionError(
        `"{{ ${part.expr} }}" in template "${template}" must yield a string, number or boolean, got ${describe(value)}`,
        template,
      );
    })
    .join('');
}

/** Renders a step target: the result must be a non-empty string (numbers are not targets). */
export function renderTarget(template: string, vars: Readonly<Record<string, unknown>>): string {
  const value = renderTemplate(template, vars);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ExpressionError(
      `target "${template}" must render to a non-empty string, got ${describe(value)}`,
      template,
    );
  }
  return value;
}

/** Renders step params; every value must end up a string, number or boolean. */
export function renderParams(
  params: Readonly<Record<string, string | number | boolean>>,
  vars: Readonly<Record<string, unknown>>,
): Record<string, string | number | boolean> {
  const rendered: Record<string, string | number | boolean> = {};
  for (const [key, raw] of Object.entries(params)) {
    const value = typeof raw === 'string' ? renderTemplate(raw, vars) : raw;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ExpressionError(
        `param "${key}" must render to a string, number or boolean, got ${describe(value)}`,
        String(raw),
      );
    }
    rendered[key] = value;
  }
  return rendered;
}

/**
 * Checks every placeholder of a template. Returns the first error message, or undefined.
 */
export function checkTemplate(template: string): string | undefined {
  if (!isTemplate(template)) return undefined;
  let parts: TemplatePart[];
  try {
    parts = splitTemplate(template);
  } catch (error) {
    return describeError(error);
  }
  for (const part of parts) {
    if (!('expr' in part)) continue;
    const error = checkExpression(part.expr);
    if (error !== undefined) return `in "{{ ${part.expr} }}": ${error}`;
  }
  return undefined;
}
