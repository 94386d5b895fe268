/**
 * Helpers the end-to-end tests share: deliver an alert, find its pending approval, decide it,
 * and wait for its audit records. Each takes the file's Stack so one implementation serves all.
 */
import type { AuditRecord } from '../../src/audit/types';
import { CrowdStrikeClient } from '../../integrations';
import { eventually, type API_KEYS, type Stack } from './stack';

export type Operator = keyof typeof API_KEYS;

/** What intake answers (202) for an accepted webhook delivery. */
export interface IntakeAnswer {
  incidentId: string;
  workflowId: string;
  deduplicated: boolean;
}

/** An approval request as GET /approvals lists it (the fields the tests read). */
export interface Approval {
  id: string;
  incidentId: string;
  status: string;
  stepId: string;
  requiredApprovals: number;
  requiredRoles: string[];
  actionDigest: string;
  expiresAt: string;
  target: { assetId?: string; zone?: string };
  decision?: { rule: string };
}

export const types = (records: AuditRecord[]) => records.map((r) => r.eventType);

/** Expects a webhook delivery to have been accepted (202) and returns intake's answer. */
export async function accepted(response: Response): Promise<IntakeAnswer> {
  const body = await response.text();
  // Status and body together, so a refusal shows intake's error in the failure message.
  expect({ status: response.status, body }).toEqual({ status: 202, body: expect.any(String) });
  return JSON.parse(body) as IntakeAnswer;
}

/** POSTs an alert to a webhook, expects it accepted and returns its incident ID. */
export async function acceptedIncident(
  stack: Stack,
  body: unknown,
  source: 'splunk' | 'generic' = 'generic',
): Promise<string> {
  return (await accepted(await stack.webhook(source, body))).incidentId;
}

/** The incident's audit records as they are now (no wait, no status check). */
export async function auditRecords(stack: Stack, incidentId: string): Promise<AuditRecord[]> {
  const response = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'alice' });
  return ((await response.json()) as { records: AuditRecord[] }).records;
}

/** Polls the incident's audit records until `until` holds (or the timeout passes). */
export async function auditOf(
  stack: Stack,
  incidentId: string,
  until: (records: AuditRecord[]) => boolean,
  timeoutMs = 20_000,
  what = `audit records of ${incidentId}`,
): Promise<AuditRecord[]> {
  return eventually(
    async () => {
      const response = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'alice' });
      if (response.status !== 200) return undefined;
      const { records } = (await response.json()) as { records: AuditRecord[] };
      return until(records) ? records : undefined;
    },
    what,
    timeoutMs,
  );
}

/** Polls GET /approvals until the incident has a pending approval, listed as `operator`. */
export async function pendingApprovalFor(
  stack: Stack,
  incidentId: string,
  operator: Operator = 'omar',
): Promise<Approval> {
  return eventually(async () => {
    const response = await stack.api(`/approvals?status=pending&incidentId=${incidentId}`, { operator });
    const { approvals } = (await response.json()) as { approvals: Approval[] };
    return approvals[0];
  }, `a pending approval for ${incidentId}`);
}

export interface DecisionAnswer {
  status: number;
  body: Record<string, unknown> & {
    status?: string;
    approvalsRemaining?: number;
    error?: { code: string; message: string };
  };
}

/**
 * POSTs /approvals/{id}/decision as an operator (or with a raw API key). `decision` is either
 * the whole request body or 'approve'/'reject', sent with the reason "test <decision>".
 */
export async function decide(
  stack: Stack,
  approvalId: string,
  who: Operator | { operator: Operator } | { apiKey: string },
  decision: 'approve' | 'reject' | Record<string, unknown> = { decision: 'approve' },
): Promise<DecisionAnswer> {
  const body = typeof decision === 'string' ? { decision, reason: `test ${decision}` } : decision;
  const caller = typeof who === 'string' ? { operator: who } : who;
  const response = await stack.api(`/approvals/${approvalId}/decision`, { method: 'POST', ...caller, body });
  return { status: response.status, body: (await response.json()) as DecisionAnswer['body'] };
}

/**
 * Lifts a host's containment at the CrowdStrike stub, as an analyst would in the console, so a
 * test starts from a host that is not contained.
 */
export async function liftContainment(stack: Stack, deviceId: string): Promise<void> {
  const falcon = new CrowdStrikeClient({
    baseUrl: stack.crowdstrike.url,
    clientId: stack.crowdstrike.clientId,
    clientSecret: stack.crowdstrike.clientSecret,
    timeout: 5_000,
  });
  await falcon.liftContainment(deviceId);
  if (stack.crowdstrike.contained.has(deviceId)) throw new Error(`${deviceId} is still contained`);
}
