/** Deeper than any vendor's alert: refusing it keeps recursive validation off the stack's edge. */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a parsed JSON value, measured without recursion (a hostile body of
 * thousands of nested arrays must not overflow the stack here either). Stops counting past
 * `limit`.
 */
export function jsonDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}
