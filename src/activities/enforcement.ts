import { ApplicationFailure } from '@temporalio/activity';
import { IntegrationError, type EnforcementClients } from '../../integrations';
import type { NewTask } from '../../integrations';
import type { PolicyDecision } from '../policy/types';

export interface EnforcementResult {
  summary: string;
  details: Record<string, unknown>;
}

function notConfigured(integration: string): never {
  throw ApplicationFailure.nonRetryable(`integration ${integration} is not configured`, 'IntegrationNotConfigured');
}

/** Calls the integration that enforces a decided action. Permanent failures are not retried. */
export async function enforce(decision: PolicyDecision, clients: EnforcementClients): Promise<EnforcementResult> {
  const { action, target } = decision;
  try {
    switch (action.type) {
      case 'edr.contain_host':
      case 'edr.release_host': {
        const client = clients.crowdstrike ?? notConfigured('crowdstrike');
        const deviceId = target.edr['crowdstrike'];
        if (deviceId === undefined) {
          throw ApplicationFailure.nonRetryable(
            `${target.assetId ?? target.ref} has no CrowdStrike agent ID in the inventory`,
            'IntegrationRejected',
          );
        }
        const result =
          action.type === 'edr.contain_host'
            ? await client.containHost(deviceId)
            : await client.liftContainment(deviceId);
        return {
          summary: `crowdstrike ${result.action} accepted for ${target.assetId ?? target.ref}`,
          details: { ...result },
        };
      }
      case 'firewall.quarantine_ip':
      case 'firewall.release_ip': {
        const client = clients.fortigate ?? notConfigured('fortigate');
        const param = action.params['ip'];
        const ip = typeof param === 'string' && param !== '' ? param : target.ips?.[0];
        if (ip === undefined)
          throw ApplicationFailure.nonRetryable(`no IP address to act on for ${target.ref}`, 'IntegrationRejected');
        const result =
          action.type === 'firewall.quarantine_ip' ? await client.quarantineIp(ip) : await client.releaseIp(ip);
        return { summary: `fortigate ${result.action} of ${result.ip} on vdom ${result.vdom}`, details: { ...result } };
      }
      case 'identity.disable_account':
      case 'identity.enable_account': {
        const client = clients.okta ?? notConfigured('identity (okta)');
        const result =
          action.type === 'identity.disable_account'
            ? await client.disableAccount(action.target)
            : await client.enableAccount(action.target);
        return { summary: `okta ${result.action} of account ${result.account}`, details: { ...result } };
      }
      case 'task.create':
      case 'ot.restart_device':
      case 'ot.stop_device':
      case 'ot.change_mode':
      case 'ot.download_logic':
      case 'ot.quarantine_host':
      case 'ot.active_scan': {
        // The engine never operates an OT device itself: an approved OT action is a task for people.
        const client = clients.jira ?? notConfigured('ticketing (jira)');
        const task = await client.createTask(taskFor(decision));
        const window = decision.maintenanceWindow;
        if (action.type === 'task.create' && action.params['closeInMaintenanceWindow'] === true && window) {
          await client.closeTask(
            task.key,
            `Expected inside maintenance window ${window.id}${window.changeTicket === undefined ? '' : ` (change ${window.changeTicket})`}: closed by Interlock.`,
          );
          return {
            summary: `jira task ${task.key} created and closed: inside maintenance window ${window.id}`,
            details: { ...task, closed: true, maintenanceWindow: window },
          };
        }
        return { summary: `jira task ${task.key} created`, details: { ...task } };
      }
      default: {
        const unknownType: never = action.type;
        throw ApplicationFailure.nonRetryable(
          `no enforcement for action ${String(unknownType)}`,
          'IntegrationNotConfigured',
        );
      }
    }
  } catch (error) {
    if (error instanceof IntegrationError && !error.retryable) {
      throw ApplicationFailure.nonRetryable(error.message, 'IntegrationRejected');
    }
    throw error;
  }
}

/** The ticket for a decided action: what people are asked to do, about which asset, and why. */
export function taskFor(decision: PolicyDecision, note?: string): NewTask {
  const { action, target } = decision;
  const name = target.assetId ?? target.ref;
  const param = (key: string) => (typeof action.params[key] === 'string' ? action.params[key] : undefined);
  const summary = param('summary') ?? `${action.type} on ${name}`;
  const lines = [
    param('description') ?? '',
    note ?? '',
    `Action: ${action.type} on ${name}` +
      (target.zone === undefined
        ? ' (not in the inventory)'
        : ` (zone ${target.zone}, Purdue ${target.purdueLevel ?? '?'})`),
    `Policy: ${decision.outcome} (${decision.rule}): ${decision.reason}`,
    `Action digest: ${decision.actionDigest}`,
  ];
  return { summary, description: lines.filter((l) => l !== '').join('\n'), labels: [decision.rule] };
}
