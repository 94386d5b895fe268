import { createHash } from 'node:crypto';
import type { Alert } from '../alerts/alert';

/**
 * Correlation: alerts with the same key belong to the same incident. The default key is
 * source + rule + primary entity, so duplicate deliveries and alert storms about one host
 * join one incident, while the same rule firing on another host opens another.
 */

/** The primary entity: the alert's most relevant host, else its network target/origin, else a user. */
export function primaryEntity(alert: Alert): string {
  const host = alert.hosts[0];
  return host?.hostname?.toLowerCase() ?? host?.ip ?? alert.dst?.ip ?? alert.src?.ip ?? alert.users[0] ?? 'none';
}

/**
 * Builds the correlation key. Without `fields`: `<source>|<rule>|<entity>`, rule being the
 * rule uid, else rule name, else title. With `fields` (alert paths such as
 * ["source.name", "rule.name", "hosts.0.hostname"]): the values at those paths, in order;
 * a missing path contributes an empty value. Parts are JSON-encoded so no value can forge a
 * separator and make two different alerts collide.
 */
export function correlationKey(alert: Alert, fields?: readonly string[]): string {
  if (fields !== undefined && fields.length > 0) {
    return JSON.stringify(fields.map((path) => [path, keyPart(valueAtPath(alert, path))]));
  }
  const rule = alert.rule.uid ?? alert.rule.name ?? alert.title;
  return JSON.stringify([alert.source.name, rule, primaryEntity(alert)]);
}

/**
 * Whether a key built from `fields` reads the alert's time (the default key does not): copies
 * of an alert that takes its receipt time as its time then differ in their key.
 */
export function correlationReadsTime(fields?: readonly string[]): boolean {
  return fields !== undefined && fields.some((path) => path.split('.', 1)[0] === 'time');
}

/** Deterministic incident ID (also the Temporal workflow ID): `inc-` + 24 hex chars of sha256(key). */
export function incidentIdFor(key: string): string {
  return `inc-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** Reads a dotted path ("hosts.0.hostname") from the alert; undefined when any step is missing. */
export function valueAtPath(alert: Alert, path: string): unknown {
  let current: unknown = alert;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function keyPart(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
