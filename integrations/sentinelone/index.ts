/**
 * SentinelOne: network quarantine (disconnect from network) of a host. The agent is the
 * inventory's `edr.sentinelone` ID when the asset has one, else found by name or address.
 */
import { signalOption } from '../action-helpers';
import { defineConnector, type ActionCall, type ActionHandler } from '../connector';
import { hostLookupOf } from '../edr-host';
import { IntegrationError } from '../http';
import { SentinelOneClient, type SentinelOneAgent } from './client';
import { sentineloneConfigSchema } from './config';
import { manifest } from './manifest';

const ID = manifest.id;

/** A disconnection accepted is `disconnecting` until the agent applies it (and likewise back). */
function inPlace(contain: boolean, agent: SentinelOneAgent): boolean {
  return contain
    ? agent.networkStatus === 'disconnected' || agent.networkStatus === 'disconnecting'
    : agent.networkStatus === 'connected' || agent.networkStatus === 'connecting';
}

function quarantine(contain: boolean): ActionHandler<SentinelOneClient> {
  const verb = contain ? 'disconnect' : 'connect';
  return {
    async execute(client, { decision, ...call }: ActionCall) {
      const label = decision.target.assetId ?? decision.target.ref;
      const agent = await client.findAgent(hostLookupOf(decision, ID), signalOption(call));
      const preChange = { agentId: agent.id, networkStatus: agent.networkStatus };
      if (inPlace(contain, agent))
        return {
          summary: `sentinelone: ${label} is already ${agent.networkStatus}, nothing requested`,
          details: { agentId: agent.id, action: verb, alreadyInPlace: true, preChange },
        };
      const result = contain
        ? await client.disconnect(agent, signalOption(call))
        : await client.connect(agent, signalOption(call));
      if (result.affected === 0) {
        // Nothing affected: the agent may have changed state meanwhile; anything else is a refusal.
        const now = await client.agent(agent.id, signalOption(call));
        if (!inPlace(contain, now))
          throw new IntegrationError(
            `${ID}: ${verb} of agent ${agent.id} affected no agent (status ${now.networkStatus})`,
            {
              integration: ID,
              kind: 'vendor-error',
              retryable: false,
            },
          );
        return {
          summary: `sentinelone: ${label} is already ${now.networkStatus}`,
          details: { ...result, alreadyInPlace: true, preChange, observed: { networkStatus: now.networkStatus } },
        };
      }
      return { summary: `sentinelone ${verb} requested for ${label}`, details: { ...result, preChange } };
    },
    async observe(client, { decision, ...call }) {
      const agent = await client.findAgent(hostLookupOf(decision, ID), signalOption(call));
      if (!inPlace(contain, agent)) return undefined;
      return {
        summary: `sentinelone ${verb} of ${decision.target.assetId ?? decision.target.ref} (networkStatus ${agent.networkStatus})`,
        details: { agentId: agent.id, action: verb, observed: { networkStatus: agent.networkStatus } },
      };
    },
  };
}

export const sentinelone = defineConnector({
  manifest,
  configSchema: sentineloneConfigSchema,
  createClient: (config, options) => new SentinelOneClient(config, options),
  actions: { 'edr.contain_host': quarantine(true), 'edr.release_host': quarantine(false) },
});
