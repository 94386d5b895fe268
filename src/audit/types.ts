/**
 * Audit trail records (ot-safety.md, "Audit record content"). The workflow side builds an
 * AuditEventInput; the store adds sequence number, hashes and the record time.
 */
export const AUDIT_EVENT_TYPES = [
  'alert.received',
  'alert.duplicate',
  /**
   * An accepted alert whose records could not be written as received: kept with its source,
   * raw-body hash and the reason, and not acted on. Its incident goes on with later alerts.
   */
  'alert.quarantined',
  'incident.opened',
  'incident.closed',
  /** An OT alert at or above the configured severity that no playbook handles (issue 15). */
  'incident.unhandled',
  'playbook.started',
  'playbook.completed',
  'playbook.failed',
  'policy.decided',
  'approval.requested',
  'approval.decided',
  'approval.expired',
  'action.executed',
  'action.failed',
  'action.skipped',
  'people.alerted',
  'approval.escalated',
  'notification.failed',
  /** An operator's decision the approval rules refused (who, which rule), e.g. a Slack click. */
  'approval.refused',
  /**
   * A request claiming to come from Slack that failed verification (signature, age, replay).
   * No longer written (issue 13: unauthenticated callers must not grow the audit trail; such
   * refusals are counted in interlock_slack_requests_refused_total instead); kept because
   * records written before remain in the chain and must still parse.
   */
  'slack.request_refused',
  /** A task (ticket) for people: a recommendation the engine never executes itself (rules 4, 12). */
  'task.created',
  /** Saga rollback (rule 10): earlier actions are being undone after a failure. */
  'playbook.rolling-back',
  /** Case work (issue 17): an operator changed the status, assignee or tags (details.changes: only what changed). */
  'case.updated',
  /** Case work: an operator's comment on the incident (details.text, untrusted). */
  'case.commented',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditActor {
  type: 'system' | 'operator';
  /** "interlock" for the engine, else the operator ID. */
  id: string;
  roles?: string[];
  channel?: 'api' | 'slack' | 'cli' | 'webhook' | 'engine' | 'console';
}

export interface AuditTarget {
  ref: string;
  assetId?: string;
  ips?: string[];
  zone?: string;
  purdueLevel?: number;
  kind?: string;
  criticality?: string;
  safetySystem?: boolean;
  known: boolean;
}

export interface AuditEventInput {
  /** Unique per logical event: a retried write with the same key is stored once. */
  idempotencyKey: string;
  /** When the event happened (ISO-8601 UTC). */
  time: string;
  incidentId: string;
  workflowId?: string;
  runId?: string;
  playbookId?: string;
  playbookVersion?: number;
  stepId?: string;
  actor: AuditActor;
  eventType: AuditEventType;
  trigger?: { source: string; alertUid: string; title: string; severity: string; rawSha256: string };
  target?: AuditTarget;
  decision?: { outcome: string; rule: string; reason: string };
  approval?: {
    approvalId: string;
    requester?: string;
    requiredApprovals?: number;
    requiredRoles?: string[];
    approvers?: { operatorId: string; roles: string[]; decision: string; at: string; channel: string }[];
    expiresAt?: string;
    actionDigest?: string;
    breakGlass?: boolean;
    justification?: string;
  };
  action?: { type: string; params: Record<string, unknown>; enforcementPoint: string; digest?: string };
  result?: { status: 'succeeded' | 'failed' | 'skipped' | 'refused' | 'pending'; detail?: string };
  details?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEventInput {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Number of records checked. */
  checked: number;
  /** The first record that does not verify, with why (and, when the row exists, which event it is). */
  firstBroken?: {
    seq: number;
    reason: string;
    idempotencyKey?: string;
    incidentId?: string;
    eventType?: string;
  };
  /** Present after retention pruning: the chain was verified from this checkpoint (the last pruned record). */
  checkpoint?: { seq: number; hash: string; createdAt: string };
}
