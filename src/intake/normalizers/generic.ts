/**
 * Generic JSON alert format — for any sender without its own normalizer.
 *
 * POST /webhooks/generic   Content-Type: application/json
 *
 * {
 *   "id":       "gen-20261120-0001",            // optional; the sender's alert ID. Re-sending the
 *                                                //   same id lets Interlock recognise a duplicate.
 *                                                //   Default: "<source>:<sha256 of body>".
 *   "time":     "2026-11-20T11:00:00Z",         // optional; ISO-8601 with Z or ±hh:mm offset.
 *                                                //   Default: time of receipt.
 *   "title":    "Suspicious login from TOR",    // required, non-empty
 *   "severity": "medium",                       // required: informational | low | medium | high |
 *                                                //   critical (case-insensitive), or the OCSF
 *                                                //   number 0-6 (0 unknown … 5 critical, 6 fatal)
 *   "rule":     { "id": "auth-tor-01", "name": "Login from TOR" },   // optional; id and name
 *                                                //   each optional (id may be a number)
 *   "hosts":    [{ "name": "vpn-gw-01", "ip": "10.30.0.2" }],       // optional; affected hosts,
 *                                                //   most relevant first; each needs name or ip
 *   "ips":      ["185.220.101.4"],              // optional; other IP addresses involved
 *   "users":    ["a.novak"],                    // optional; user names involved
 *   "src":      { "host": "eng-ws-03", "ip": "10.10.4.17" },        // optional network
 *   "dst":      { "host": "plc-07",    "ip": "10.20.1.7" },         //   direction: origin and
 *                                                //   target (e.g. a Modbus write IT host → PLC);
 *                                                //   each needs host or ip
 *   "product":  "Acme IDS"                      // optional; the sending product's name.
 *                                                //   Default: "generic"
 * }
 *
 * Every IP address must be a valid IPv4 or IPv6 address. Unknown fields are ignored. The
 * normalized alert's hosts are "hosts", then "dst", then "src" (merged when they name the
 * same host); its IPs are "ips" plus every host/src/dst IP.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import { SEVERITIES } from '../../alerts/alert';
import { endpoint, finishAlert, fallbackUid, parseBody, toIsoUtc, type NormalizeContext } from './common';

export const PRODUCT = 'generic';

const GENERIC_SEVERITY_WORDS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });

const networkEndpoint = z
  .object({ host: nonEmpty.optional(), ip: ipAddress.optional() })
  .refine((e) => e.host !== undefined || e.ip !== undefined, 'needs "host" or "ip"');

export const bodySchema = z.object({
  id: nonEmpty.optional(),
  time: z
    .string()
    .refine(
      (s) => toIsoUtc(s) !== undefined && !/^\d+(\.\d+)?$/.test(s.trim()),
      'expected an ISO-8601 timestamp with a time zone',
    )
    .optional(),
  title: nonEmpty,
  severity: z.union([z.string(), z.number()]).refine((v) => genericSeverity(v) !== undefined, {
    error: `expected one of ${GENERIC_SEVERITY_WORDS.join(', ')} or an integer 0-6`,
  }),
  rule: z.object({ id: z.union([nonEmpty, z.number()]).optional(), name: nonEmpty.optional() }).optional(),
  hosts: z
    .array(
      z
        .object({ name: nonEmpty.optional(), ip: ipAddress.optional() })
        .refine((h) => h.name !== undefined || h.ip !== undefined, 'a host needs "name" or "ip"'),
    )
    .default([]),
  ips: z.array(ipAddress).default([]),
  users: z.array(nonEmpty).default([]),
  src: networkEndpoint.optional(),
  dst: networkEndpoint.optional(),
  product: nonEmpty.optional(),
});

function genericSeverity(value: string | number): Severity | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? SEVERITIES[value] : undefined;
  const word = value.trim().toLowerCase();
  return (GENERIC_SEVERITY_WORDS as readonly string[]).includes(word) ? (word as Severity) : undefined;
}

export type GenericAlertBody = z.input<typeof bodySchema>;

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  return [
    finishAlert(
      {
        uid: b.id ?? fallbackUid(ctx),
        time: toIsoUtc(b.time),
        title: b.title,
        severity: genericSeverity(b.severity) ?? 'unknown',
        vendorSeverity: b.severity,
        rule: { uid: b.rule?.id, name: b.rule?.name },
        hosts: b.hosts.map((h) => endpoint(h.name, h.ip)),
        ips: b.ips,
        users: b.users,
        src: b.src && endpoint(b.src.host, b.src.ip),
        dst: b.dst && endpoint(b.dst.host, b.dst.ip),
        product: b.product ?? PRODUCT,
      },
      ctx,
    ),
  ];
}
