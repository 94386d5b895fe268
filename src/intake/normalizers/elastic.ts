/**
 * Kibana webhook connector. The body is the user's own Mustache template; the usual one is
 *   { rule?: "<rule name>", alerts: [<alert document>, …] }
 * and one POST may carry many alerts (one Interlock alert each). Documents are ECS plus
 * `kibana.alert.*`; the detection rule is `kibana.alert.rule.*`. Fields may arrive nested
 * ({"kibana":{"alert":{…}}}) or flattened ({"kibana.alert.uuid": …}): both are read.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import {
  endpoint,
  fallbackUid,
  finishAlert,
  parseBody,
  severityFromWord,
  toIsoUtc,
  vendorTimeString,
  type NormalizeContext,
} from './common';

export const PRODUCT = 'Elastic Security';

const stringOrList = z.union([z.string(), z.array(z.string())]);
const ecsEndpoint = z.object({
  ip: stringOrList.optional(),
  domain: z.string().optional(),
  address: z.string().optional(),
});

const alertDocument = z.object({
  '@timestamp': vendorTimeString.optional(),
  kibana: z.object({
    alert: z.object({
      uuid: z.string().min(1).optional(),
      severity: z.string().optional(),
      risk_score: z.number().optional(),
      reason: z.string().optional(),
      original_time: vendorTimeString.optional(),
      rule: z
        .object({
          name: z.string().optional(),
          uuid: z.string().optional(),
          rule_id: z.string().optional(),
        })
        .optional(),
    }),
  }),
  host: z
    .object({ name: z.string().optional(), hostname: z.string().optional(), ip: stringOrList.optional() })
    .optional(),
  source: ecsEndpoint.optional(),
  destination: ecsEndpoint.optional(),
  user: z
    .object({ name: stringOrList.optional(), target: z.object({ name: stringOrList.optional() }).optional() })
    .optional(),
});

export const bodySchema = z.preprocess(
  expandDottedKeys,
  z.object({
    rule: z.union([z.string(), z.object({ name: z.string().optional() })]).optional(),
    alerts: z.array(alertDocument).min(1, 'expected at least one alert'),
  }),
);

export type ElasticWebhookBody = z.input<typeof bodySchema>;

const SEVERITY_WORDS: Record<string, Severity> = { low: 'low', medium: 'medium', high: 'high', critical: 'critical' };

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  const bodyRuleName = typeof b.rule === 'string' ? b.rule : b.rule?.name;
  const many = b.alerts.length > 1;

  return b.alerts.map((doc, index) => {
    const k = doc.kibana.alert;
    const ruleName = k.rule?.name ?? bodyRuleName;
    const hostIps = list(doc.host?.ip);
    return finishAlert(
      {
        uid: k.uuid ?? fallbackUid(ctx, many ? index : undefined),
        time: toIsoUtc(k.original_time) ?? toIsoUtc(doc['@timestamp']),
        title: ruleName ?? k.reason ?? 'Elastic alert',
        severity: k.severity === undefined ? 'unknown' : severityFromWord(k.severity, SEVERITY_WORDS),
        vendorSeverity: k.severity,
        rule: { uid: k.rule?.uuid ?? k.rule?.rule_id, name: ruleName },
        hosts: [endpoint(doc.host?.name ?? doc.host?.hostname, hostIps[0])],
        ips: [...hostIps, ...list(doc.source?.ip), ...list(doc.destination?.ip)],
        users: [...list(doc.user?.name), ...list(doc.user?.target?.name)],
        src: ecsSide(doc.source),
        dst: ecsSide(doc.destination),
        product: PRODUCT,
      },
      ctx,
    );
  });
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function ecsSide(side: z.output<typeof ecsEndpoint> | undefined) {
  if (side === undefined) return undefined;
  return endpoint(side.domain, list(side.ip)[0] ?? side.address);
}

/** Keys that would reach Object.prototype when used as path segments. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Turns {"kibana.alert.uuid": "x"} into {"kibana": {"alert": {"uuid": "x"}}}, recursively,
 * deep-merging with nested keys already there. Non-objects pass through unchanged; keys that
 * could pollute prototypes are dropped.
 */
export function expandDottedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandDottedKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const parts = key.split('.').filter((p) => p !== '');
    if (parts.length === 0 || parts.some((p) => UNSAFE_KEYS.has(p))) continue;
    let nested: unknown = expandDottedKeys(raw);
    for (const part of parts.reverse()) nested = { [part]: nested };
    deepMerge(out, nested as Record<string, unknown>);
  }
  return out;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
