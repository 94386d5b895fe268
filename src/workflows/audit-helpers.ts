import type { Alert } from '../alerts/alert';
import type { AuditActor, AuditEventInput } from '../audit/types';

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
