import type { InterlockConfig } from '../src/config/schema';
import { CrowdStrikeClient, type CrowdStrikeClientOptions } from './crowdstrike';
import { FortiGateClient, type FortiGateClientOptions } from './fortigate';

export * from './http';
export * from './crowdstrike';
export * from './fortigate';

/** The enforcement points that are configured; an absent key means the integration is off. */
export type EnforcementClients = { crowdstrike?: CrowdStrikeClient; fortigate?: FortiGateClient };

export interface EnforcementClientOptions {
  crowdstrike?: CrowdStrikeClientOptions;
  fortigate?: FortiGateClientOptions;
}

export function createEnforcementClients(
  config: InterlockConfig['integrations'],
  options: EnforcementClientOptions = {},
): EnforcementClients {
  const clients: EnforcementClients = {};
  if (config.crowdstrike !== undefined)
    clients.crowdstrike = new CrowdStrikeClient(config.crowdstrike, options.crowdstrike);
  if (config.fortigate !== undefined) clients.fortigate = new FortiGateClient(config.fortigate, options.fortigate);
  return clients;
}
