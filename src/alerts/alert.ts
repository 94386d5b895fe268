import { z } from 'zod';
import {
  CATEGORIES,
  CONTROLLER_MODES,
  DIRECTIONS,
  OT_OPERATIONS,
  PROTOCOLS,
  SEVERITIES,
  TRANSPORTS,
} from './vocabulary';

/**
 * The one alert shape every source is normalized to, inspired by the OCSF Detection
 * Finding class (class_uid 2004). Severity uses OCSF's 0–6 scale (SEVERITIES, in
 * vocabulary.ts so workflow code reads it without zod); the vendor's own value is kept in
 * vendorSeverity.
 */
export { SEVERITIES, severityId, type Severity } from './vocabulary';

export const endpointSchema = z.object({
  hostname: z.string().min(1).optional(),
  ip: z.string().min(1).optional(),
});

const port = z.number().int().min(0).max(65535);

/**
 * The traffic the alert is about (OCSF connection_info / src_endpoint.port names where OCSF has
 * them). `protocol` is from the documented list (src/alerts/vocabulary.ts); the vendor's own
 * word stays in `protocolName`. `industrial` / `safety` say whether the protocol is an ICS
 * protocol / a safety-system protocol.
 */
export const networkSchema = z.object({
  protocol: z.enum(PROTOCOLS),
  protocolName: z.string().optional(),
  industrial: z.boolean(),
  safety: z.boolean(),
  transport: z.enum(TRANSPORTS).optional(),
  srcPort: port.optional(),
  dstPort: port.optional(),
  direction: z.enum(DIRECTIONS).optional(),
});

/** What was done to or seen at an industrial device; `unknown` when the alert does not say. */
export const otSchema = z.object({
  operation: z.enum(OT_OPERATIONS),
  /** The new controller mode of a mode_change (e.g. stop). */
  mode: z.enum(CONTROLLER_MODES).optional(),
  /** The protocol function code or service, as the vendor gave it (e.g. "16", "0x29", "STOP_CPU"). */
  functionCode: z.string().optional(),
});

/** A MITRE ATT&CK technique the vendor mapped the alert to (see src/alerts/attack.ts). */
export const attackSchema = z.object({
  technique: z.object({ uid: z.string().regex(/^T\d{4}$/), name: z.string().optional() }),
  subTechnique: z.object({ uid: z.string().regex(/^T\d{4}\.\d{3}$/), name: z.string().optional() }).optional(),
  tactics: z.array(z.object({ uid: z.string().optional(), name: z.string().optional() })).optional(),
  matrix: z.enum(['ics', 'enterprise']),
});

export const alertSchema = z.object({
  classUid: z.literal(2004),
  /** Vendor's alert ID, or `<source>:<rawSha256>` when the vendor sends none. */
  uid: z.string().min(1),
  /** When the vendor says the event happened (ISO-8601 UTC). */
  time: z.string().min(1),
  title: z.string().min(1),
  severity: z.enum(SEVERITIES),
  severityId: z.number().int().min(0).max(6),
  vendorSeverity: z.string().optional(),
  rule: z.object({ uid: z.string().optional(), name: z.string().optional() }),
  /** Hosts named by the alert, most relevant (the affected/target host) first. */
  hosts: z.array(endpointSchema),
  ips: z.array(z.string()),
  users: z.array(z.string()),
  /** Network direction when the vendor gives it (e.g. Modbus write from src to dst). */
  src: endpointSchema.optional(),
  dst: endpointSchema.optional(),
  observables: z.array(z.object({ type: z.string(), value: z.string() })),
  /*
   * Meaning, not phrasing. Optional in the type only because alerts normalized before these
   * fields existed may still be replayed; every normalizer sets them (alertView fills them
   * for older alerts).
   */
  network: networkSchema.optional(),
  ot: otSchema.optional(),
  attacks: z.array(attackSchema).optional(),
  category: z.enum(CATEGORIES).optional(),
  /**
   * Where each derived or completed field came from, by field path: `vendor` (a documented
   * vendor field), `mapping:<table>@<version>` (a mapping table in the repository), `attacks`,
   * `port`, `text` (the alert's own words), `api:<vendor>` (looked up through the vendor's API).
   */
  provenance: z.record(z.string(), z.string()).optional(),
  /** `name` is the webhook source (e.g. "splunk"); `product` the vendor product. */
  source: z.object({ name: z.string(), product: z.string() }),
  /** SHA-256 (hex) of the raw request body: ties the alert to exactly what was received. */
  rawSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type Alert = z.infer<typeof alertSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
export type AlertNetwork = z.infer<typeof networkSchema>;
export type AlertOt = z.infer<typeof otSchema>;
export type AlertAttack = z.infer<typeof attackSchema>;

/** An alert with its meaning fields always present: what playbook expressions see. */
export type AlertView = Alert & Required<Pick<Alert, 'network' | 'ot' | 'attacks' | 'category'>>;

/**
 * The alert as playbook expressions see it: `network`, `ot`, `attacks` and `category` always
 * present (alerts normalized before they existed read as `unknown` / empty), so conditions
 * like `alert.ot.operation == "write"` never fail on a missing field.
 */
export function alertView(alert: Alert): AlertView {
  if (
    alert.network !== undefined &&
    alert.ot !== undefined &&
    alert.attacks !== undefined &&
    alert.category !== undefined
  )
    return alert as AlertView;
  return {
    ...alert,
    network: alert.network ?? { protocol: 'unknown', industrial: false, safety: false },
    ot: alert.ot ?? { operation: 'unknown' },
    attacks: alert.attacks ?? [],
    category: alert.category ?? 'unknown',
  };
}
