/**
 * The playbook format: triggers, then steps. WORKFLOW-SAFE (zod and the CEL checker are
 * pure JS), so the interpreter workflow can import the types and re-validate if it wants.
 *
 * There is deliberately no approval step: whether an action needs approval is decided by
 * the engine's policy for every action (ot-safety.md), never by the playbook author.
 */
import { z } from 'zod';
import { ACTION_TYPES } from '../actions/catalog';
import { checkStepParams } from '../actions/params';
import { SEVERITIES } from '../alerts/alert';
import { checkCondition, checkTemplate, isTemplate } from './expressions';

const APPROVAL_KEY = /approv/i;
export const APPROVAL_ENFORCED_MESSAGE =
  'approvals are enforced by the engine (policy per target, ot-safety.md), not written in playbooks; remove it';

/** Strict objects whose "unknown key" message explains approval keys. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const approvalKeys = issue.keys.filter((key) => APPROVAL_KEY.test(key));
      if (approvalKeys.length > 0) {
        return `unknown key ${approvalKeys.map((k) => `"${k}"`).join(', ')}: ${APPROVAL_ENFORCED_MESSAGE}`;
      }
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    },
  });
}

const slugSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'must contain only lowercase letters, digits and dashes');

/** A CEL condition, parsed and type-checked at load time (syntax, unknown variables, non-boolean type). */
const conditionSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .superRefine((source, ctx) => {
    const error = checkCondition(source);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: `invalid CEL: ${error}` });
  });

/** A string that may embed `{{ CEL }}` placeholders, each checked at load time. */
const templateSchema = z
  .string()
  .min(1)
  .max(2000)
  .superRefine((source, ctx) => {
    const error = checkTemplate(source);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: `invalid template: ${error}` });
  });

/** `assets` (the inventory view of the alert) is resolved for triggers only, not for steps. */
const ASSETS_IN_STEPS = 'assets is available in triggers only; steps read alert, incident and steps';
const readsAssets = (cel: string) => /\bassets\b/.test(cel.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
const stepConditionSchema = conditionSchema.refine((source) => !readsAssets(source), ASSETS_IN_STEPS);
const stepTemplateSchema = templateSchema.refine(
  (source) => ![...source.matchAll(/\{\{([\s\S]*?)\}\}/g)].some((m) => readsAssets(m[1] ?? '')),
  ASSETS_IN_STEPS,
);

const paramValueSchema = z.union([stepTemplateSchema, z.number(), z.boolean()]);

export const triggerSchema = strictObject({
  sources: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Webhook sources (alert.source.name) this trigger accepts, e.g. [splunk, generic]. Omit for any.'),
  minSeverity: z.enum(SEVERITIES).optional().describe('Lowest OCSF severity that matches (compared by severityId).'),
  when: conditionSchema
    .optional()
    .describe(
      'CEL condition over `alert` and `assets` (its endpoints in the inventory), e.g. alert.ot.operation == "program_download" && assets.dst.purdueLevel <= 2.',
    ),
})
  .refine(
    (trigger) => trigger.sources !== undefined || trigger.minSeverity !== undefined || trigger.when !== undefined,
    {
      message: "a trigger needs at least one of sources, minSeverity or when (use when: 'true' to match every alert)",
    },
  )
  .describe('The playbook runs when ANY of its triggers matches; within a trigger ALL given filters must match.');

export const playbookStepSchema = strictObject({
  id: slugSchema.describe('Step id, unique in the playbook; later steps read its result as steps["<id>"].'),
  action: z
    .enum(ACTION_TYPES, {
      error: (issue) => {
        const input = typeof issue.input === 'string' ? issue.input : JSON.stringify(issue.input);
        const hint =
          typeof issue.input === 'string' && APPROVAL_KEY.test(issue.input) ? `; ${APPROVAL_ENFORCED_MESSAGE}` : '';
        return `unknown action "${input}" (known: ${ACTION_TYPES.join(', ')})${hint}`;
      },
    })
    .describe('Action from the catalog (src/actions/catalog.ts).'),
  target: stepTemplateSchema.describe(
    'Host or IP the action applies to; may be a template, e.g. "{{ alert.hosts[0].hostname }}".',
  ),
  params: z
    .record(z.string().min(1).max(64), paramValueSchema)
    .optional()
    .describe('Action parameters; string values may contain {{ CEL }} templates.'),
  if: stepConditionSchema.optional().describe('CEL condition; the step is skipped when it is false.'),
  onFailure: z
    .enum(['continue', 'stop'])
    .default('stop')
    .describe('What the playbook does when this step fails (default stop).'),
}).superRefine((step, ctx) => {
  // The action's declared parameters (src/actions/params.ts): names, required ones, literal values.
  for (const issue of checkStepParams(step.action, step.params ?? {}, isTemplate))
    ctx.addIssue({
      code: 'custom',
      path: ['params', ...(issue.param === '' ? [] : [issue.param])],
      message: issue.message,
    });
});

export const playbookSchema = strictObject({
  id: slugSchema.describe('Playbook id: lowercase letters, digits and dashes.'),
  name: z.string().min(1).max(200),
  version: z.number().int().positive().describe('Bump on every change; recorded in the audit trail.'),
  description: z.string().max(4000).optional(),
  triggers: z.array(triggerSchema).min(1).max(20),
  rollbackOnFailure: z
    .boolean()
    .default(false)
    .describe(
      'When a step fails and the playbook stops, undo the actions already executed, newest first (saga). Each rollback is itself decided by the policy and audited.',
    ),
  steps: z
    .array(playbookStepSchema)
    .min(1)
    .max(100)
    .superRefine((steps, ctx) => {
      const firstIndexById = new Map<string, number>();
      steps.forEach((step, index) => {
        const first = firstIndexById.get(step.id);
        if (first === undefined) {
          firstIndexById.set(step.id, index);
          return;
        }
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `duplicate step id "${step.id}" (first used by steps.${first})`,
        });
      });
    }),
});

export type Playbook = z.output<typeof playbookSchema>;
export type PlaybookStep = z.output<typeof playbookStepSchema>;
export type PlaybookTrigger = z.output<typeof triggerSchema>;
/** A playbook as written (onFailure may be omitted). */
export type PlaybookInput = z.input<typeof playbookSchema>;

/** One validation problem with a dotted field path, e.g. { path: "steps.1.action", ... }. */
export interface PlaybookIssue {
  path: string;
  message: string;
}

/**
 * Flattens zod issues to field paths. Unknown keys get their own path (`steps.0.approval`)
 * instead of zod's parent path, so authors see exactly which line to remove.
 */
export function toPlaybookIssues(issues: readonly z.core.$ZodIssue[]): PlaybookIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: APPROVAL_KEY.test(key) ? `unknown key: ${APPROVAL_ENFORCED_MESSAGE}` : 'unknown key',
      }));
    }
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((segment) => String(segment)).join('.');
}

export type PlaybookValidation = { ok: true; playbook: Playbook } | { ok: false; issues: PlaybookIssue[] };

/** Validates an already-parsed document (e.g. YAML or a JSON API body). */
export function validatePlaybook(document: unknown): PlaybookValidation {
  const result = playbookSchema.safeParse(document);
  return result.success
    ? { ok: true, playbook: result.data }
    : { ok: false, issues: toPlaybookIssues(result.error.issues) };
}
