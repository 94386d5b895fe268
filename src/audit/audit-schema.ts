import { z } from 'zod';
import { AUDIT_EVENT_TYPES, type AuditEventInput } from './types';

/**
 * zod mirror of AuditEventInput (types.ts). The top level is strict, so a misspelt field is
 * refused with its path instead of silently dropped (`details` is the place for extras).
 * Nested objects keep unknown keys: e.g. a policy ResolvedTarget carries zone mode and EDR
 * IDs, which belong in the record, and losing them silently would be worse.
 */
const isoUtc = z.iso.datetime();
const text = z.string().min(1);

export const auditActorSchema = z.looseObject({
  type: z.enum(['system', 'operator']),
  id: text,
  roles: z.array(z.string()).optional(),
  channel: z.enum(['api', 'slack', 'cli', 'webhook', 'engine', 'console']).optional(),
});

export const auditTargetSchema = z.looseObject({
  ref: text,
  assetId: z.string().optional(),
  ips: z.array(z.string()).optional(),
  zone: z.string().optional(),
  purdueLevel: z.number().optional(),
  kind: z.string().optional(),
  criticality: z.string().optional(),
  safetySystem: z.boolean().optional(),
  known: z.boolean(),
});

export const auditDecisionSchema = z.looseObject({ outcome: text, rule: text, reason: z.string() });

export const approverSchema = z.looseObject({
  operatorId: text,
  roles: z.array(z.string()),
  decision: text,
  at: isoUtc,
  channel: text,
});

export const auditEventInputSchema = z.strictObject({
  idempotencyKey: text,
  time: isoUtc,
  incidentId: text,
  workflowId: z.string().optional(),
  runId: z.string().optional(),
  playbookId: z.string().optional(),
  playbookVersion: z.number().int().optional(),
  stepId: z.string().optional(),
  actor: auditActorSchema,
  eventType: z.enum(AUDIT_EVENT_TYPES),
  trigger: z
    .looseObject({
      source: z.string(),
      alertUid: z.string(),
      title: z.string(),
      severity: z.string(),
      rawSha256: z.string(),
    })
    .optional(),
  target: auditTargetSchema.optional(),
  decision: auditDecisionSchema.optional(),
  approval: z
    .looseObject({
      approvalId: text,
      requester: z.string().optional(),
      requiredApprovals: z.number().int().optional(),
      requiredRoles: z.array(z.string()).optional(),
      approvers: z.array(approverSchema).optional(),
      expiresAt: isoUtc.optional(),
      actionDigest: z.string().optional(),
      breakGlass: z.boolean().optional(),
      justification: z.string().optional(),
    })
    .optional(),
  action: z
    .looseObject({
      type: text,
      params: z.record(z.string(), z.unknown()),
      enforcementPoint: z.string(),
      digest: z.string().optional(),
    })
    .optional(),
  result: z
    .looseObject({
      status: z.enum(['succeeded', 'failed', 'skipped', 'refused', 'pending']),
      detail: z.string().optional(),
    })
    .optional(),
  details: z.record(z.string(), z.unknown()).optional(),
}) satisfies z.ZodType<AuditEventInput>;

/** Formats zod issues as "path: message" lines for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
