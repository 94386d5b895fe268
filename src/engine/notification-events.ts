import type { AuditContext } from './contracts';
import type { Alert } from '../alerts/alert';
import type { PolicyDecision } from '../policy/types';
import type { ApprovalVote } from '../approvals/messages';

/**
 * What people are told, and when. Workflows emit these without waiting on them: a slow or
 * unreachable Slack or SMTP server never holds up the safety logic (the API can always
 * decide an approval). Delivery is retried by the activity and failures are audited.
 */
export type NotificationEvent =
  | {
      kind: 'incident.opened';
      context: AuditContext;
      title: string;
      severity: string;
      /** The first alert: its hosts place the incident in zones, whose owner and shift lead are told (rule 15). */
      alert?: Alert;
    }
  | { kind: 'incident.closed'; context: AuditContext; alertCount: number; duplicateCount: number }
  | {
      /** An OT alert no playbook handles: the SOC channel and the zones' owners are told, once per incident. */
      kind: 'incident.unhandled';
      context: AuditContext;
      title: string;
      severity: string;
      source: string;
      zones: string[];
      unknown: string[];
      reason: string;
    }
  | { kind: 'playbook.finished'; context: AuditContext; outcomes: { stepId: string; status: string; rule?: string }[] }
  | {
      kind: 'approval.requested';
      context: AuditContext;
      approvalId: string;
      decision: PolicyDecision;
      expiresAt: string;
    }
  | {
      kind: 'approval.vote';
      context: AuditContext;
      approvalId: string;
      decision: PolicyDecision;
      vote: ApprovalVote;
      approvalsRemaining: number;
    }
  | {
      kind: 'approval.escalated';
      context: AuditContext;
      approvalId: string;
      decision: PolicyDecision;
      expiresAt: string;
    }
  | {
      kind: 'approval.closed';
      context: AuditContext;
      approvalId: string;
      decision: PolicyDecision;
      status: 'approved' | 'rejected' | 'expired';
      votes: ApprovalVote[];
    }
  | {
      /**
       * Rules 5 and 9: something needs people now (a fail-safe refusal, a safety system, the
       * audit store unreachable). Sent to the OT approvers, the safety owners and the SOC.
       * Delivered even when PostgreSQL is down: de-duplication is best effort for this kind.
       */
      kind: 'people.alerted';
      context: AuditContext;
      /** Identifies the alert: one delivery per ID while the database can tell. */
      alertId: string;
      subject: string;
      rule: string;
      reason: string;
    };

export interface Notifier {
  notify(event: NotificationEvent): Promise<void>;
}

/** Used when neither Slack nor email is configured: nothing to deliver. */
export const SILENT_NOTIFIER: Notifier = {
  notify: () => Promise.resolve(),
};
