import { z } from 'zod';

/**
 * The one alert shape every source is normalized to, inspired by the OCSF Detection
 * Finding class (class_uid 2004). Severity uses OCSF's 0–6 scale; the vendor's own value
 * is kept in vendorSeverity.
 */
export const SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high', 'critical', 'fatal'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityId(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export const endpointSchema = z.object({
  hostname: z.string().min(1).optional(),
  ip: z.string().min(1).optional(),
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
  /** `name` is the webhook source (e.g. "splunk"); `product` the vendor product. */
  source: z.object({ name: z.string(), product: z.string() }),
  /** SHA-256 (hex) of the raw request body: ties the alert to exactly what was received. */
  rawSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type Alert = z.infer<typeof alertSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
