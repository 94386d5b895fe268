/**
 * Splunk's built-in webhook alert action:
 *   { result: {<field>: "<string>", …}, sid, results_link, search_name (may be null), owner, app }
 * Only the first result row is sent and every value is a string (multivalue fields arrive as
 * string arrays). Splunk has no native severity: the search may output `severity` or (Splunk
 * ES) `urgency`. Field names follow the Common Information Model (dest, src, user, …).
 *
 * Meaning fields (CIM data models, docs.splunk.com "Common Information Model Add-on Manual"):
 * Network_Traffic `app` (application protocol, e.g. modbus), `transport` (tcp/udp), `protocol`
 * (layer 3, rarely an application word), `src_port`, `dest_port`, `direction`; Intrusion_Detection
 * and Malware `signature`, `category`, `action`, `file_name` (words only: their values are the
 * IDS/AV vendor's own). Splunk ES correlation-search annotations as notables carry them:
 * `annotations.mitre_attack` / `annotations.mitre_attack.mitre_technique_id` (technique IDs),
 * `annotations.mitre_attack.mitre_tactic_id` / `annotations.mitre_attack.mitre_tactic`, and the
 * flat `mitre_technique_id` / `mitre_technique` / `mitre_tactic` many searches `rename` them to.
 * Multivalue fields arrive as string arrays; comma-separated lists are split.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert, Endpoint, Severity } from '../../alerts/alert';
import { normalizeDirection, normalizeProtocol, normalizeTransport } from '../../alerts/vocabulary';
import {
  endpoint,
  endpointFromNameOrIp,
  fallbackUid,
  finishAlert,
  isIpAddress,
  parseBody,
  severityFromWord,
  toIsoUtc,
  type NormalizeContext,
} from './common';
import type { SemanticsDraft } from './semantics';
import { attackRefs, portOf, words } from './vendor-attacks';

export const PRODUCT = 'Splunk';

const resultValue = z.union([z.string(), z.array(z.string()), z.null()], {
  error: 'expected a string or an array of strings (Splunk sends every result value as a string)',
});

export const bodySchema = z.object({
  result: z.record(z.string(), resultValue),
  sid: z.string().min(1).optional(),
  search_name: z.string().nullish(),
  results_link: z.string().nullish(),
  owner: z.string().nullish(),
  app: z.string().nullish(),
});

export type SplunkWebhookBody = z.input<typeof bodySchema>;
type ResultRow = z.output<typeof bodySchema>['result'];

/** Splunk ES urgency words, plus common spellings searches output. */
const SEVERITY_WORDS: Record<string, Severity> = {
  unknown: 'unknown',
  info: 'informational',
  informational: 'informational',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
  fatal: 'fatal',
};

/**
 * Numeric severities as searches commonly output them (and as alert.severity orders them):
 * 1 informational … 5 critical; 6 (Splunk's "fatal") → fatal.
 */
const SEVERITY_NUMBERS: Record<string, Severity> = {
  '1': 'informational',
  '2': 'low',
  '3': 'medium',
  '4': 'high',
  '5': 'critical',
  '6': 'fatal',
};

export function splunkSeverity(raw: string): Severity {
  const trimmed = raw.trim();
  return SEVERITY_NUMBERS[trimmed] ?? severityFromWord(trimmed, SEVERITY_WORDS);
}

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  const row = b.result;
  const field = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = first(row[name]);
      if (value !== undefined) return value;
    }
    return undefined;
  };

  const rawSeverity = field('severity', 'urgency');
  const searchName = b.search_name?.trim() || undefined;
  const signature = field('signature', 'rule_name');

  const dst = mergeSides(
    endpointFromNameOrIp(field('dest_host', 'dest_nt_host', 'dest_name', 'dest')),
    endpoint(undefined, field('dest_ip')),
  );
  const src = mergeSides(
    endpointFromNameOrIp(field('src_host', 'src_nt_host', 'src_name', 'src')),
    endpoint(undefined, field('src_ip')),
  );
  // `host` is where the event was logged: the subject only when the row names no target.
  const subject = dst === undefined ? endpointFromNameOrIp(field('host')) : undefined;

  return [
    finishAlert(
      {
        uid: field('event_id') ?? (b.sid !== undefined ? `${b.sid}/${rowHash(row)}` : fallbackUid(ctx)),
        time: toIsoUtc(field('_time')),
        title: searchName ?? signature ?? 'Splunk alert',
        severity: rawSeverity === undefined ? 'unknown' : splunkSeverity(rawSeverity),
        vendorSeverity: rawSeverity,
        rule: { uid: field('rule_id', 'signature_id'), name: searchName ?? signature },
        hosts: [subject],
        ips: [...all(row.ip), ...all(row.dest_ip), ...all(row.src_ip)].filter(isIpAddress),
        users: [...all(row.user), ...all(row.src_user), ...all(row.dest_user)],
        src,
        dst,
        product: PRODUCT,
        semantics: splunkSemantics(row, field),
      },
      ctx,
    ),
  ];
}

/** The CIM and Splunk ES fields that say what the alert means (see the module comment). */
function splunkSemantics(row: ResultRow, field: (...names: string[]) => string | undefined): SemanticsDraft {
  const values = (...names: string[]) => words(...names.map((n) => row[n]));
  const transport = field('transport');
  const dstPort = portOf(field('dest_port'));
  const srcPort = portOf(field('src_port'));
  // CIM `app` is the application protocol in Network_Traffic but an application name elsewhere
  // (Authentication: "win:local"): it names the protocol when it is one we know or the row is traffic.
  const app = field('app');
  const layer3 = field('protocol');
  const isTraffic = transport !== undefined || dstPort !== undefined;
  const protocol =
    app !== undefined && (normalizeProtocol(app) !== undefined || isTraffic)
      ? app
      : normalizeProtocol(layer3) !== undefined
        ? layer3
        : undefined;
  const techniques = values(
    'annotations.mitre_attack.mitre_technique_id',
    'annotations.mitre_attack',
    'mitre_technique_id',
  ).filter((id) => /^T\d{4}(\.\d{3})?$/i.test(id));
  const tactics = values(
    'annotations.mitre_attack.mitre_tactic_id',
    'annotations.mitre_attack.mitre_tactic',
    'mitre_tactic_id',
    'mitre_tactic',
  );
  return {
    protocol,
    transport: normalizeTransport(transport),
    srcPort,
    dstPort,
    direction: normalizeDirection(field('direction')),
    attacks: attackRefs(techniques, values('annotations.mitre_attack.mitre_technique', 'mitre_technique'), tactics),
    text: [
      field('signature'),
      field('category'),
      field('file_name'),
      field('description'),
      field('rule_description'),
      ...values('annotations.mitre_attack.mitre_technique', 'mitre_technique'),
    ],
  };
}

function first(value: string | string[] | null | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === null || v === undefined || v.trim() === '' ? undefined : v.trim();
}

function all(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function mergeSides(named: Endpoint | undefined, byIp: Endpoint | undefined): Endpoint | undefined {
  if (named === undefined) return byIp;
  if (byIp === undefined) return named;
  return endpoint(named.hostname, named.ip ?? byIp.ip);
}

/** Stable across re-deliveries: key order does not matter, values do. */
function rowHash(row: ResultRow): string {
  const sorted = Object.keys(row)
    .sort()
    .map((k) => [k, row[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}
