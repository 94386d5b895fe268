import type { Alert } from '../alerts/alert';
import type { AuditActor, AuditEventInput } from '../audit/types';
import { repairText } from '../intake/untrusted-text';

export const ENGINE_ACTOR: AuditActor = { type: 'system', id: 'interlock', channel: 'engine' };

export function triggerOf(alert: Alert): NonNullable<AuditEventInput['trigger']> {
  return {
    source: alert.source.name,
    alertUid: alert.uid,
    title: alert.title,
    severity: alert.severity,
    rawSha256: alert.rawSha256,
  };
}

/** Longest text a quarantine record keeps of any one alert field. */
const QUARANTINE_FIELD_CHARS = 512;

function recordable(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  // Repaired, then cut; a cut that splits a surrogate pair ends in U+FFFD instead.
  return repairText(text)
    .slice(0, QUARANTINE_FIELD_CHARS)
    .replace(/[\uD800-\uDBFF]$/, '\uFFFD');
}

/**
 * The trigger of an alert that could not be recorded as received: every field repaired
 * (untrusted-text.ts) and cut short, so this record can always be written. The raw-body hash
 * still names exactly what was received.
 */
export function quarantineTriggerOf(alert: Alert): NonNullable<AuditEventInput['trigger']> {
  const fields = alert as Partial<Alert> | undefined;
  return {
    source: recordable(fields?.source?.name),
    alertUid: recordable(fields?.uid),
    title: recordable(fields?.title),
    severity: recordable(fields?.severity),
    rawSha256: recordable(fields?.rawSha256),
  };
}
