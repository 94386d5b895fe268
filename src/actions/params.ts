/**
 * The parameters each catalog action takes (zod), beside its catalog entry (catalog.ts; kept
 * apart only because workflow code imports the catalog and must not load zod). A playbook is
 * checked against them when it is loaded (unknown names, literal values, required names) and
 * every rendered action again before it is decided: an action with bad parameters is an
 * `invalid` step, never a vendor call. Every action takes `connector`, naming the connector of
 * its capability that must carry it out (docs/connectors/README.md).
 */
import { z } from 'zod';
import type { ActionType } from './catalog';

const text = z.string().trim().min(1).max(2000);
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });
const seconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 86_400);
const connector = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'a connector ID (integrations.<id>)')
  .optional()
  .describe('the connector that must carry the action out, e.g. defender-endpoint');

const taskParams = {
  summary: text.max(250).optional().describe('the ticket summary'),
  description: text.max(10_000).optional().describe('the ticket description'),
};
const firewallParams = { ip: ip.optional().describe('the address blocked (default: the target’s address)') };
const intentParams = { toward: text.describe('the OT asset or address the traffic reached (rule 6)') };
const accountParams = { host: text.optional().describe('the host the account was seen on (the policy judges it)') };
const sensorParams = { alertId: text.max(200).describe('the sensor’s alert ID (e.g. alert.uid)') };

/** Parameters of each action; every schema also takes `connector`. */
export const ACTION_PARAMS = {
  'edr.contain_host': {
    comment: text.optional().describe('a note recorded at the EDR'),
    isolationType: z.enum(['Full', 'Selective']).optional().describe('Defender for Endpoint isolation (default Full)'),
  },
  'edr.release_host': { comment: text.optional() },
  'firewall.quarantine_ip': firewallParams,
  'firewall.release_ip': firewallParams,
  'firewall.extend_quarantine': { ...firewallParams, expirySeconds: seconds.describe('the new time box, in seconds') },
  'contain.source': { ...intentParams, expirySeconds: seconds.optional().describe('the time box, in seconds') },
  'release.source': intentParams,
  'remote.end_sessions': intentParams,
  'identity.disable_account': accountParams,
  'identity.enable_account': accountParams,
  'identity.revoke_sessions': accountParams,
  'task.create': {
    ...taskParams,
    closeInMaintenanceWindow: z.boolean().optional().describe('close it at once inside a maintenance window (rule 13)'),
  },
  'sensor.acknowledge_alert': sensorParams,
  'sensor.close_alert': sensorParams,
  'sensor.learn_alert': sensorParams,
  'intel.lookup': {
    type: z
      .enum(['hash', 'ip', 'domain', 'url'])
      .optional()
      .describe('what the target is, when its value does not say'),
  },
  'ot.restart_device': taskParams,
  'ot.stop_device': taskParams,
  'ot.change_mode': {
    ...taskParams,
    mode: z.enum(['run', 'stop', 'program', 'remote']).optional().describe('the controller mode asked for'),
  },
  'ot.download_logic': taskParams,
  'ot.quarantine_host': taskParams,
  'ot.active_scan': taskParams,
} as const satisfies Record<ActionType, z.ZodRawShape>;

const schemas = new Map<ActionType, z.ZodObject>(
  (Object.entries(ACTION_PARAMS) as [ActionType, z.ZodRawShape][]).map(([type, shape]) => [
    type,
    z.strictObject({ ...shape, connector }),
  ]),
);

export function actionParamsSchema(type: ActionType): z.ZodObject {
  const schema = schemas.get(type);
  if (schema === undefined) throw new Error(`no parameters declared for ${type}`);
  return schema;
}

export interface ParamIssue {
  /** The parameter, or '' for the whole set. */
  param: string;
  message: string;
}

/** Checks a rendered action's parameters; empty when they are valid. */
export function checkActionParams(type: ActionType, params: Readonly<Record<string, unknown>>): ParamIssue[] {
  const result = actionParamsSchema(type).safeParse(params);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    param: issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : ''),
    message:
      issue.code === 'unrecognized_keys'
        ? `not a parameter of ${type} (it takes: ${Object.keys(actionParamsSchema(type).shape).join(', ')})`
        : issue.message,
  }));
}

/**
 * Checks a playbook step's parameters as written: names must exist and required ones be given;
 * values that are templates are checked once rendered (checkActionParams), literal ones now.
 */
export function checkStepParams(
  type: ActionType,
  params: Readonly<Record<string, string | number | boolean>>,
  isTemplate: (value: string) => boolean,
): ParamIssue[] {
  const shape = actionParamsSchema(type).shape;
  const issues: ParamIssue[] = [];
  for (const name of Object.keys(params))
    if (!Object.hasOwn(shape, name))
      issues.push({ param: name, message: `not a parameter of ${type} (it takes: ${Object.keys(shape).join(', ')})` });
  for (const [name, field] of Object.entries(shape)) {
    const value = params[name];
    if (value === undefined) {
      if (!(field as z.ZodType).safeParse(undefined).success)
        issues.push({ param: name, message: `${type} needs params.${name}` });
      continue;
    }
    if (typeof value === 'string' && isTemplate(value)) continue;
    const checked = (field as z.ZodType).safeParse(value);
    if (!checked.success) issues.push({ param: name, message: checked.error.issues[0]?.message ?? 'invalid value' });
  }
  return issues;
}
