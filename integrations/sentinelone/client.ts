import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { byMostRecent, hostNotFound, sameHostName, shortName, type HostLookup } from '../edr-host';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';
import type { SentinelOneConfig } from './config';

/**
 * SentinelOne network quarantine over the management API v2.1, authenticated with a service
 * user's API token (`Authorization: ApiToken <token>`). What the connector calls (the console's
 * API reference, Agents and Agent Actions; field names as in SentinelOne's published schema):
 *
 *   GET  /web/api/v2.1/agents?ids=…                        an agent by ID
 *   GET  /web/api/v2.1/agents?computerName__contains=…     agents by computer name (substring)
 *   GET  /web/api/v2.1/agents?networkInterfaceInet__contains=…  agents by local IP (substring)
 *        → {data: [agent], pagination}; agent.networkStatus: connected | connecting |
 *          disconnected | disconnecting
 *   POST /web/api/v2.1/agents/actions/disconnect  {filter: {ids: [id]}} → {data: {affected: n}}
 *   POST /web/api/v2.1/agents/actions/connect     {filter: {ids: [id]}} → {data: {affected: n}}
 *
 * Errors come as `{"errors": [{"code", "title", "detail"}]}`. The agent's `networkStatus` is the
 * read that tells whether a disconnection is in place or under way.
 */

export type { SentinelOneConfig } from './config';

export interface SentinelOneClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export type NetworkStatus = 'connected' | 'connecting' | 'disconnected' | 'disconnecting';

export interface SentinelOneAgent {
  id: string;
  computerName?: string;
  /** SentinelOne's value; others than the four documented ones are passed through as read. */
  networkStatus: NetworkStatus | (string & {});
  lastActiveDate?: string;
}

export type NetworkAction = 'disconnect' | 'connect';

export interface NetworkActionResult {
  agentId: string;
  computerName?: string;
  action: NetworkAction;
  /** How many agents the console says the action applies to (1 when accepted). */
  affected: number;
}

const INTEGRATION = 'sentinelone';
export const SENTINELONE_AGENTS_PATH = '/web/api/v2.1/agents';
export const SENTINELONE_DISCONNECT_PATH = '/web/api/v2.1/agents/actions/disconnect';
export const SENTINELONE_CONNECT_PATH = '/web/api/v2.1/agents/actions/connect';

/** SentinelOne object IDs are decimal numbers (18-19 digits), sent as strings. */
const agentIdSchema = z.string().regex(/^\d{1,24}$/, 'a SentinelOne agent ID is a decimal number');

const agentSchema = z
  .object({
    id: z.string().min(1),
    computerName: z.string().nullish(),
    networkStatus: z.string(),
    lastActiveDate: z.string().nullish(),
    isDecommissioned: z.boolean().nullish(),
    networkInterfaces: z
      .array(z.object({ inet: z.array(z.string()).nullish(), inet6: z.array(z.string()).nullish() }).loose())
      .nullish(),
  })
  .loose();

const agentListSchema = z.object({ data: z.array(agentSchema) }).loose();
const affectedSchema = z.object({ data: z.object({ affected: z.number().int().min(0) }).loose() }).loose();

type Agent = z.output<typeof agentSchema>;

function checkAgentId(agentId: string): void {
  const parsed = agentIdSchema.safeParse(agentId);
  if (!parsed.success)
    throw new IntegrationError(`${INTEGRATION}: invalid agent ID: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      integration: INTEGRATION,
      kind: 'invalid-input',
      retryable: false,
    });
}

function toAgent(agent: Agent): SentinelOneAgent {
  return {
    id: agent.id,
    networkStatus: agent.networkStatus,
    ...(agent.computerName == null ? {} : { computerName: agent.computerName }),
    ...(agent.lastActiveDate == null ? {} : { lastActiveDate: agent.lastActiveDate }),
  };
}

function hasAddress(agent: Agent, ip: string): boolean {
  return (agent.networkInterfaces ?? []).some((nic) => [...(nic.inet ?? []), ...(nic.inet6 ?? [])].includes(ip));
}

export class SentinelOneClient {
  private readonly http: AxiosInstance;
  private readonly auth: { Authorization: string };

  constructor(config: SentinelOneConfig, options: SentinelOneClientOptions = {}) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiToken], options);
    this.auth = { Authorization: `ApiToken ${config.apiToken}` };
  }

  /**
   * The agent the lookup names: by the inventory's agent ID, else by computer name, else by local
   * IP. Several agents (a reinstalled host keeps its old record until decommissioned): the most
   * recently active one that is not decommissioned. None: a 404 IntegrationError.
   */
  async findAgent(lookup: HostLookup, options: CallOptions = {}): Promise<SentinelOneAgent> {
    if (lookup.agentId !== undefined) {
      checkAgentId(lookup.agentId);
      const found = await this.listAgents({ ids: lookup.agentId }, options);
      const agent = found.find((a) => a.id === lookup.agentId);
      if (agent === undefined) throw hostNotFound(INTEGRATION, lookup, `no agent ${lookup.agentId}`);
      return toAgent(agent);
    }
    for (const name of lookup.hostnames) {
      const found = await this.listAgents({ computerName__contains: shortName(name) }, options);
      const agent = newestActive(found.filter((a) => a.computerName != null && sameHostName(a.computerName, name)));
      if (agent !== undefined) return toAgent(agent);
    }
    for (const ip of lookup.ips) {
      // A substring match at SentinelOne (10.30.5.4 finds 10.30.5.42): keep exact addresses only.
      const found = await this.listAgents({ networkInterfaceInet__contains: ip }, options);
      const agent = newestActive(found.filter((a) => hasAddress(a, ip)));
      if (agent !== undefined) return toAgent(agent);
    }
    const tried = [...lookup.hostnames.map((n) => `name ${n}`), ...lookup.ips.map((ip) => `IP ${ip}`)];
    throw hostNotFound(
      INTEGRATION,
      lookup,
      tried.length === 0 ? 'no agent ID, name or address to look up' : `looked up by ${tried.join(', ')}`,
    );
  }

  /** The agent's current network status (the post-check's read). */
  async agent(agentId: string, options: CallOptions = {}): Promise<SentinelOneAgent> {
    return this.findAgent({ agentId, hostnames: [], ips: [], label: agentId }, options);
  }

  /** Disconnects the agent's host from the network (network quarantine). */
  disconnect(agent: SentinelOneAgent, options: CallOptions = {}): Promise<NetworkActionResult> {
    return this.networkAction(agent, 'disconnect', options);
  }

  /** Reconnects the agent's host to the network. */
  connect(agent: SentinelOneAgent, options: CallOptions = {}): Promise<NetworkActionResult> {
    return this.networkAction(agent, 'connect', options);
  }

  private async networkAction(
    agent: SentinelOneAgent,
    action: NetworkAction,
    options: CallOptions,
  ): Promise<NetworkActionResult> {
    checkAgentId(agent.id);
    const response = await this.http.post<unknown>(
      action === 'disconnect' ? SENTINELONE_DISCONNECT_PATH : SENTINELONE_CONNECT_PATH,
      { filter: { ids: [agent.id] } },
      { headers: { ...this.auth, 'Content-Type': 'application/json' }, ...signalOf(options) },
    );
    const { affected } = parseResponse(affectedSchema, response.data, INTEGRATION, `${action} agent action`).data;
    return {
      agentId: agent.id,
      ...(agent.computerName === undefined ? {} : { computerName: agent.computerName }),
      action,
      affected,
    };
  }

  private async listAgents(query: Record<string, string>, options: CallOptions): Promise<Agent[]> {
    const response = await this.http.get<unknown>(SENTINELONE_AGENTS_PATH, {
      params: query,
      headers: this.auth,
      ...signalOf(options),
    });
    return parseResponse(agentListSchema, response.data, INTEGRATION, 'agents').data;
  }
}

function newestActive(agents: Agent[]): Agent | undefined {
  return agents.filter((a) => a.isDecommissioned !== true).sort(byMostRecent((a) => a.lastActiveDate))[0];
}
