/**
 * Splunk's built-in webhook alert action:
 *   { result: {<field>: "<string>", …}, sid, results_link, search_name (may be null), owner, app }
 * Only the first result row is sent and every value is a string (multivalue fields arrive as
 * string arrays). Splunk has no native severity: the search may output `severity` or (Splunk
 * ES) `urgency`. Field names follow the Common Information Model (dest, src, user, …).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert, Endpoint, Severity } from '../../alerts/alert';
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
      },
      ctx,
    ),
  ];
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
