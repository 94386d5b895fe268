import { isIP } from 'node:net';
import { z } from 'zod';
import { sha256Hex } from '../raw-body';
import { alertSchema, severityId, type Alert, type Endpoint, type Severity } from '../../alerts/alert';
import { deriveSemantics, type SemanticsDraft } from './semantics';

/** What the webhook layer knows about a delivery, independent of its content. */
export interface NormalizeContext {
  /** Webhook source name from the URL / config (e.g. "splunk", "splunk-plant-a"). */
  source: string;
  /** SHA-256 hex of the raw request body. */
  rawSha256: string;
  /** ISO-8601 UTC time the delivery was received; the alert time when the vendor gives none. */
  receivedAt: string;
}

export type NormalizeFn = (body: unknown, ctx: NormalizeContext) => Alert[];

export interface FieldIssue {
  /** Dotted field path in the vendor body, e.g. "result.src_ip" or "alerts.0.kibana.alert.uuid". */
  path: string;
  message: string;
}

/** The vendor body is not what the source's format allows; `fieldIssues` names each offending field. */
export class NormalizationError extends Error {
  override readonly name = 'NormalizationError';
  readonly fieldIssues: FieldIssue[];

  constructor(
    readonly source: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    const fieldIssues = issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    super(`invalid ${source} alert: ${fieldIssues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`);
    this.fieldIssues = fieldIssues;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** Validates a vendor body, turning zod's error into a NormalizationError with field paths. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, source: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new NormalizationError(source, result.error.issues);
  return result.data;
}

// ---------------------------------------------------------------------------------------
// Time

/**
 * Converts a vendor timestamp to ISO-8601 UTC. Accepts ISO strings (including Wazuh's
 * "+0000" offsets), epoch milliseconds, and epoch seconds (Splunk's "_time", possibly
 * fractional, as number or string). Returns undefined when it cannot be read.
 */
export function toIsoUtc(value: string | number | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || /^\d+(\.\d+)?$/.test(value.trim())) {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    // Below 1e11 is seconds (year 5138 in ms; 1973 in s): vendors send one or the other.
    return validDate(n < 1e11 ? n * 1000 : n);
  }
  const text = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined;
  return validDate(Date.parse(text));
}

function validDate(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A zod string that must be a readable vendor timestamp (see toIsoUtc). */
export const vendorTimeString = z
  .string()
  .refine((s) => toIsoUtc(s) !== undefined, 'expected an ISO-8601 timestamp with a time zone');
/** Epoch milliseconds. */
export const epochMillis = z.number().int().positive();

// ---------------------------------------------------------------------------------------
// Entities

export function isIpAddress(value: string | undefined | null): value is string {
  return typeof value === 'string' && isIP(value) !== 0;
}

/** Builds an endpoint from optional name/ip, dropping empty values and IPs that are not IPs. */
export function endpoint(hostname?: string | null, ip?: string | null): Endpoint | undefined {
  const name = hostname?.trim() || undefined;
  const address = ip?.trim();
  const e: Endpoint = {};
  if (name !== undefined) e.hostname = name;
  if (isIpAddress(address)) e.ip = address;
  return e.hostname === undefined && e.ip === undefined ? undefined : e;
}

/** Vendors put a host name or an address in the same field (e.g. Splunk's "dest"). */
export function endpointFromNameOrIp(value: string | null | undefined): Endpoint | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  return isIpAddress(v) ? { ip: v } : { hostname: v };
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (a.hostname !== undefined && b.hostname !== undefined) {
    if (a.hostname.toLowerCase() !== b.hostname.toLowerCase()) return false;
    return a.ip === undefined || b.ip === undefined || a.ip === b.ip;
  }
  return a.ip !== undefined && a.ip === b.ip;
}

/** Merges endpoints that name the same host (same hostname, or same IP), keeping first-seen order. */
export function mergeEndpoints(list: ReadonlyArray<Endpoint | undefined>): Endpoint[] {
  const out: Endpoint[] = [];
  for (const e of list) {
    if (e === undefined) continue;
    const existing = out.find((o) => sameEndpoint(o, e));
    if (existing === undefined) out.push({ ...e });
    else {
      existing.hostname ??= e.hostname;
      existing.ip ??= e.ip;
    }
  }
  return out;
}

function unique(values: ReadonlyArray<string | undefined | null>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const t = v?.trim();
    if (!t || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Severity

/** Case-insensitive lookup of a vendor severity word; unknown words map to "unknown". */
export function severityFromWord(raw: string, table: Readonly<Record<string, Severity>>): Severity {
  return table[raw.trim().toLowerCase()] ?? 'unknown';
}

/** Maps a numeric vendor scale through inclusive upper bounds, e.g. [[3,'low'],[6,'medium']]. */
export function severityFromScale(value: number, bounds: ReadonlyArray<readonly [number, Severity]>): Severity {
  for (const [upTo, severity] of bounds) if (value <= upTo) return severity;
  return 'unknown';
}

// ---------------------------------------------------------------------------------------
// Assembly

export interface AlertDraft {
  uid: string;
  time: string | undefined;
  title: string;
  severity: Severity;
  vendorSeverity?: string | number | undefined;
  rule: { uid?: string | number | undefined; name?: string | undefined };
  /** The vendor's subject host(s), most relevant first. */
  hosts?: ReadonlyArray<Endpoint | undefined>;
  ips?: ReadonlyArray<string | undefined | null>;
  users?: ReadonlyArray<string | undefined | null>;
  /** File hashes the alert names (hex MD5, SHA-1 or SHA-256): observables of type `hash`. */
  hashes?: ReadonlyArray<string | undefined | null>;
  src?: Endpoint | undefined;
  dst?: Endpoint | undefined;
  product: string;
  /**
   * The meaning fields the vendor's documented fields give (protocol, ports, operation,
   * ATT&CK, category…); the rest is derived the same way for every source (semantics.ts).
   * Its `text` adds vendor words (description, message…) to the title and rule name.
   */
  semantics?: SemanticsDraft;
  /** Provenance of fields completed from elsewhere than the body (e.g. `src.ip`: `api:qradar`). */
  provenance?: Record<string, string>;
}

/** Longer vendor alert IDs (in UTF-8 bytes) are replaced by a digest (see boundedUid). */
export const MAX_ALERT_UID_BYTES = 512;

/**
 * An alert's uid is part of its audit records' idempotency keys, which PostgreSQL indexes
 * (at most about 2.7 kB per key): an over-long vendor ID becomes `sha256:` and its hex digest,
 * so the same ID still identifies the same alert and nothing downstream chokes on its size.
 */
export function boundedUid(uid: string): string {
  return Buffer.byteLength(uid) <= MAX_ALERT_UID_BYTES ? uid : `sha256:${sha256Hex(uid)}`;
}

/** Alerts whose time is their receipt time (the vendor gave none); see isReceiptTimed. */
const receiptTimed = new WeakSet<Alert>();

/** Whether finishAlert took this alert's time from the delivery's receipt time. */
export function isReceiptTimed(alert: Alert): boolean {
  return receiptTimed.has(alert);
}

/**
 * Finishes an alert the same way for every source:
 * - hosts = the vendor's subject hosts, then dst, then src (the target of a network action
 *   is more relevant than its origin), merged when they name the same host;
 * - ips = explicit IPs plus every endpoint IP; users deduplicated;
 * - observables = every hostname, IP, user and file hash (lower-case hex; others dropped);
 * - the result is checked against alertSchema, so a normalizer bug cannot emit a bad alert.
 */
export function finishAlert(draft: AlertDraft, ctx: NormalizeContext): Alert {
  const hosts = mergeEndpoints([...(draft.hosts ?? []), draft.dst, draft.src]);
  const ips = unique([...(draft.ips ?? []).filter(isIpAddress), ...hosts.map((h) => h.ip)]);
  const users = unique(draft.users ?? []);
  const hostnames = unique(hosts.map((h) => h.hostname));

  const rule: Alert['rule'] = {};
  const ruleUid = draft.rule.uid === undefined ? undefined : String(draft.rule.uid).trim();
  if (ruleUid) rule.uid = ruleUid;
  const ruleName = draft.rule.name?.trim();
  if (ruleName) rule.name = ruleName;

  const semantics = deriveSemantics({
    ...draft.semantics,
    text: [draft.title, ruleName, ...(draft.semantics?.text ?? [])],
  });
  const provenance = { ...semantics.provenance, ...draft.provenance };

  const alert: Alert = {
    classUid: 2004,
    uid: boundedUid(draft.uid),
    time: draft.time ?? ctx.receivedAt,
    title: draft.title.trim(),
    severity: draft.severity,
    severityId: severityId(draft.severity),
    rule,
    hosts,
    ips,
    users,
    observables: [
      ...hostnames.map((value) => ({ type: 'hostname', value })),
      ...ips.map((value) => ({ type: 'ip', value })),
      ...users.map((value) => ({ type: 'user', value })),
      ...fileHashes(draft.hashes).map((value) => ({ type: 'hash', value })),
    ],
    network: semantics.network,
    ot: semantics.ot,
    attacks: semantics.attacks,
    category: semantics.category,
    source: { name: ctx.source, product: draft.product },
    rawSha256: ctx.rawSha256,
  };
  if (Object.keys(provenance).length > 0) alert.provenance = provenance;
  if (draft.vendorSeverity !== undefined) alert.vendorSeverity = String(draft.vendorSeverity);
  if (draft.src !== undefined) alert.src = draft.src;
  if (draft.dst !== undefined) alert.dst = draft.dst;
  const finished = parseBody(alertSchema, alert, ctx.source);
  if (draft.time === undefined) receiptTimed.add(finished);
  return finished;
}

const FILE_HASH = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/;

/** Distinct file hashes, lower-cased; anything that is not a hex MD5, SHA-1 or SHA-256 is dropped. */
function fileHashes(hashes: AlertDraft['hashes']): string[] {
  return unique((hashes ?? []).map((h) => h?.trim().toLowerCase()).filter((h) => h !== undefined && FILE_HASH.test(h)));
}

/** The uid alert.ts prescribes when the vendor sends no ID. */
export function fallbackUid(ctx: NormalizeContext, index?: number): string {
  return index === undefined ? `${ctx.source}:${ctx.rawSha256}` : `${ctx.source}:${ctx.rawSha256}:${index}`;
}
