import { ApplicationFailure } from '@temporalio/activity';
import { FortiGateClient, IntegrationError, type EnforcementClients, type FortiGateConfig } from '../../integrations';
import type { NewTask } from '../../integrations';
import type { PolicyDecision } from '../policy/types';

export interface EnforcementResult {
  summary: string;
  details: Record<string, unknown>;
}

function notConfigured(integration: string): never {
  throw ApplicationFailure.nonRetryable(`integration ${integration} is not configured`, 'IntegrationNotConfigured');
}

/**
 * Rule 10: the address's quarantine state before the change, recorded with the result (and so
 * in the audit). A failed read does not hold up containment; it is recorded as unknown.
 */
async function preChangeState(client: FortiGateClient, ip: string): Promise<Record<string, unknown>> {
  try {
    return { ...(await client.banState(ip)) };
  } catch (error) {
    return { ip, unknown: error instanceof Error ? error.message : String(error) };
  }
}

/** A positive whole number of seconds from params.expirySeconds (rule 10 time box), if given. */
function expirySeconds(decision: PolicyDecision): number | undefined {
  const value = decision.action.params['expirySeconds'];
  return typeof value === 'number' ? value : undefined;
}

/** The FortiGate client for the VDOM an enforcement point names (rule 6); the configured one by default. */
function fortigateFor(vdom: string, clients: EnforcementClients, config: FortiGateConfig | undefined): FortiGateClient {
  const client = clients.fortigate ?? notConfigured('fortigate');
  if (config === undefined || config.vdom === vdom) return client;
  return new FortiGateClient({ ...config, vdom });
}

/**
 * Calls the integration that enforces a decided action. Permanent failures are not retried.
 * `fortigateConfig` lets an enforcement point on another VDOM get its own client.
 */
export async function enforce(
  decision: PolicyDecision,
  clients: EnforcementClients,
  fortigateConfig?: FortiGateConfig,
): Promise<EnforcementResult> {
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
        const before = await preChangeState(client, ip);
        const result =
          action.type === 'firewall.quarantine_ip' ? await client.quarantineIp(ip) : await client.releaseIp(ip);
        return {
          summary: `fortigate ${result.action} of ${result.ip} on vdom ${result.vdom}`,
          details: { ...result, preChange: before },
        };
      }
      case 'firewall.extend_quarantine': {
        // Rule 10: re-banning an address resets its expiry; this action was decided (and approved) on its own.
        const client = clients.fortigate ?? notConfigured('fortigate');
        const param = action.params['ip'];
        const ip = typeof param === 'string' && param !== '' ? param : target.ips?.[0];
        if (ip === undefined)
          throw ApplicationFailure.nonRetryable(`no IP address to act on for ${target.ref}`, 'IntegrationRejected');
        const before = await preChangeState(client, ip);
        const result = await client.quarantineIp(ip, expirySeconds(decision));
        return {
          summary: `fortigate quarantine of ${result.ip} extended by ${result.expirySeconds ?? '?'}s on vdom ${result.vdom}`,
          details: { ...result, preChange: before },
        };
      }
      case 'contain.source':
      case 'release.source': {
        // Rule 6: the engine picked the enforcement point; the decision carries it (and its digest binds it).
        const choice = decision.containment;
        if (choice === undefined)
          throw ApplicationFailure.nonRetryable(
            `${action.type}: no enforcement point was chosen`,
            'IntegrationRejected',
          );
        const client = fortigateFor(choice.vdom, clients, fortigateConfig);
        const before = await preChangeState(client, choice.blockedIp);
        const result =
          action.type === 'contain.source'
            ? await client.quarantineIp(choice.blockedIp, expirySeconds(decision))
            : await client.releaseIp(choice.blockedIp);
        return {
          summary: `fortigate ${result.action} of ${result.ip} at ${choice.enforcementPointId} (${choice.side}, vdom ${result.vdom})`,
          details: { ...result, enforcementPointId: choice.enforcementPointId, side: choice.side, preChange: before },
        };
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
