/**
 * Kibana webhook connector. The body is the user's own Mustache template; the usual one is
 *   { rule?: "<rule name>", alerts: [<alert document>, …] }
 * and one POST may carry many alerts (one Interlock alert each). Documents are ECS plus
 * `kibana.alert.*`; the detection rule is `kibana.alert.rule.*`. Fields may arrive nested
 * ({"kibana":{"alert":{…}}}) or flattened ({"kibana.alert.uuid": …}): both are read.
 *
 * Meaning fields (Elastic Common Schema reference, elastic.co/guide/en/ecs): `network.protocol`
 * (application protocol, lowercase, e.g. "modbus", "dnp3", "http"), `network.transport`,
 * `network.direction` (ingress/egress/inbound/outbound/internal/external), `source.port`,
 * `destination.port`, the `threat.*` fields set (`threat.framework`, `threat.tactic.id/name`,
 * `threat.technique.id/name`, `threat.technique.subtechnique.id/name`, each possibly an array),
 * the detection rule's own mapping `kibana.alert.rule.threat[]` ({framework, tactic{id,name},
 * technique[{id,name,subtechnique[]}]}, Kibana alert schema), `event.category` / `event.type`
 * (ECS categorization; "malware" is a category) and `kibana.alert.rule.tags`. ECS has no ICS
 * fields; the Filebeat Zeek module's `zeek.modbus.function` and `zeek.dnp3.function.request` /
 * `.reply` (function names such as WRITE_MULTIPLE_REGISTERS) give the OT function.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import { attackRef, type AttackRef } from '../../alerts/attack';
import { normalizeDirection, normalizeTransport } from '../../alerts/vocabulary';
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
import type { SemanticsDraft } from './semantics';
import { portOf, techniqueCategory, words } from './vendor-attacks';

export const PRODUCT = 'Elastic Security';

const stringOrList = z.union([z.string(), z.array(z.string())]);
const portValue = z.union([z.number(), z.string()]);
const ecsEndpoint = z.object({
  ip: stringOrList.optional(),
  domain: z.string().optional(),
  address: z.string().optional(),
  port: portValue.optional(),
});
const idName = z.object({ id: stringOrList.optional(), name: stringOrList.optional() });
/** One entry of a detection rule's `threat` array (Kibana detection rule schema). */
const ruleThreat = z.object({
  framework: z.string().optional(),
  tactic: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
  technique: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        subtechnique: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
      }),
    )
    .optional(),
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
          threat: z.array(ruleThreat).optional(),
          tags: z.array(z.string()).optional(),
          description: z.string().optional(),
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
  network: z
    .object({
      protocol: z.string().optional(),
      transport: z.string().optional(),
      direction: z.string().optional(),
    })
    .optional(),
  event: z.object({ category: stringOrList.optional(), type: stringOrList.optional() }).optional(),
  threat: z
    .object({
      framework: z.string().optional(),
      tactic: idName.optional(),
      technique: idName.extend({ subtechnique: idName.optional() }).optional(),
    })
    .optional(),
  zeek: z
    .object({
      modbus: z.object({ function: z.string().optional() }).optional(),
      dnp3: z
        .object({ function: z.object({ request: z.string().optional(), reply: z.string().optional() }).optional() })
        .optional(),
    })
    .optional(),
});

type AlertDocument = z.output<typeof alertDocument>;

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
        semantics: ecsSemantics(doc),
      },
      ctx,
    );
  });
}

/** The ECS / Kibana alert fields that say what the alert means (see the module comment). */
function ecsSemantics(doc: AlertDocument): SemanticsDraft {
  const rule = doc.kibana.alert.rule;
  const categories = list(doc.event?.category).map((c) => c.toLowerCase());
  const attacks = [...ruleThreatAttacks(rule?.threat ?? []), ...documentThreatAttacks(doc.threat)];
  return {
    protocol: doc.network?.protocol,
    transport: normalizeTransport(doc.network?.transport),
    srcPort: portOf(doc.source?.port),
    dstPort: portOf(doc.destination?.port),
    direction: normalizeDirection(doc.network?.direction),
    functionCode: doc.zeek?.modbus?.function ?? doc.zeek?.dnp3?.function?.request ?? doc.zeek?.dnp3?.function?.reply,
    attacks,
    // ECS event.category "malware" is a documented allowed value; other categories (network,
    // intrusion_detection…) say where the event came from, not what threat it is. A technique
    // that names a more precise category (T1486: ransomware) is left to say it.
    category: categories.includes('malware') && techniqueCategory(attacks) === undefined ? 'malware' : undefined,
    text: [doc.kibana.alert.reason, rule?.description, ...(rule?.tags ?? [])],
  };
}

/** Only MITRE ATT&CK mappings: a rule may carry other frameworks. */
function isAttack(framework: string | undefined): boolean {
  return framework === undefined || /mitre att&ck/i.test(framework);
}

function ruleThreatAttacks(threats: z.output<typeof ruleThreat>[]): (AttackRef | undefined)[] {
  const refs: (AttackRef | undefined)[] = [];
  for (const threat of threats) {
    if (!isAttack(threat.framework)) continue;
    const tactics = threat.tactic === undefined ? [] : [{ uid: threat.tactic.id, name: threat.tactic.name }];
    for (const technique of threat.technique ?? []) {
      const subs = technique.subtechnique ?? [];
      if (subs.length === 0) refs.push(attackRef(technique.id, technique.name, tactics));
      for (const sub of subs) refs.push(attackRef(sub.id, sub.name, tactics));
    }
  }
  return refs;
}

/** The event's own `threat.*` fields (ECS), arrays in parallel when several. */
function documentThreatAttacks(threat: AlertDocument['threat']): (AttackRef | undefined)[] {
  if (threat === undefined || !isAttack(threat.framework)) return [];
  const tacticIds = words(threat.tactic?.id);
  const tacticNames = words(threat.tactic?.name);
  const tactics = (tacticIds.length > 0 ? tacticIds : tacticNames).map((t, i) => ({
    uid: tacticIds.length > 0 ? t : undefined,
    name: tacticIds.length > 0 ? tacticNames[i] : t,
  }));
  const subIds = words(threat.technique?.subtechnique?.id);
  const subNames = words(threat.technique?.subtechnique?.name);
  if (subIds.length > 0)
    return subIds.map((id, i) => attackRef(id, subIds.length === subNames.length ? subNames[i] : undefined, tactics));
  const ids = words(threat.technique?.id);
  const names = words(threat.technique?.name);
  return ids.map((id, i) => attackRef(id, ids.length === names.length ? names[i] : undefined, tactics));
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
