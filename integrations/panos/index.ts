/**
 * Palo Alto Networks PAN-OS: quarantine an address by registering it with a tag a dynamic
 * address group matches (User-ID API: no commit, time-boxed by the tag timeout), on the vsys of
 * the enforcement point the engine picked (rule 6) or the configured one; end an address's
 * sessions with the operational `clear session` command.
 */
import type { PolicyDecision } from '../../src/policy/types';
import { firewallChange, preChangeRead, signalOption } from '../action-helpers';
import { defineConnector, type ActionHandler, type ActionResult, type ClientOptions } from '../connector';
import { PanosClient } from './client';
import { panosConfigSchema, type PanosConfig } from './config';
import { manifest } from './manifest';

/** The configured firewall, and a client per other vsys an enforcement point names. */
export class PanosConnection {
  private readonly byVsys = new Map<string, PanosClient>();

  constructor(
    private readonly config: PanosConfig,
    private readonly options: ClientOptions,
  ) {
    this.byVsys.set(config.vsys, new PanosClient(config, options));
  }

  forVsys(vsys: string = this.config.vsys): PanosClient {
    let client = this.byVsys.get(vsys);
    if (client === undefined) {
      client = new PanosClient({ ...this.config, vsys }, this.options);
      this.byVsys.set(vsys, client);
    }
    return client;
  }
}

/** Where and how a firewall action tags or untags: the client of its vsys, and firewallChange's plan. */
function change(decision: PolicyDecision, connection: PanosConnection) {
  const plan = firewallChange('panos', decision);
  return { ...plan, client: connection.forVsys(plan.partition) };
}

function at(choice: PolicyDecision['containment']) {
  return choice === undefined ? {} : { enforcementPointId: choice.enforcementPointId, side: choice.side };
}

const tagHandler: ActionHandler<PanosConnection> = {
  async execute(connection, { decision, ...call }): Promise<ActionResult> {
    const c = change(decision, connection);
    const before = await preChangeRead(c.ip, () => c.client.registration(c.ip, signalOption(call)));
    const result = c.block
      ? await c.client.quarantineIp(c.ip, c.expiry, signalOption(call))
      : await c.client.releaseIp(c.ip, signalOption(call));
    const where =
      c.choice === undefined
        ? `on vsys ${result.vsys}`
        : `at ${c.choice.enforcementPointId} (${c.choice.side}, vsys ${result.vsys})`;
    return {
      summary:
        decision.action.type === 'firewall.extend_quarantine'
          ? `panos quarantine of ${result.ip} extended to ${result.timeoutSeconds ?? '?'}s ${where}`
          : `panos ${result.action} of ${result.ip} (tag ${result.tag}) ${where}`,
      details: { ...result, ...at(c.choice), preChange: before },
    };
  },
  async observe(connection, { decision, ...call }) {
    // An extension is of a registration already in place: only making it again restarts the timeout.
    if (decision.action.type === 'firewall.extend_quarantine') return undefined;
    const c = change(decision, connection);
    const state = await c.client.registration(c.ip, signalOption(call));
    // The registered-IP table does not report the tag's remaining timeout: a registration with
    // Interlock's tag is the change this action makes (registering again would only restart it).
    if (state.quarantined !== c.block) return undefined;
    const action = c.block ? 'quarantine' : 'release';
    return {
      summary: `panos ${action} of ${state.ip} (tag ${c.client.tag}) on vsys ${state.vsys}`,
      details: {
        ip: state.ip,
        action,
        vsys: state.vsys,
        tag: c.client.tag,
        ...(c.block ? { timeoutSeconds: c.expiry ?? c.client.defaultTimeoutSeconds } : {}),
        observed: { ...state },
        ...at(c.choice),
      },
    };
  },
};

/**
 * Ends the source's sessions at the enforcement point. Nothing to read before (sessions cannot
 * be restored) and nothing to find after an interruption: clearing again is harmless.
 */
const endSessionsHandler: ActionHandler<PanosConnection> = {
  async execute(connection, { decision, ...call }): Promise<ActionResult> {
    const c = change(decision, connection);
    const result = await c.client.clearSessions(c.ip, signalOption(call));
    const where = c.choice === undefined ? '' : ` at ${c.choice.enforcementPointId} (${c.choice.side})`;
    return {
      summary: `panos sessions from ${result.ip} ended${where} on vsys ${result.vsys}`,
      details: { ...result, action: 'end_sessions', ...at(c.choice) },
    };
  },
};

export const panos = defineConnector({
  manifest,
  configSchema: panosConfigSchema,
  createClient: (config, options) => new PanosConnection(config, options),
  actions: {
    'firewall.quarantine_ip': tagHandler,
    'firewall.release_ip': tagHandler,
    'firewall.extend_quarantine': tagHandler,
    'contain.source': tagHandler,
    'release.source': tagHandler,
    'remote.end_sessions': endSessionsHandler,
  },
});
