/**
 * Microsoft Defender for IoT sensor alert. Severity Warning|Minor|Major|Critical; `engine`
 * one of Protocol Violation, Policy Violation, Malware, Anomaly, Operational; `time` in
 * epoch ms. The vendor's own examples vary key casing ("additionalinformation" vs
 * "additionalInformation"), so keys are matched case-insensitively: they are lower-cased
 * before validation (field paths in errors are therefore lower-case).
 */
import { z } from 'zod';
import type { Alert, Severity } from '../../alerts/alert';
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
      },
      ctx,
    ),
  ];
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
