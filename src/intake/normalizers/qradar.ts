/**
 * IBM QRadar offense (the `GET /api/siem/offenses` object) as pushed by a forwarder.
 * Addresses arrive as IDs; `offense_source` carries the main entity and `offense_type`
 * says what it is (0 source IP, 1 destination IP, 3 username, 7 hostname, …).
 * `severity` is 0–10; times are epoch milliseconds.
 */
import { z } from 'zod';
import type { Alert, Endpoint, Severity } from '../../alerts/alert';
import {
  endpointFromNameOrIp,
  finishAlert,
  isIpAddress,
  parseBody,
  severityFromScale,
  toIsoUtc,
  epochMillis,
  type NormalizeContext,
} from './common';

export const PRODUCT = 'IBM QRadar';

export const bodySchema = z.object({
  id: z.number().int().nonnegative(),
  description: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
  offense_type: z.number().int().nonnegative().optional(),
  offense_source: z.string().optional(),
  severity: z.number().min(0).max(10),
  magnitude: z.number().optional(),
  start_time: epochMillis.optional(),
  rules: z.array(z.object({ id: z.number().int(), type: z.string().optional() })).default([]),
  categories: z.array(z.string()).default([]),
  domain_id: z.number().int().optional(),
});

export type QRadarOffenseBody = z.input<typeof bodySchema>;

/** 0 informational, 1–3 low, 4–6 medium, 7–8 high, 9–10 critical. */
const SEVERITY_BANDS: ReadonlyArray<readonly [number, Severity]> = [
  [0, 'informational'],
  [3, 'low'],
  [6, 'medium'],
  [8, 'high'],
  [10, 'critical'],
];

const OFFENSE_TYPE = { sourceIp: 0, destinationIp: 1, username: 3, hostname: 7 } as const;

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  const main = b.offense_source?.trim() || undefined;
  let subject: Endpoint | undefined;
  let src: Endpoint | undefined;
  let dst: Endpoint | undefined;
  const users: string[] = [];
  switch (b.offense_type) {
    case OFFENSE_TYPE.sourceIp:
      subject = src = endpointFromNameOrIp(isIpAddress(main) ? main : undefined);
      break;
    case OFFENSE_TYPE.destinationIp:
      subject = dst = endpointFromNameOrIp(isIpAddress(main) ? main : undefined);
      break;
    case OFFENSE_TYPE.username:
      if (main !== undefined) users.push(main);
      break;
    case OFFENSE_TYPE.hostname:
      subject = endpointFromNameOrIp(main);
      break;
    default:
      // Other offense types (event name, MAC, log source, …): keep an address if it is one.
      subject = isIpAddress(main) ? { ip: main } : undefined;
  }

  const firstRule = b.rules[0];
  return [
    finishAlert(
      {
        uid: String(b.id),
        time: toIsoUtc(b.start_time),
        title: b.description.trim(),
        severity: severityFromScale(b.severity, SEVERITY_BANDS),
        vendorSeverity: b.severity,
        rule: { uid: firstRule?.id },
        hosts: [subject],
        users,
        src,
        dst,
        product: PRODUCT,
      },
      ctx,
    ),
  ];
}
