/**
 * The one rule for text that comes from outside (webhook bodies, Slack payloads, operator
 * requests): every string is made storable and hashable before anything else reads it.
 *
 *   - a lone UTF-16 surrogate (from a JSON escape such as `\udc00`) becomes U+FFFD;
 *   - U+0000 (NUL) becomes U+FFFD.
 *
 * Both have no meaning in an alert, and neither can be kept as is: PostgreSQL's text and jsonb
 * refuse NUL, and RFC 8785 canonical JSON (the audit chain's hash input) refuses lone
 * surrogates. Every other character is kept. Object keys follow the same rule. The raw body's
 * SHA-256, taken over the bytes as received, is unchanged, so the original stays provable.
 *
 * Pure code without Node built-ins: workflow code may use it too.
 */

/** U+FFFD REPLACEMENT CHARACTER: what an unusable character becomes. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** A NUL, or a surrogate half not paired with its other half. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this rule replaces
const UNSAFE_CHARACTER = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * In JSON text, the only ways to spell NUL or a surrogate half are `\u` escapes (a raw NUL is
 * not valid JSON, and UTF-8 decoding has already turned invalid bytes into U+FFFD). Text
 * without such an escape needs no walk after parsing: the common case stays as fast as
 * JSON.parse.
 */
const UNSAFE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/** True when the string holds a character the rule replaces. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE_CHARACTER.lastIndex = 0;
  return UNSAFE_CHARACTER.test(text);
}

/** The string with NUL and lone surrogates replaced by U+FFFD (the same string when clean). */
export function repairText(text: string): string {
  return hasUnsafeCharacters(text) ? text.replace(UNSAFE_CHARACTER, REPLACEMENT_CHARACTER) : text;
}

/**
 * A deep copy of a JSON-like value whose strings and keys are repaired; clean values are
 * returned as they are (same references). Non-plain objects (Buffers, Dates) are left alone.
 */
export function repairStrings<T>(value: T): T {
  return repair(value, 0) as T;
}

/** Deeper than any body the intake accepts (json-depth.ts): a cycle guard, not a limit in use. */
const MAX_DEPTH = 1_000;

function repair(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return repairText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let copy: unknown[] | undefined;
    items.forEach((item, index) => {
      const repaired = repair(item, depth + 1);
      if (repaired !== item) (copy ??= [...items])[index] = repaired;
    });
    return copy ?? items;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const repairedKey = repairText(key);
    const repaired = repair(item, depth + 1);
    if (repairedKey !== key || repaired !== item) changed = true;
    return [repairedKey, repaired] as const;
  });
  if (!changed) return value;
  // fromEntries defines own properties (a "__proto__" key stays data). Two keys that repair to
  // the same text: the later one wins, as in JSON.parse.
  return Object.fromEntries(entries);
}

/** JSON.parse for text from outside: the parsed value with its strings and keys repaired. */
export function parseUntrustedJson(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return UNSAFE_ESCAPE.test(text) ? repairStrings(value) : value;
}
