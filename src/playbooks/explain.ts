/**
 * Why a playbook did or did not match an alert, for people: per trigger, the first filter that
 * failed — `sources`, `minSeverity`, or the `when` condition's first false conjunct (the
 * top-level `&&` parts, evaluated in order) — with the values of the alert and asset fields it
 * reads. Pure: used by the admission (recorded with the alert) and the dry run.
 */
import { severityId, type Alert } from '../alerts/alert';
import type { AlertAssets } from './alert-assets';
import { evaluateCondition, evaluateExpression, ExpressionError } from './expressions';
import { triggerVars } from './matcher';
import type { Playbook, PlaybookTrigger } from './schema';

export interface FailedFilter {
  filter: 'sources' | 'minSeverity' | 'when';
  /** The filter as written: the source list, the minimum severity, or the false conjunct. */
  condition: string;
  /** The fields the condition reads, with their values (`null`: absent). */
  values: Record<string, unknown>;
  /** Set when the condition could not be evaluated (a trigger that errors does not match). */
  error?: string;
}

export interface TriggerExplanation {
  trigger: number;
  matched: boolean;
  failed?: FailedFilter;
}

export interface PlaybookMatch {
  playbookId: string;
  matched: boolean;
  /** Every trigger when the playbook did not match; the matching one when it did. */
  triggers: TriggerExplanation[];
}

/** Splits a CEL expression at its top-level `&&` (outside brackets and string literals). */
export function topLevelConjuncts(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const ch = expression[i];
    if (quote !== undefined) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth += 1;
    else if (ch === ')' || ch === ']' || ch === '}') depth -= 1;
    else if (ch === '&' && expression[i + 1] === '&' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 2;
      i += 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/** Field paths from `alert` or `assets` a condition reads (method names excluded), in order. */
const FIELD_PATH = /\b(alert|assets)((?:\.\??[A-Za-z_]\w*(?![\w(])(?!\s*\()|\[\d+\])+)/g;

function withoutStringLiterals(expression: string): string {
  return expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

export function fieldPaths(expression: string): string[] {
  const paths: string[] = [];
  for (const match of withoutStringLiterals(expression).matchAll(FIELD_PATH)) {
    const path = `${match[1]}${match[2]}`.replace(/\.\?/g, '.');
    if (!paths.includes(path)) paths.push(path);
  }
  return paths.slice(0, 12);
}

const MAX_VALUE_CHARS = 300;

function boundedValue(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_VALUE_CHARS) return value;
  return `${text.slice(0, MAX_VALUE_CHARS)}…`;
}

function fieldValues(expression: string, vars: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const path of fieldPaths(expression)) {
    try {
      values[path] = boundedValue(evaluateExpression(path, vars));
    } catch {
      values[path] = null;
    }
  }
  return values;
}

function explainTrigger(
  index: number,
  trigger: PlaybookTrigger,
  vars: Record<string, unknown>,
  alert: Alert,
): TriggerExplanation {
  if (trigger.sources !== undefined && !trigger.sources.includes(alert.source.name))
    return {
      trigger: index,
      matched: false,
      failed: {
        filter: 'sources',
        condition: trigger.sources.join(', '),
        values: { 'alert.source.name': alert.source.name },
      },
    };
  if (trigger.minSeverity !== undefined && alert.severityId < severityId(trigger.minSeverity))
    return {
      trigger: index,
      matched: false,
      failed: { filter: 'minSeverity', condition: trigger.minSeverity, values: { 'alert.severity': alert.severity } },
    };
  if (trigger.when === undefined) return { trigger: index, matched: true };
  // The whole condition decides, exactly as the matcher does; its conjuncts only explain a miss.
  let whole: FailedFilter | undefined;
  try {
    if (evaluateCondition(trigger.when, vars)) return { trigger: index, matched: true };
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    whole = { filter: 'when', condition: trigger.when, values: fieldValues(trigger.when, vars), error: error.message };
  }
  for (const conjunct of topLevelConjuncts(trigger.when)) {
    try {
      if (evaluateCondition(conjunct, vars)) continue;
      return {
        trigger: index,
        matched: false,
        failed: { filter: 'when', condition: conjunct, values: fieldValues(conjunct, vars) },
      };
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      return {
        trigger: index,
        matched: false,
        failed: { filter: 'when', condition: conjunct, values: fieldValues(conjunct, vars), error: error.message },
      };
    }
  }
  return {
    trigger: index,
    matched: false,
    failed: whole ?? { filter: 'when', condition: trigger.when, values: fieldValues(trigger.when, vars) },
  };
}

/**
 * Explains one playbook's match; `matched` is always the matcher's verdict (matchTrigger).
 */
export function explainMatch(
  playbook: Pick<Playbook, 'id' | 'triggers'>,
  alert: Alert,
  assets?: AlertAssets,
): PlaybookMatch {
  const vars = triggerVars(alert, assets);
  const triggers: TriggerExplanation[] = [];
  for (const [index, trigger] of playbook.triggers.entries()) {
    const explanation = explainTrigger(index, trigger, vars, alert);
    if (explanation.matched) return { playbookId: playbook.id, matched: true, triggers: [explanation] };
    triggers.push(explanation);
  }
  return { playbookId: playbook.id, matched: false, triggers };
}
