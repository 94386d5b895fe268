import type { InterlockConfig } from '../src/config/schema';
import { CrowdStrikeClient, type CrowdStrikeClientOptions } from './crowdstrike';
import { FortiGateClient, type FortiGateClientOptions } from './fortigate';
import { JiraClient } from './jira';
import { OktaClient } from './okta';

export * from './http';
export * from './crowdstrike';
export * from './fortigate';
export * from './jira';
export * from './okta';

/** The enforcement points that are configured; an absent key means the integration is off. */
export type EnforcementClients = {
  crowdstrike?: CrowdStrikeClient;
  fortigate?: FortiGateClient;
  jira?: JiraClient;
  okta?: OktaClient;
};

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
  if (config.jira !== undefined) clients.jira = new JiraClient(config.jira);
  if (config.okta !== undefined) clients.okta = new OktaClient(config.okta);
  return clients;
}
