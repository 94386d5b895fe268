/**
 * Microsoft Defender for Endpoint: device isolation. The machine is the inventory's
 * `edr.defender-endpoint` ID when the asset has one, else found by name or address.
 */
import type { PolicyDecision } from '../../src/policy/types';
import { rejected, signalOption, stringParam } from '../action-helpers';
import { defineConnector, type ActionCall, type ActionHandler } from '../connector';
import { hostLookupOf } from '../edr-host';
import { IntegrationError } from '../http';
import { DefenderEndpointClient, type IsolationState, type IsolationType } from './client';
import { defenderEndpointConfigSchema } from './config';
import { manifest } from './manifest';

const ID = manifest.id;

/** params.isolationType: Full (default) or Selective (Outlook, Teams and Skype keep working). */
function isolationTypeOf(decision: PolicyDecision): IsolationType {
  const given = stringParam(decision, 'isolationType');
  if (given === undefined) return 'Full';
  const type = (['Full', 'Selective'] as const).find((t) => t.toLowerCase() === given.toLowerCase());
  if (type === undefined) throw rejected(ID, `isolationType must be Full or Selective, not "${given}"`);
  return type;
}

/** The comment Defender records with the action (required by isolate and unisolate). */
function commentOf(decision: PolicyDecision): string {
  return (
    stringParam(decision, 'comment') ??
    `Interlock ${decision.action.type} of ${decision.target.assetId ?? decision.target.ref} (${decision.rule}, action ${decision.actionDigest.slice(0, 12)})`
  );
}

function inPlace(contain: boolean, state: IsolationState): boolean {
  return contain ? state.isolated : !state.isolated;
}

function observed(state: IsolationState) {
  return { isolated: state.isolated, pending: state.pending, ...(state.latest ? { latest: state.latest } : {}) };
}

/** Defender refuses a second isolation request while one is still pending for the machine. */
function isActiveRequestConflict(error: unknown): boolean {
  return error instanceof IntegrationError && error.status === 400 && /ActiveRequestAlreadyExists/i.test(error.message);
}

function isolation(contain: boolean): ActionHandler<DefenderEndpointClient> {
  const verb = contain ? 'isolate' : 'unisolate';
  return {
    async execute(client, { decision, ...call }: ActionCall) {
      const label = decision.target.assetId ?? decision.target.ref;
      const isolationType = contain ? isolationTypeOf(decision) : undefined;
      const machine = await client.findMachine(hostLookupOf(decision, ID), signalOption(call));
      const before = await client.isolationState(machine.id, signalOption(call));
      const preChange = { machineId: machine.id, ...observed(before) };
      if (inPlace(contain, before))
        return {
          summary: `defender-endpoint: ${label} is already ${contain ? 'isolated' : 'not isolated'}, nothing requested`,
          details: { machineId: machine.id, action: verb, alreadyInPlace: true, preChange },
        };
      try {
        const result =
          isolationType === undefined
            ? await client.unisolate(machine, commentOf(decision), signalOption(call))
            : await client.isolate(machine, commentOf(decision), isolationType, signalOption(call));
        return {
          summary: `defender-endpoint ${verb} requested for ${label} (machine action ${result.machineActionId}, ${result.status})`,
          details: { ...result, ...(isolationType === undefined ? {} : { isolationType }), preChange },
        };
      } catch (error) {
        // A request racing ours (or our own, answered too late) may already be pending: read again.
        if (!isActiveRequestConflict(error)) throw error;
        const after = await client.isolationState(machine.id, signalOption(call));
        if (!inPlace(contain, after)) throw error;
        return {
          summary: `defender-endpoint: ${label} already has a pending ${contain ? 'isolation' : 'release'}`,
          details: { machineId: machine.id, action: verb, alreadyInPlace: true, preChange, observed: observed(after) },
        };
      }
    },
    async observe(client, { decision, ...call }) {
      const machine = await client.findMachine(hostLookupOf(decision, ID), signalOption(call));
      const state = await client.isolationState(machine.id, signalOption(call));
      if (!inPlace(contain, state)) return undefined;
      return {
        summary: `defender-endpoint ${verb} of ${decision.target.assetId ?? decision.target.ref} (${state.latest?.status ?? 'no isolation on record'})`,
        details: { machineId: machine.id, action: verb, observed: observed(state) },
      };
    },
  };
}

export const defenderEndpoint = defineConnector({
  manifest,
  configSchema: defenderEndpointConfigSchema,
  createClient: (config, options) => new DefenderEndpointClient(config, options),
  actions: { 'edr.contain_host': isolation(true), 'edr.release_host': isolation(false) },
});
