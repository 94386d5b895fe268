/**
 * What the CLI reads from the API's answers (docs/api.md). Loose objects: the CLI checks the
 * fields it prints and passes the rest through to `--json` untouched.
 */
import { z } from 'zod';
import { approvalRowSchema } from '../approvals/approval-store';

const nullableString = z.string().nullable();

export const incidentSummarySchema = z.looseObject({
  incidentId: z.string(),
  status: z.enum(['open', 'closed']),
  severity: nullableString,
  title: nullableString,
  sources: z.array(z.string()),
  zones: z.array(z.string()),
  unhandled: z.boolean(),
  alertCount: z.number(),
  openedAt: z.string(),
  closedAt: nullableString,
  caseStatus: z.string(),
  assignee: nullableString,
});

export const incidentListSchema = z.looseObject({
  incidents: z.array(incidentSummarySchema),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
  nextOffset: z.number().optional(),
});

const descriptionSchema = z.looseObject({ text: z.string(), technical: z.string() });

/** An approval as GET /approvals lists it: the stored row and the action in words. */
export const listedApprovalSchema = approvalRowSchema.extend({ description: descriptionSchema }).loose();

export const approvalListSchema = z.looseObject({
  approvals: z.array(listedApprovalSchema),
  nextCursor: z.string().optional(),
});

export const decisionAnswerSchema = z.looseObject({
  approvalId: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  approvalsRemaining: z.number(),
});

const detailApprovalSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  stepId: z.string(),
  requiredApprovals: z.number(),
  decisions: z.array(z.looseObject({ operatorId: z.string(), decision: z.string() })),
  expiresAt: z.string(),
  description: descriptionSchema.optional(),
});

export const incidentDetailSchema = z.looseObject({
  incidentId: z.string(),
  status: nullableString,
  summary: incidentSummarySchema.optional(),
  alerts: z.array(z.looseObject({ time: z.string(), trigger: z.looseObject({ title: z.string() }).optional() })),
  runs: z.array(z.looseObject({ playbookId: z.string(), status: z.string(), startedAt: z.string() })),
  approvals: z.array(detailApprovalSchema),
  pendingApprovals: z.array(detailApprovalSchema),
  actions: z.array(
    z.looseObject({
      time: z.string(),
      eventType: z.string(),
      stepId: z.string().optional(),
      action: z.looseObject({ type: z.string(), enforcementPoint: z.string().optional() }).optional(),
      target: z.looseObject({ ref: z.string() }).optional(),
      result: z.looseObject({ status: z.string(), detail: z.string().optional() }).optional(),
    }),
  ),
  case: z.looseObject({ status: z.string(), assignee: nullableString }),
  links: z.looseObject({ timeline: z.string(), audit: z.string(), evidence: z.string() }),
});

export const verifyResultSchema = z.looseObject({
  ok: z.boolean(),
  checked: z.number(),
  firstBroken: z
    .looseObject({
      seq: z.number(),
      reason: z.string(),
      idempotencyKey: z.string().optional(),
      incidentId: z.string().optional(),
      eventType: z.string().optional(),
    })
    .optional(),
  checkpoint: z.looseObject({ seq: z.number() }).optional(),
});

export const auditExportSchema = z.looseObject({
  incidentId: z.string(),
  records: z.array(z.looseObject({ seq: z.number() })),
});

export const dryRunSchema = z.looseObject({
  playbook: z.looseObject({ id: z.string(), version: z.number() }),
  incidentId: z.string(),
  triggerMatches: z.boolean(),
  alert: z.looseObject({ title: z.string(), severity: z.string() }),
  sideEffects: z.literal('none'),
  steps: z.array(
    z.looseObject({
      stepId: z.string(),
      action: z.string(),
      status: z.string(),
      detail: z.string().optional(),
      outcome: z.string().optional(),
      rule: z.string().optional(),
      target: z.looseObject({ ref: z.string(), zone: z.string().optional() }).optional(),
    }),
  ),
});
