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
 *   "hashes":   ["275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"],
 *                                                // optional; files involved, as hex MD5, SHA-1
 *                                                //   or SHA-256 (observables of type "hash")
 *   "src":      { "host": "eng-ws-03", "ip": "10.10.4.17" },        // optional network
 *   "dst":      { "host": "plc-07",    "ip": "10.20.1.7" },         //   direction: origin and
 *                                                //   target (e.g. a Modbus write IT host → PLC);
 *                                                //   each needs host or ip
 *   "product":  "Acme IDS",                     // optional; the sending product's name.
 *                                                //   Default: "generic"
 *
 *   // Optional meaning — say what the alert is about; whatever is left out is derived from
 *   // the ports, the ATT&CK techniques and the alert's words (alert.provenance says which).
 *   "network":  { "protocol": "Modbus/TCP",     // free text, normalized to the documented list
 *                                                //   (src/alerts/vocabulary.ts); your word is kept
 *                                                //   as network.protocolName
 *                 "transport": "tcp",            // tcp | udp | icmp | sctp | other
 *                 "srcPort": 50122, "dstPort": 502,   // integers 0-65535
 *                 "direction": "lateral" },      // inbound | outbound | lateral | local | unknown
 *   "ot":       { "operation": "write",          // read | write | program_download |
 *                                                //   program_upload | mode_change | firmware_update |
 *                                                //   config_change | new_device | new_communication |
 *                                                //   scan | safety_access | unknown
 *                 "mode": "stop",                // with operation mode_change (implied when the
 *                                                //   operation is left out): run | stop | program |
 *                                                //   remote | test | reset | unknown
 *                 "functionCode": 16 },          // number or string ("16", "0x29", "STOP_CPU")
 *   "attacks":  ["T0855", { "id": "T0836", "name": "Modify Parameter",
 *                           "tactic": "Impair Process Control" }],  // MITRE ATT&CK technique IDs
 *                                                //   (ICS T08xx or Enterprise T1xxx[.nnn]), or
 *                                                //   objects with optional name and tactic(s)
 *                                                //   (names or TA IDs, a string or a list)
 *   "category": "unauthorized_change"           // ransomware | malware | phishing |
 *                                                //   credential_access | lateral_movement |
 *                                                //   command_and_control | exfiltration |
 *                                                //   reconnaissance | initial_access | execution |
 *                                                //   persistence | privilege_escalation |
 *                                                //   defense_evasion | impact | denial_of_service |
 *                                                //   unauthorized_change | policy_violation | anomaly |
 *                                                //   vulnerability | operational | unknown
 * }
 *
 * Every IP address must be a valid IPv4 or IPv6 address. Words from a closed list (transport,
 * direction, operation, mode, category) are matched case-insensitively; any other word is
 * refused with a 4xx naming the field (e.g. "ot.operation"). Unknown fields are ignored. The
 * normalized alert's hosts are "hosts", then "dst", then "src" (merged when they name the
 * same host); its IPs are "ips" plus every host/src/dst IP.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import { SEVERITIES } from '../../alerts/alert';
import { attackRef, tacticRef } from '../../alerts/attack';
import { CATEGORIES, CONTROLLER_MODES, DIRECTIONS, OT_OPERATIONS, TRANSPORTS } from '../../alerts/vocabulary';
import { endpoint, finishAlert, fallbackUid, parseBody, toIsoUtc, type NormalizeContext } from './common';
import type { SemanticsDraft } from './semantics';

export const PRODUCT = 'generic';

const GENERIC_SEVERITY_WORDS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });

const networkEndpoint = z
  .object({ host: nonEmpty.optional(), ip: ipAddress.optional() })
  .refine((e) => e.host !== undefined || e.ip !== undefined, 'needs "host" or "ip"');

/** A closed-list word, matched case-insensitively. */
function word<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(values));
}

const port = z.number().int().min(0).max(65535);
const techniqueId = z
  .string()
  .trim()
  .regex(/^T\d{4}(\.\d{3})?$/i, 'expected an ATT&CK technique ID such as T0843 or T1021.001');
const tactics = z.union([nonEmpty, z.array(nonEmpty)]);

const networkSchema = z.object({
  protocol: nonEmpty.optional(),
  transport: word(TRANSPORTS).optional(),
  srcPort: port.optional(),
  dstPort: port.optional(),
  direction: word(DIRECTIONS).optional(),
});

const otSchema = z
  .object({
    operation: word(OT_OPERATIONS).optional(),
    mode: word(CONTROLLER_MODES).optional(),
    functionCode: z.union([nonEmpty, z.number().int().min(0)]).optional(),
  })
  .refine((ot) => ot.mode === undefined || ot.operation === undefined || ot.operation === 'mode_change', {
    message: 'a mode is the new controller mode of a mode_change',
    path: ['mode'],
  });

const attackSchema = z.union([
  techniqueId,
  z.object({ id: techniqueId, name: nonEmpty.optional(), tactic: tactics.optional() }),
]);

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
  hashes: z
    .array(
      z
        .string()
        .trim()
        .regex(/^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i, 'expected a hex MD5, SHA-1 or SHA-256'),
    )
    .default([]),
  src: networkEndpoint.optional(),
  dst: networkEndpoint.optional(),
  product: nonEmpty.optional(),
  network: networkSchema.optional(),
  ot: otSchema.optional(),
  attacks: z.array(attackSchema).optional(),
  category: word(CATEGORIES).optional(),
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
        hashes: b.hashes,
        src: b.src && endpoint(b.src.host, b.src.ip),
        dst: b.dst && endpoint(b.dst.host, b.dst.ip),
        product: b.product ?? PRODUCT,
        semantics: semanticsOf(b),
      },
      ctx,
    ),
  ];
}

/** The sender's own statement of meaning; everything it leaves out is derived (semantics.ts). */
function semanticsOf(b: z.output<typeof bodySchema>): SemanticsDraft {
  const ot = b.ot;
  return {
    protocol: b.network?.protocol,
    transport: b.network?.transport,
    srcPort: b.network?.srcPort,
    dstPort: b.network?.dstPort,
    direction: b.network?.direction,
    // A mode alone says the controller's mode was changed.
    operation: ot?.operation ?? (ot?.mode === undefined ? undefined : 'mode_change'),
    mode: ot?.mode,
    functionCode: ot?.functionCode,
    attacks: (b.attacks ?? []).map((a) =>
      typeof a === 'string'
        ? attackRef(a)
        : attackRef(
            a.id,
            a.name,
            (a.tactic === undefined ? [] : Array.isArray(a.tactic) ? a.tactic : [a.tactic])
              .map((t) => tacticRef(/^TA\d{4}$/i.test(t) ? { uid: t } : { name: t }))
              .filter((t) => t !== undefined),
          ),
    ),
    category: b.category,
  };
}
