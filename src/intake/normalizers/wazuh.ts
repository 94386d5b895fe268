/**
 * Wazuh integratord alert (the alert JSON as written to alerts.json). `rule.level` is an
 * integer 0–16, `rule.id` a string, timestamps end in "+0000". The agent is the host the
 * alert is about; `data.srcip`/`data.dstip` and `data.srcuser`/`data.dstuser` carry the
 * decoded event's network and user fields (Suricata alerts: `data.src_ip`/`data.dest_ip`;
 * Windows eventchannel alerts: `data.win.eventdata.ipAddress`/`targetUserName`).
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import {
  endpoint,
  fallbackUid,
  finishAlert,
  parseBody,
  severityFromScale,
  toIsoUtc,
  vendorTimeString,
  type NormalizeContext,
} from './common';

export const PRODUCT = 'Wazuh';

export const bodySchema = z.object({
  id: z.string().min(1).optional(),
  timestamp: vendorTimeString.optional(),
  rule: z.object({
    level: z.number().int().min(0).max(16),
    id: z.union([z.string().min(1), z.number()]),
    description: z.string().min(1),
    groups: z.array(z.string()).optional(),
  }),
  agent: z.object({ id: z.string().optional(), name: z.string().optional(), ip: z.string().optional() }).optional(),
  manager: z.object({ name: z.string().optional() }).optional(),
  data: z
    .object({
      srcip: z.string().optional(),
      dstip: z.string().optional(),
      srcuser: z.string().optional(),
      dstuser: z.string().optional(),
      // Suricata EVE JSON decoded by Wazuh's json decoder keeps Suricata's names.
      src_ip: z.string().optional(),
      dest_ip: z.string().optional(),
      // Windows eventchannel alerts carry the event's fields under data.win.eventdata.
      win: z
        .object({
          eventdata: z
            .object({
              ipAddress: z.string().optional(),
              targetUserName: z.string().optional(),
              subjectUserName: z.string().optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

export type WazuhAlertBody = z.input<typeof bodySchema>;

/** Wazuh dashboard bands: 0–2 informational, 3–6 low, 7–11 medium, 12–14 high, 15–16 critical. */
const LEVEL_BANDS: ReadonlyArray<readonly [number, Severity]> = [
  [2, 'informational'],
  [6, 'low'],
  [11, 'medium'],
  [14, 'high'],
  [16, 'critical'],
];

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  const data = b.data ?? {};
  const eventdata = data.win?.eventdata ?? {};
  // Windows writes "-" for a field it has no value for.
  const win = Object.fromEntries(Object.entries(eventdata).filter(([, v]) => v !== '-')) as typeof eventdata;
  const srcIp = data.srcip ?? data.src_ip ?? win.ipAddress;
  const dstIp = data.dstip ?? data.dest_ip;
  return [
    finishAlert(
      {
        uid: b.id ?? fallbackUid(ctx),
        time: toIsoUtc(b.timestamp),
        title: b.rule.description,
        severity: severityFromScale(b.rule.level, LEVEL_BANDS),
        vendorSeverity: b.rule.level,
        rule: { uid: b.rule.id, name: b.rule.description },
        hosts: [endpoint(b.agent?.name, b.agent?.ip)],
        ips: [srcIp, dstIp],
        users: [data.dstuser ?? win.targetUserName, data.srcuser ?? win.subjectUserName],
        src: endpoint(undefined, srcIp),
        dst: endpoint(undefined, dstIp),
        product: PRODUCT,
      },
      ctx,
    ),
  ];
}
