/**
 * Nozomi Networks (Guardian / Vantage) alert record. `severity` is an integer 0–10, `risk`
 * a string, addresses in ip_src/ip_dst, optional node labels in label_src/label_dst, zones
 * in zone_src/zone_dst, roles in src_roles/dst_roles; `time` in epoch ms. The destination
 * node (e.g. the PLC receiving a new function code) is the affected asset.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import {
  endpoint,
  epochMillis,
  finishAlert,
  parseBody,
  severityFromScale,
  toIsoUtc,
  type NormalizeContext,
} from './common';

export const PRODUCT = 'Nozomi Networks';

export const bodySchema = z.object({
  id: z.string().min(1),
  type_id: z.string().optional(),
  name: z.string().trim().min(1, 'must not be empty'),
  description: z.string().optional(),
  severity: z.number().int().min(0).max(10),
  risk: z.union([z.string(), z.number()]).optional(),
  ip_src: z.string().optional(),
  ip_dst: z.string().optional(),
  label_src: z.string().optional(),
  label_dst: z.string().optional(),
  zone_src: z.string().optional(),
  zone_dst: z.string().optional(),
  appliance_host: z.string().optional(),
  time: epochMillis.optional(),
});

export type NozomiAlertBody = z.input<typeof bodySchema>;

/** 0–1 informational, 2–3 low, 4–6 medium, 7–8 high, 9–10 critical. */
const SEVERITY_BANDS: ReadonlyArray<readonly [number, Severity]> = [
  [1, 'informational'],
  [3, 'low'],
  [6, 'medium'],
  [8, 'high'],
  [10, 'critical'],
];

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  return [
    finishAlert(
      {
        uid: b.id,
        time: toIsoUtc(b.time),
        title: b.name,
        severity: severityFromScale(b.severity, SEVERITY_BANDS),
        vendorSeverity: b.severity,
        rule: { uid: b.type_id, name: b.name },
        src: endpoint(b.label_src, b.ip_src),
        dst: endpoint(b.label_dst, b.ip_dst),
        product: PRODUCT,
      },
      ctx,
    ),
  ];
}
