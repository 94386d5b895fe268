/**
 * Wazuh integratord alert (the alert JSON as written to alerts.json). `rule.level` is an
 * integer 0–16, `rule.id` a string, timestamps end in "+0000". The agent is the host the
 * alert is about; `data.srcip`/`data.dstip` and `data.srcuser`/`data.dstuser` carry the
 * decoded event's network and user fields (Suricata alerts: `data.src_ip`/`data.dest_ip`;
 * Windows eventchannel alerts: `data.win.eventdata.ipAddress`/`targetUserName`).
 *
 * Meaning fields (Wazuh ruleset reference, "Rules Syntax": `<mitre><id>`, decoder fields
 * `protocol`, `srcport`, `dstport`): `rule.mitre.id[]` with `rule.mitre.technique[]` in parallel
 * and `rule.mitre.tactic[]` for the whole rule; `rule.groups[]` mapped to a category through
 * src/intake/mappings/wazuh-groups.ts; `data.protocol`, `data.srcport`, `data.dstport`
 * (decoded as strings). Suricata EVE alerts keep Suricata's names (`data.proto`,
 * `data.app_proto`, `data.src_port`, `data.dest_port`, `data.alert.signature`,
 * `data.alert.category`).
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
import { categoryFromWazuhGroups, WAZUH_GROUPS_TABLE } from '../mappings/wazuh-groups';
import { normalizeProtocol, normalizeTransport } from '../../alerts/vocabulary';
import type { SemanticsDraft } from './semantics';
import { attackRefs, categoryFromTechniquesAndTactics, portOf, words } from './vendor-attacks';

export const PRODUCT = 'Wazuh';

const portValue = z.union([z.string(), z.number()]);

export const bodySchema = z.object({
  id: z.string().min(1).optional(),
  timestamp: vendorTimeString.optional(),
  rule: z.object({
    level: z.number().int().min(0).max(16),
    id: z.union([z.string().min(1), z.number()]),
    description: z.string().min(1),
    groups: z.array(z.string()).optional(),
    mitre: z
      .object({
        id: z.array(z.string()).default([]),
        tactic: z.array(z.string()).default([]),
        technique: z.array(z.string()).default([]),
      })
      .optional(),
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
      // Decoded network fields (strings, as decoders extract them).
      protocol: z.string().optional(),
      srcport: portValue.optional(),
      dstport: portValue.optional(),
      proto: z.string().optional(),
      app_proto: z.string().optional(),
      src_port: portValue.optional(),
      dest_port: portValue.optional(),
      alert: z.object({ signature: z.string().optional(), category: z.string().optional() }).optional(),
      // Windows eventchannel alerts carry the event's fields under data.win.eventdata.
      win: z
        .object({
          eventdata: z
            .object({
              ipAddress: z.string().optional(),
              targetUserName: z.string().optional(),
              subjectUserName: z.string().optional(),
            })
            // Other event fields vary by channel (e.g. Windows Defender's "threat Name", "category Name").
            .catchall(z.unknown())
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

/**
 * Windows Defender detections (Wazuh rules 62100–62199, channel Microsoft-Windows-Windows
 * Defender/Operational, events 1006/1116/1117) name the threat and its category in event fields
 * ("threat Name": "Ransom:Win32/WannaCrypt", "category Name": "Trojan"): the alert's own words.
 */
function threatWords(eventdata: Record<string, unknown> | undefined): string[] {
  if (eventdata === undefined) return [];
  return Object.entries(eventdata)
    .filter(([key, value]) => /^(threat|category)\s*name$/i.test(key) && typeof value === 'string')
    .map(([, value]) => (value as string).replace(/[:/!.]/g, ' '));
}

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
        semantics: wazuhSemantics(b),
      },
      ctx,
    ),
  ];
}

/** The rule's ATT&CK mapping and groups, and the decoded network fields (see the module comment). */
function wazuhSemantics(b: z.output<typeof bodySchema>): SemanticsDraft {
  const data = b.data ?? {};
  const mitre = b.rule.mitre;
  const tactics = words(mitre?.tactic);
  // The rule's tactics belong to its technique when it names one; with several, which is whose is unsaid.
  const ids = mitre?.id ?? [];
  const attacks = attackRefs(ids, mitre?.technique ?? [], ids.length === 1 ? tactics : []);
  const fromAttacks = categoryFromTechniquesAndTactics(attacks, tactics);
  const fromGroups = fromAttacks === undefined ? categoryFromWazuhGroups(b.rule.groups ?? []) : undefined;
  // `data.protocol` is whatever the decoder extracted: a transport ("TCP") for firewall logs,
  // an application protocol elsewhere. Suricata separates them (proto / app_proto).
  const rawProtocol = data.app_proto ?? data.protocol;
  const protocolIsTransport =
    rawProtocol !== undefined &&
    normalizeProtocol(rawProtocol) === undefined &&
    ['tcp', 'udp', 'sctp'].includes(rawProtocol.trim().toLowerCase());
  return {
    protocol: protocolIsTransport ? undefined : rawProtocol,
    transport: normalizeTransport(data.proto ?? (protocolIsTransport ? rawProtocol : undefined)),
    srcPort: portOf(data.srcport ?? data.src_port),
    dstPort: portOf(data.dstport ?? data.dest_port),
    attacks,
    category: fromAttacks ?? fromGroups,
    provenance:
      fromAttacks !== undefined
        ? { category: 'attacks' }
        : fromGroups !== undefined
          ? { category: `mapping:${WAZUH_GROUPS_TABLE}` }
          : {},
    text: [data.alert?.signature, data.alert?.category, ...threatWords(data.win?.eventdata)],
  };
}
