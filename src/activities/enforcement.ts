import { ApplicationFailure } from '@temporalio/activity';
import { IntegrationError, type EnforcementClients } from '../../integrations';
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
