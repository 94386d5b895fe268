/**
 * Microsoft Defender for IoT sensor alert. Severity Warning|Minor|Major|Critical; `engine`
 * one of Protocol Violation, Policy Violation, Malware, Anomaly, Operational; `time` in
 * epoch ms. The vendor's own examples vary key casing ("additionalinformation" vs
 * "additionalInformation"), so keys are matched case-insensitively: they are lower-cased
 * before validation (field paths in errors are therefore lower-case).
 *
 * Meaning: the sensor alert API (/api/v1/alerts) documents no type ID, port or ATT&CK field.
 * The title names the detection: it is mapped through src/intake/mappings/defender-iot-titles.ts
 * (Microsoft's alert reference: category and ATT&CK techniques per title); an unlisted title
 * takes its category from the engine. `additionalInformation.information[]` holds "Key: value"
 * lines; the keys read are protocol, function / function code / command, and source /
 * destination port (case-insensitive); every line also counts as the alert's own words.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
import { normalizeTransport } from '../../alerts/vocabulary';
import { categoryOfEngine, DEFENDER_IOT_TITLE_TABLE } from '../mappings/defender-iot-titles';
import { draftFromEntry, lookup } from '../mappings/meaning-table';
import {
  endpoint,
  epochMillis,
  finishAlert,
  parseBody,
  severityFromWord,
  toIsoUtc,
  vendorTimeString,
  type NormalizeContext,
} from './common';
import { functionCodeInText } from './function-code';
import type { SemanticsDraft } from './semantics';

export const PRODUCT = 'Microsoft Defender for IoT';

// Alerts about one device (e.g. Operational "device disconnected") send null for the other side.
const deviceAddress = z.string().nullish();

export const bodySchema = z.preprocess(
  lowerCaseKeys,
  z.object({
    id: z.union([z.number().int(), z.string().min(1)]),
    time: z.union([epochMillis, vendorTimeString]).optional(),
    title: z.string().trim().min(1, 'must not be empty'),
    message: z.string().optional(),
    severity: z.string(),
    engine: z.string().optional(),
    sourcedevice: z.union([z.number(), z.string()]).nullish(),
    destinationdevice: z.union([z.number(), z.string()]).nullish(),
    sourcedeviceaddress: deviceAddress,
    destinationdeviceaddress: deviceAddress,
    sourcedevicename: z.string().nullish(),
    destinationdevicename: z.string().nullish(),
    // Free-form; read leniently (informationLines): a malformed block never loses the alert.
    additionalinformation: z.unknown().optional(),
  }),
);

export type DefenderIotAlertBody = z.input<typeof bodySchema>;

const SEVERITY_WORDS: Record<string, Severity> = {
  warning: 'low',
  minor: 'medium',
  major: 'high',
  critical: 'critical',
};

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  // Sensor alerts describe traffic from a source device to a destination device; the
  // destination (e.g. the PLC being programmed) is the affected asset.
  const dst = endpoint(b.destinationdevicename, b.destinationdeviceaddress);
  const src = endpoint(b.sourcedevicename, b.sourcedeviceaddress);
  return [
    finishAlert(
      {
        uid: String(b.id),
        time: toIsoUtc(b.time),
        title: b.title,
        severity: severityFromWord(b.severity, SEVERITY_WORDS),
        vendorSeverity: b.severity,
        // No rule ID exists: the engine and alert title together name the detection.
        rule: { name: b.engine === undefined ? b.title : `${b.engine}: ${b.title}` },
        src,
        dst,
        product: PRODUCT,
        semantics: semanticsOf(b),
      },
      ctx,
    ),
  ];
}

type DefenderBody = z.output<typeof bodySchema>;

function semanticsOf(b: DefenderBody): SemanticsDraft {
  const info = informationOf(b.additionalinformation);
  const mapped = draftFromEntry(DEFENDER_IOT_TITLE_TABLE, lookup(DEFENDER_IOT_TITLE_TABLE, b.title));
  const provenance = { ...mapped.provenance };
  let category = mapped.category;
  if (category === undefined) {
    category = categoryOfEngine(b.engine);
    if (category !== undefined) provenance['category'] = 'vendor';
  }
  const field = (...keys: string[]) => keys.map((k) => info.fields.get(k)).find((v) => v !== undefined);
  const functionWord = field('function code', 'function', 'command', 'service');
  return {
    protocol: field('protocol'),
    transport: normalizeTransport(field('transport')),
    srcPort: portOf(field('source port', 'src port')),
    dstPort: portOf(field('destination port', 'dst port', 'port')),
    operation: mapped.operation,
    mode: mapped.mode,
    category,
    attacks: mapped.attacks,
    functionCode: functionWord ?? functionCodeInText(b.message),
    provenance,
    text: [b.message, info.description, ...info.lines],
  };
}

interface Information {
  description: string | undefined;
  lines: string[];
  /** "Key: value" lines by lower-cased key (the first line with a key wins). */
  fields: Map<string, string>;
}

const informationSchema = z.object({
  description: z.string().nullish(),
  information: z.array(z.unknown()).nullish(),
});

function informationOf(raw: unknown): Information {
  const parsed = informationSchema.safeParse(raw);
  const lines = parsed.success ? (parsed.data.information ?? []).filter((l): l is string => typeof l === 'string') : [];
  const fields = new Map<string, string>();
  for (const line of lines) {
    const match = /^\s*([^:]{1,40}?)\s*:\s*(.+?)\s*$/.exec(line);
    if (match === null) continue;
    const key = (match[1] ?? '').toLowerCase().replace(/\s+/g, ' ');
    if (!fields.has(key)) fields.set(key, match[2] ?? '');
  }
  return { description: parsed.success ? (parsed.data.description ?? undefined) : undefined, lines, fields };
}

function portOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value.trim())) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}

/** Lower-cases object keys recursively; on a clash the first key in the body wins. */
export function lowerCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (lower === '__proto__' || Object.hasOwn(out, lower)) continue;
    out[lower] = lowerCaseKeys(child);
  }
  return out;
}
