/**
 * Nozomi Networks (Guardian / Vantage / CMC) alert record, as the N2OS alerts API and its data
 * integrations export it. `severity` is an integer 0–10, `risk` a string or number, addresses
 * in ip_src/ip_dst, optional node labels in label_src/label_dst, zones in zone_src/zone_dst,
 * roles in src_roles/dst_roles; `time` in epoch ms. Nozomi sends null for the side an alert
 * does not have (a new node has no destination). The destination node (e.g. the PLC receiving
 * a new function code) is the affected asset.
 *
 * Meaning (documented alert fields; see the Elastic "nozomi_networks" integration's field
 * reference and the N2OS data-integration docs):
 * - `protocol` (application protocol, e.g. "modbus", "ethernetip"; "tcp/1122" when Nozomi
 *   does not recognise one), `transport_protocol`, `port_src`, `port_dst`;
 * - `type_id`, "the strict identifier for an alert type", mapped through
 *   src/intake/mappings/nozomi-type-ids.ts;
 * - ATT&CK: `properties.mitre_attack_for_ics.techniques[]` / `properties.mitre_attack_enterprise
 *   .techniques[]` ({id, name, tactic}, Vantage records), and `mitre_attack_techniques` /
 *   `mitre_attack_tactics` (the names N2OS gives them in its CEF export, flexString1/2; also
 *   present, null when empty, in Vantage records);
 * - the function code, which Nozomi writes in the description ("New function code 16 (write
 *   multiple registers) from … to …").
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import { attackRef, tacticRef, type AttackRef } from '../../alerts/attack';
import { normalizeTransport } from '../../alerts/vocabulary';
import { draftFromEntry, lookup } from '../mappings/meaning-table';
import { NOZOMI_TYPE_ID_TABLE } from '../mappings/nozomi-type-ids';
import {
  endpoint,
  epochMillis,
  finishAlert,
  parseBody,
  severityFromScale,
  toIsoUtc,
  type NormalizeContext,
} from './common';
import { functionCodeInText } from './function-code';
import type { SemanticsDraft } from './semantics';

export const PRODUCT = 'Nozomi Networks';

const text = z.string().nullish();
const port = z.number().int().min(0).max(65535).nullish();
const idList = z.union([z.string(), z.array(z.string())]).nullish();

export const bodySchema = z.object({
  id: z.string().min(1),
  type_id: text,
  type_name: text,
  name: z.string().trim().min(1, 'must not be empty'),
  description: text,
  severity: z.number().int().min(0).max(10),
  risk: z.union([z.string(), z.number()]).nullish(),
  ip_src: text,
  ip_dst: text,
  mac_src: text,
  mac_dst: text,
  label_src: text,
  label_dst: text,
  zone_src: text,
  zone_dst: text,
  src_roles: text,
  dst_roles: text,
  protocol: text,
  transport_protocol: text,
  port_src: port,
  port_dst: port,
  threat_name: text,
  mitre_attack_techniques: idList,
  mitre_attack_tactics: idList,
  // Free-form per alert type; the ATT&CK parts are read leniently (techniquesIn).
  properties: z.record(z.string(), z.unknown()).nullish(),
  appliance_host: text,
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
        rule: { uid: b.type_id ?? undefined, name: b.name },
        src: endpoint(b.label_src, b.ip_src),
        dst: endpoint(b.label_dst, b.ip_dst),
        product: PRODUCT,
        semantics: semanticsOf(b),
      },
      ctx,
    ),
  ];
}

function semanticsOf(b: z.output<typeof bodySchema>): SemanticsDraft {
  const mapped = draftFromEntry(NOZOMI_TYPE_ID_TABLE, lookup(NOZOMI_TYPE_ID_TABLE, b.type_id));
  const vendorAttacks = attacksOf(b);
  const provenance = { ...mapped.provenance };
  if (vendorAttacks.length > 0) provenance['attacks'] = 'vendor';
  const functionCode = functionCodeInText(b.description);
  const transport = b.transport_protocol?.trim().toLowerCase();
  return {
    protocol: applicationProtocol(b.protocol),
    transport:
      transport === undefined || transport === '' || transport === 'unknown'
        ? undefined
        : normalizeTransport(transport),
    srcPort: b.port_src ?? undefined,
    dstPort: b.port_dst ?? undefined,
    operation: mapped.operation,
    mode: mapped.mode,
    category: mapped.category,
    attacks: vendorAttacks.length > 0 ? vendorAttacks : mapped.attacks,
    functionCode,
    provenance,
    text: [b.type_name, b.description, b.threat_name],
  };
}

/** Nozomi names an unrecognised application protocol by transport and port ("tcp/1122"). */
function applicationProtocol(raw: string | null | undefined): string | undefined {
  const word = raw?.trim();
  if (!word || /^(tcp|udp)\/\d+$/i.test(word)) return undefined;
  return word;
}

const techniqueSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  tactic: z.union([z.string(), z.array(z.string())]).nullish(),
});
const techniquesBlock = z.object({ techniques: z.array(z.unknown()) });

/** Vantage's per-matrix technique lists, then the flat CEF-style fields; malformed items skipped. */
function attacksOf(b: z.output<typeof bodySchema>): AttackRef[] {
  const refs: Array<AttackRef | undefined> = [];
  for (const matrix of ['mitre_attack_for_ics', 'mitre_attack_enterprise']) {
    const block = techniquesBlock.safeParse(b.properties?.[matrix]);
    if (!block.success) continue;
    for (const item of block.data.techniques) {
      const technique = techniqueSchema.safeParse(item);
      if (!technique.success) continue;
      const { id, name, tactic } = technique.data;
      refs.push(
        attackRef(
          id,
          name,
          tacticNames(tactic).map((n) => ({ name: n })),
        ),
      );
    }
  }
  const ids = listOf(b.mitre_attack_techniques);
  // The flat tactics list is for the alert; it is attached when it can only be one technique's.
  const tactics = ids.length === 1 ? tacticNames(b.mitre_attack_tactics) : [];
  for (const id of ids)
    refs.push(
      attackRef(
        id,
        undefined,
        tactics.map((n) => ({ name: n })),
      ),
    );
  return refs.filter((r): r is AttackRef => r !== undefined);
}

function listOf(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : value.split(',');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** "impair_process_control, inhibit_response_function" → ["impair process control", …]. */
function tacticNames(value: string | string[] | null | undefined): string[] {
  return listOf(value)
    .map((t) => tacticRef({ name: t.replace(/_/g, ' ') })?.name)
    .filter((t): t is string => t !== undefined);
}
