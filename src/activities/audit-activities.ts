import type { AuditEventInput } from '../audit/types';
import type { InterlockActivities } from '../engine/contracts';
import type { AuditWriter } from './activity-support';

/** Audit records the workflows write themselves (run started, step skipped, incident closed…). */
export function createAuditActivities({
  appendAudit,
  appendAudits,
}: AuditWriter): Pick<InterlockActivities, 'recordAudit' | 'recordAudits'> {
  return {
    async recordAudit(event: AuditEventInput): Promise<void> {
      await appendAudit(event);
    },

    /** Several records in one call, appended in order in one transaction (one local-activity round trip). */
    async recordAudits(events: AuditEventInput[]): Promise<void> {
      await appendAudits(events);
    },
  };
}
