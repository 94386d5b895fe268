/**
 * Fortinet FortiGate: quarantine an address with the banned-IP list (`user/banned` monitor API:
 * no configuration change, no commit, time-boxed by its expiry), on the VDOM of the enforcement
 * point the engine picked (rule 6) or the configured one; end an address's sessions with the
 * `firewall/session/close-multiple` monitor API.
 */
import type { PolicyDecision } from '../../src/policy/types';
import { firewallChange, preChangeRead, signalOption } from '../action-helpers';
import { defineConnector, type ActionHandler, type ActionResult, type ClientOptions } from '../connector';
import { FortiGateClient } from './client';
import { fortigateConfigSchema, type FortiGateConfig } from './config';
import { manifest } from './manifest';

/** The configured FortiGate, and a client per other VDOM an enforcement point names. */
export class FortiGateConnection {
  private readonly byVdom = new Map<string, FortiGateClient>();

  constructor(
    private readonly config: FortiGateConfig,
    private readonly options: ClientOptions,
  ) {
    this.byVdom.set(config.vdom, new FortiGateClient(config, options));
  }

  forVdom(vdom: string = this.config.vdom): FortiGateClient {
    let client = this.byVdom.get(vdom);
    if (client === undefined) {
      client = new FortiGateClient({ ...this.config, vdom }, this.options);
      this.byVdom.set(vdom, client);
    }
    return client;
  }
}

/** Clock skew tolerated between Interlock and the firewall when comparing ban expiry times. */
const EXPIRY_SKEW_SECONDS = 60;

/** Where and how a firewall action bans or releases: the client of its VDOM, and firewallChange's plan. */
function change(decision: PolicyDecision, connection: FortiGateConnection) {
  const plan = firewallChange('fortigate', decision);
  return { ...plan, client: connection.forVdom(plan.partition) };
}

const banHandler: ActionHandler<FortiGateConnection> = {
  async execute(connection, { decision, ...call }): Promise<ActionResult> {
    const c = change(decision, connection);
    const before = await preChangeRead(c.ip, () => c.client.banState(c.ip, signalOption(call)));
    const result = c.block
      ? await c.client.quarantineIp(c.ip, c.expiry, signalOption(call))
      : await c.client.releaseIp(c.ip, signalOption(call));
    if (c.choice !== undefined)
      return {
        summary: `fortigate ${result.action} of ${result.ip} at ${c.choice.enforcementPointId} (${c.choice.side}, vdom ${result.vdom})`,
        details: { ...result, enforcementPointId: c.choice.enforcementPointId, side: c.choice.side, preChange: before },
      };
    return {
      summary:
        decision.action.type === 'firewall.extend_quarantine'
          ? `fortigate quarantine of ${result.ip} extended by ${result.expirySeconds ?? '?'}s on vdom ${result.vdom}`
          : `fortigate ${result.action} of ${result.ip} on vdom ${result.vdom}`,
      details: { ...result, preChange: before },
    };
  },
  async observe(connection, { decision, startedAt, ...call }) {
    const c = change(decision, connection);
    const state = await c.client.banState(c.ip, signalOption(call));
    if (!c.block) {
      if (state.banned) return undefined;
      return {
        summary: `fortigate release of ${state.ip} on vdom ${c.client.vdom}`,
        details: { ip: state.ip, action: 'release', vdom: c.client.vdom, observed: { ...state } },
      };
    }
    // A ban made by the interrupted attempt ends no earlier than its start plus its lifetime;
    // an older, shorter ban is not the change this action makes.
    const expiry = c.expiry ?? c.client.defaultExpirySeconds;
    const wanted = Math.floor(startedAt.getTime() / 1000) + expiry - EXPIRY_SKEW_SECONDS;
    if (!state.banned || (state.expires !== undefined && state.expires < wanted)) return undefined;
    return {
      summary: `fortigate quarantine of ${state.ip} on vdom ${c.client.vdom}`,
      details: {
        ip: state.ip,
        action: 'quarantine',
        vdom: c.client.vdom,
        expirySeconds: expiry,
        observed: { ...state },
        ...(c.choice === undefined ? {} : { enforcementPointId: c.choice.enforcementPointId, side: c.choice.side }),
      },
    };
  },
};

/**
 * Ends the source's sessions at the enforcement point. Nothing to read before (sessions cannot
 * be restored) and nothing to find after an interruption: closing again is harmless.
 */
const endSessionsHandler: ActionHandler<FortiGateConnection> = {
  async execute(connection, { decision, ...call }): Promise<ActionResult> {
    const c = change(decision, connection);
    const result = await c.client.closeSessions(c.ip, signalOption(call));
    const where = c.choice === undefined ? '' : ` at ${c.choice.enforcementPointId} (${c.choice.side})`;
    return {
      summary: `fortigate sessions from ${result.ip} ended${where} on vdom ${result.vdom}`,
      details: {
        ...result,
        action: 'end_sessions',
        ...(c.choice === undefined ? {} : { enforcementPointId: c.choice.enforcementPointId, side: c.choice.side }),
      },
    };
  },
};

export const fortigate = defineConnector({
  manifest,
  configSchema: fortigateConfigSchema,
  createClient: (config, options) => new FortiGateConnection(config, options),
  actions: {
    'firewall.quarantine_ip': banHandler,
    'firewall.release_ip': banHandler,
    'firewall.extend_quarantine': banHandler,
    'contain.source': banHandler,
    'release.source': banHandler,
    'remote.end_sessions': endSessionsHandler,
  },
});
