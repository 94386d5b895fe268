/**
 * IBM QRadar offense (the `GET /api/siem/offenses` object) as pushed by a forwarder.
 * Addresses arrive as IDs (`source_address_ids`, `local_destination_address_ids`);
 * `offense_source` carries the main entity and `offense_type` says what it is (QRadar REST API
 * reference, siem/offense_types: 0 source IP, 1 destination IP, 2 event name, 3 username,
 * 4 source MAC, 5 destination MAC, 6 log source, 7 hostname, 8 source port, 9 destination port,
 * 10 source IPv6, 11 destination IPv6, 12 source ASN, 13 destination ASN, 14 rule, 15 app ID,
 * 18 scheduled search). `severity` is 0–10; times are epoch milliseconds.
 *
 * Meaning fields: `categories[]` (QRadar event category names) through the versioned table
 * src/intake/mappings/qradar-categories.ts; a port offense (types 8/9) gives the port, hence the
 * protocol; `description` gives words. Addresses: normalization alone reads them from the
 * offense's own text (`offense_source`), recorded as provenance `text`; the intake may first
 * resolve the address IDs through the QRadar API (src/intake/completion/qradar.ts) and pass them
 * here, recorded as `api:qradar`. The playbook dry-run normalizes only (text fallback).
 */
import { z } from 'zod';
import type { Alert, Endpoint, Severity } from '../../alerts/alert';
import {
  endpoint,
  endpointFromNameOrIp,
  finishAlert,
  isIpAddress,
  parseBody,
  severityFromScale,
  toIsoUtc,
  epochMillis,
  type NormalizeContext,
} from './common';
import { categoryFromQRadarCategories, QRADAR_CATEGORIES_TABLE } from '../mappings/qradar-categories';
import type { SemanticsDraft } from './semantics';
import { portOf, techniqueCategory } from './vendor-attacks';
import { attackRef, techniqueIdsIn } from '../../alerts/attack';

export const PRODUCT = 'IBM QRadar';

const addressIds = z.array(z.number().int().nonnegative()).default([]);

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
  source_address_ids: addressIds,
  local_destination_address_ids: addressIds,
});

export type QRadarOffenseBody = z.input<typeof bodySchema>;
export type QRadarOffense = z.output<typeof bodySchema>;

/** 0 informational, 1–3 low, 4–6 medium, 7–8 high, 9–10 critical. */
const SEVERITY_BANDS: ReadonlyArray<readonly [number, Severity]> = [
  [0, 'informational'],
  [3, 'low'],
  [6, 'medium'],
  [8, 'high'],
  [10, 'critical'],
];

const OFFENSE_TYPE = {
  sourceIp: 0,
  destinationIp: 1,
  username: 3,
  hostname: 7,
  sourcePort: 8,
  destinationPort: 9,
  sourceIpv6: 10,
  destinationIpv6: 11,
} as const;

/** Addresses the QRadar API resolved for the offense's address IDs, in the offense's order. */
export interface ResolvedAddresses {
  source: string[];
  destination: string[];
  /** Provenance of the resolved addresses, e.g. `api:qradar`. */
  provenance: string;
}

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  return normalizeOffense(parseBody(bodySchema, body, ctx.source), ctx);
}

/** Parses an offense (NormalizationError with field paths when it is not one). */
export function parseOffense(body: unknown, source: string): QRadarOffense {
  return parseBody(bodySchema, body, source);
}

/** Normalizes a parsed offense, with the addresses the API resolved when there are any. */
export function normalizeOffense(b: QRadarOffense, ctx: NormalizeContext, resolved?: ResolvedAddresses): Alert[] {
  const main = b.offense_source?.trim() || undefined;
  const ip = isIpAddress(main) ? main : undefined;
  let subject: Endpoint | undefined;
  let src: Endpoint | undefined;
  let dst: Endpoint | undefined;
  let srcPort: number | undefined;
  let dstPort: number | undefined;
  const users: string[] = [];
  switch (b.offense_type) {
    case OFFENSE_TYPE.sourceIp:
    case OFFENSE_TYPE.sourceIpv6:
      subject = src = endpoint(undefined, ip);
      break;
    case OFFENSE_TYPE.destinationIp:
    case OFFENSE_TYPE.destinationIpv6:
      subject = dst = endpoint(undefined, ip);
      break;
    case OFFENSE_TYPE.username:
      if (main !== undefined) users.push(main);
      break;
    case OFFENSE_TYPE.hostname:
      subject = endpointFromNameOrIp(main);
      break;
    case OFFENSE_TYPE.sourcePort:
      srcPort = portOf(main);
      break;
    case OFFENSE_TYPE.destinationPort:
      dstPort = portOf(main);
      break;
    default:
      // Other offense types (event name, MAC, log source, …): keep an address if it is one.
      subject = ip === undefined ? undefined : { ip };
  }

  const provenance: Record<string, string> = {};
  if (src?.ip !== undefined) provenance['src.ip'] = 'text';
  if (dst?.ip !== undefined) provenance['dst.ip'] = 'text';
  const apiSource = resolved?.source.find(isIpAddress);
  const apiDestination = resolved?.destination.find(isIpAddress);
  if (resolved !== undefined && apiSource !== undefined && (src?.ip === undefined || src.ip === apiSource)) {
    src = { ...src, ip: apiSource };
    provenance['src.ip'] = resolved.provenance;
  }
  if (resolved !== undefined && apiDestination !== undefined && (dst?.ip === undefined || dst.ip === apiDestination)) {
    dst = { ...dst, ip: apiDestination };
    provenance['dst.ip'] = resolved.provenance;
  }

  // A technique the offense names (rule names often carry one: "… (T1486)") that says a more
  // precise category than QRadar's event categories (Malware) is left to say it.
  const named = techniqueCategory(techniqueIdsIn(b.description).map((id) => attackRef(id)));
  const category = named === undefined ? categoryFromQRadarCategories(b.categories) : undefined;
  const semantics: SemanticsDraft = {
    srcPort,
    dstPort,
    category,
    provenance: category === undefined ? {} : { category: `mapping:${QRADAR_CATEGORIES_TABLE}` },
    text: [b.description, ...b.categories],
  };
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
        ips: [...(resolved?.source ?? []), ...(resolved?.destination ?? [])],
        users,
        src,
        dst,
        product: PRODUCT,
        semantics,
        provenance,
      },
      ctx,
    ),
  ];
}
