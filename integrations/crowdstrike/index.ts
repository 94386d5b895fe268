/** CrowdStrike Falcon: network containment of a host by its agent ID (the inventory's `edr.crowdstrike`). */
import type { PolicyDecision } from '../../src/policy/types';
import { rejected, signalOption } from '../action-helpers';
import { defineConnector, type ActionCall, type ActionHandler } from '../connector';
import { CrowdStrikeClient } from './client';
import { crowdstrikeConfigSchema } from './config';
import { manifest } from './manifest';

function deviceIdOf(decision: PolicyDecision): string {
  const deviceId = decision.target.edr['crowdstrike'];
  if (deviceId === undefined)
    throw rejected(
      'crowdstrike',
      `${decision.target.assetId ?? decision.target.ref} has no CrowdStrike agent ID in the inventory`,
    );
  return deviceId;
}

function containment(contain: boolean): ActionHandler<CrowdStrikeClient> {
  return {
    async execute(client, { decision, ...call }: ActionCall) {
      const deviceId = deviceIdOf(decision);
      const result = contain
        ? await client.containHost(deviceId, signalOption(call))
        : await client.liftContainment(deviceId, signalOption(call));
      return {
        summary: `crowdstrike ${result.action} accepted for ${decision.target.assetId ?? decision.target.ref}`,
        details: { ...result },
      };
    },
    async observe(client, { decision, ...call }) {
      const deviceId = deviceIdOf(decision);
      const { status } = await client.containmentState(deviceId, signalOption(call));
      // Falcon reports a containment it accepted as pending until the sensor applies it.
      const inPlace = contain
        ? status === 'contained' || status === 'containment_pending'
        : status === 'normal' || status === 'lift_containment_pending';
      if (!inPlace) return undefined;
      const verb = contain ? 'contain' : 'lift_containment';
      return {
        summary: `crowdstrike ${verb} of ${decision.target.assetId ?? decision.target.ref} (status ${status})`,
        details: { deviceId, action: verb, observed: { status } },
      };
    },
  };
}

export const crowdstrike = defineConnector({
  manifest,
  configSchema: crowdstrikeConfigSchema,
  createClient: (config, options) => new CrowdStrikeClient(config, options),
  actions: { 'edr.contain_host': containment(true), 'edr.release_host': containment(false) },
});
