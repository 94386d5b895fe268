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
import { type IssuedToken, renewTime, TokenCache } from '../token-cache';
import type { DefenderEndpointConfig } from './config';

/**
 * Microsoft Defender for Endpoint device isolation over its REST API, signed in as an Entra ID
 * app (OAuth2 client credentials, v2.0 token endpoint). What the connector calls, as documented
 * (learn.microsoft.com/defender-endpoint/api/…):
 *
 *   POST {loginUrl}/{tenantId}/oauth2/v2.0/token         client credentials → bearer token
 *   GET  /api/machines/{id}                              get-machine-by-id (404: unknown)
 *   GET  /api/machines?$filter=startswith(computerDnsName,'…')   get-machines (OData $filter on
 *        computerDnsName, lastIpAddress …; "exposed-apis-odata-samples" example 8)
 *   POST /api/machines/{id}/isolate   {Comment, IsolationType: Full|Selective} → 201 MachineAction
 *   POST /api/machines/{id}/unisolate {Comment}                                → 201 MachineAction
 *   GET  /api/machineactions?$filter=machineId eq '…' and (type eq 'Isolate' or type eq 'Unisolate')
 *        (get-machineactions-collection: $filter on machineId, type, status …)
 *
 * The machine entity carries no isolation flag; the machine actions are the documented record:
 * the latest Isolate/Unisolate action that did not fail (status Pending, InProgress or Succeeded)
 * says whether the machine is isolated or being isolated. Errors come as
 * `{"error": {"code", "message", "target"}}` (common-errors).
 */

export type { DefenderEndpointConfig } from './config';

export interface DefenderEndpointClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
  /** Renew this long before the token expires (capped at half its lifetime). Default 5 min. */
  tokenRefreshMarginMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export type IsolationType = 'Full' | 'Selective';

export interface DefenderMachine {
  id: string;
  computerDnsName?: string | null;
  lastSeen?: string | null;
  lastIpAddress?: string | null;
  healthStatus?: string | null;
}

export interface MachineAction {
  id: string;
  type: string;
  status: string;
  scope?: string | null;
  machineId?: string | null;
  creationDateTimeUtc?: string | null;
  lastUpdateDateTimeUtc?: string | null;
  requestorComment?: string | null;
}

export interface IsolationState {
  machineId: string;
  /** True when the latest isolation action in effect is an Isolate (pending or done). */
  isolated: boolean;
  /** That latest action has not completed yet (Pending / InProgress). */
  pending: boolean;
  /** The latest Isolate/Unisolate action that did not fail or get cancelled, if any. */
  latest?: Pick<MachineAction, 'id' | 'type' | 'status' | 'scope' | 'creationDateTimeUtc'>;
}

export interface IsolationResult {
  machineId: string;
  computerDnsName?: string;
  action: 'Isolate' | 'Unisolate';
  /** The MachineAction Defender created, to follow in the portal (Action center). */
  machineActionId: string;
  status: string;
  scope?: string;
}

const INTEGRATION = 'defender-endpoint';
export const DEFENDER_MACHINES_PATH = '/api/machines';
export const DEFENDER_MACHINE_ACTIONS_PATH = '/api/machineactions';
/** Statuses of a machine action that is, or will be, in effect (machineaction resource type). */
const LIVE_STATUSES = new Set(['Pending', 'InProgress', 'Succeeded']);
const PENDING_STATUSES = new Set(['Pending', 'InProgress']);

/** Defender machine IDs are SHA-1 style: 40 hex characters. */
const machineIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{40}$/, 'a Defender for Endpoint machine ID is 40 hex characters');

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected a bearer token'),
  // v2.0 sends a number; the v1.0 endpoint sent a string of digits.
  expires_in: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]),
});

const machineSchema = z
  .object({
    id: z.string().min(1),
    computerDnsName: z.string().nullish(),
    lastSeen: z.string().nullish(),
    lastIpAddress: z.string().nullish(),
    healthStatus: z.string().nullish(),
  })
  .loose();

const machineListSchema = z.object({ value: z.array(machineSchema) }).loose();

const machineActionSchema = z
  .object({
    id: z.string().min(1),
    type: z.string(),
    status: z.string(),
    scope: z.string().nullish(),
    machineId: z.string().nullish(),
    creationDateTimeUtc: z.string().nullish(),
    lastUpdateDateTimeUtc: z.string().nullish(),
    requestorComment: z.string().nullish(),
  })
  .loose();

const machineActionListSchema = z.object({ value: z.array(machineActionSchema) }).loose();

/** An OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function checkMachineId(machineId: string): void {
  const parsed = machineIdSchema.safeParse(machineId);
  if (!parsed.success)
    throw new IntegrationError(`${INTEGRATION}: invalid machine ID: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      integration: INTEGRATION,
      kind: 'invalid-input',
      retryable: false,
    });
}

function withoutNulls(machine: z.output<typeof machineSchema>): DefenderMachine {
  return {
    id: machine.id,
    ...(machine.computerDnsName == null ? {} : { computerDnsName: machine.computerDnsName }),
    ...(machine.lastSeen == null ? {} : { lastSeen: machine.lastSeen }),
    ...(machine.lastIpAddress == null ? {} : { lastIpAddress: machine.lastIpAddress }),
    ...(machine.healthStatus == null ? {} : { healthStatus: machine.healthStatus }),
  };
}

export class DefenderEndpointClient {
  private readonly api: AxiosInstance;
  private readonly login: AxiosInstance;
  private readonly now: () => number;
  private readonly refreshMarginMs: number;
  private readonly tokens: TokenCache;

  constructor(
    private readonly config: DefenderEndpointConfig,
    options: DefenderEndpointClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(() => this.fetchToken(), this.now);
    this.refreshMarginMs = options.tokenRefreshMarginMs ?? 300_000;
    const secrets = [config.clientSecret];
    this.api = createVendorHttpClient(INTEGRATION, config, secrets, options);
    this.login = createVendorHttpClient(
      INTEGRATION,
      { baseUrl: config.loginUrl, timeout: config.timeout },
      secrets,
      options,
    );
  }

  /**
   * The machine the lookup names: by the inventory's machine ID, else by name (the first that
   * matches), else by last IP address. Several machines of one name (a re-onboarded device keeps
   * its old record for a while): the one seen most recently. None: a 404 IntegrationError.
   */
  async findMachine(lookup: HostLookup, options: CallOptions = {}): Promise<DefenderMachine> {
    if (lookup.agentId !== undefined) return this.machineById(lookup.agentId, options);
    for (const name of lookup.hostnames) {
      // startswith on the short name finds both `fin-lt-042` and `fin-lt-042.corp.example.net`.
      const found = await this.listMachines(`startswith(computerDnsName,${odataString(shortName(name))})`, options);
      const matching = found.filter((m) => m.computerDnsName != null && sameHostName(m.computerDnsName, name));
      const newest = matching.sort(byMostRecent((m) => m.lastSeen))[0];
      if (newest !== undefined) return withoutNulls(newest);
    }
    for (const ip of lookup.ips) {
      const found = await this.listMachines(`lastIpAddress eq ${odataString(ip)}`, options);
      const newest = found.sort(byMostRecent((m) => m.lastSeen))[0];
      if (newest !== undefined) return withoutNulls(newest);
    }
    const tried = [...lookup.hostnames.map((n) => `name ${n}`), ...lookup.ips.map((ip) => `IP ${ip}`)];
    throw hostNotFound(
      INTEGRATION,
      lookup,
      tried.length === 0 ? 'no machine ID, name or address to look up' : `looked up by ${tried.join(', ')}`,
    );
  }

  async machineById(machineId: string, options: CallOptions = {}): Promise<DefenderMachine> {
    checkMachineId(machineId);
    const response = await this.withToken((auth) =>
      this.api.get<unknown>(`${DEFENDER_MACHINES_PATH}/${machineId}`, { headers: auth, ...signalOf(options) }),
    );
    return withoutNulls(parseResponse(machineSchema, response.data, INTEGRATION, 'machine'));
  }

  /**
   * Whether the machine is isolated, from its Isolate/Unisolate machine actions: the latest one
   * that is pending, in progress or succeeded decides (failed, timed-out and cancelled ones
   * changed nothing).
   */
  async isolationState(machineId: string, options: CallOptions = {}): Promise<IsolationState> {
    checkMachineId(machineId);
    const filter = `machineId eq ${odataString(machineId)} and (type eq 'Isolate' or type eq 'Unisolate')`;
    const response = await this.withToken((auth) =>
      this.api.get<unknown>(DEFENDER_MACHINE_ACTIONS_PATH, {
        params: { $filter: filter },
        headers: auth,
        ...signalOf(options),
      }),
    );
    const actions = parseResponse(machineActionListSchema, response.data, INTEGRATION, 'machine actions').value;
    const latest = actions
      .filter(
        (a) =>
          (a.type === 'Isolate' || a.type === 'Unisolate') &&
          LIVE_STATUSES.has(a.status) &&
          (a.machineId == null || a.machineId.toLowerCase() === machineId.toLowerCase()),
      )
      .sort(byMostRecent((a) => a.creationDateTimeUtc))[0];
    if (latest === undefined) return { machineId, isolated: false, pending: false };
    return {
      machineId,
      isolated: latest.type === 'Isolate',
      pending: PENDING_STATUSES.has(latest.status),
      latest: {
        id: latest.id,
        type: latest.type,
        status: latest.status,
        ...(latest.scope == null ? {} : { scope: latest.scope }),
        ...(latest.creationDateTimeUtc == null ? {} : { creationDateTimeUtc: latest.creationDateTimeUtc }),
      },
    };
  }

  /** Isolates the machine; resolves once Defender has created the machine action (HTTP 201). */
  isolate(
    machine: DefenderMachine,
    comment: string,
    isolationType: IsolationType,
    options: CallOptions = {},
  ): Promise<IsolationResult> {
    return this.machineAction(machine, 'Isolate', { Comment: comment, IsolationType: isolationType }, options);
  }

  /** Releases the machine from isolation. */
  unisolate(machine: DefenderMachine, comment: string, options: CallOptions = {}): Promise<IsolationResult> {
    return this.machineAction(machine, 'Unisolate', { Comment: comment }, options);
  }

  private async machineAction(
    machine: DefenderMachine,
    action: 'Isolate' | 'Unisolate',
    body: Record<string, string>,
    options: CallOptions,
  ): Promise<IsolationResult> {
    checkMachineId(machine.id);
    const path = `${DEFENDER_MACHINES_PATH}/${machine.id}/${action === 'Isolate' ? 'isolate' : 'unisolate'}`;
    const response = await this.withToken((auth) =>
      this.api.post<unknown>(path, body, {
        headers: { ...auth, 'Content-Type': 'application/json' },
        ...signalOf(options),
      }),
    );
    const created = parseResponse(
      machineActionSchema,
      response.data,
      INTEGRATION,
      `${action.toLowerCase()} machine action`,
    );
    return {
      machineId: machine.id,
      ...(machine.computerDnsName === undefined || machine.computerDnsName === null
        ? {}
        : { computerDnsName: machine.computerDnsName }),
      action,
      machineActionId: created.id,
      status: created.status,
      ...(created.scope == null ? {} : { scope: created.scope }),
    };
  }

  private async listMachines(filter: string, options: CallOptions): Promise<z.output<typeof machineSchema>[]> {
    try {
      const response = await this.withToken((auth) =>
        this.api.get<unknown>(DEFENDER_MACHINES_PATH, {
          params: { $filter: filter },
          headers: auth,
          ...signalOf(options),
        }),
      );
      return parseResponse(machineListSchema, response.data, INTEGRATION, 'machines').value;
    } catch (error) {
      // get-machines: "If no recent machines - 404 Not Found": nothing matched.
      if (error instanceof IntegrationError && error.status === 404) return [];
      throw error;
    }
  }

  /** Runs `call` with a valid token; on 401 (token revoked or expired early) renews once and retries. */
  private withToken<T>(call: (auth: { Authorization: string }) => Promise<T>): Promise<T> {
    return this.tokens.use((token) => call({ Authorization: `Bearer ${token}` }));
  }

  private async fetchToken(): Promise<IssuedToken> {
    const form = new URLSearchParams({
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      scope: this.config.scope,
      grant_type: 'client_credentials',
    });
    let data: unknown;
    try {
      const response = await this.login.post<unknown>(
        `/${encodeURIComponent(this.config.tenantId)}/oauth2/v2.0/token`,
        form.toString(),
        { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      );
      data = response.data;
    } catch (error) {
      throw refusedCredentials(error);
    }
    const body = parseResponse(tokenResponseSchema, data, INTEGRATION, 'OAuth2 token');
    const lifetimeMs = body.expires_in * 1000;
    return { value: body.access_token, renewAt: renewTime(this.now(), lifetimeMs, this.refreshMarginMs) };
  }
}

/**
 * Entra ID answers a wrong tenant, client ID, secret or scope with 400 or 401 (`invalid_client`,
 * `unauthorized_client`, `invalid_scope`, AADSTS codes): every one is a configuration problem, so
 * it is reported as a refusal of credentials (status 401, the real status in the message).
 */
function refusedCredentials(error: unknown): unknown {
  if (!(error instanceof IntegrationError) || error.status === undefined) return error;
  if (error.status < 400 || error.status >= 500 || error.status === 429 || error.status === 401) return error;
  return new IntegrationError(`${error.message} (Entra ID refused the app's sign-in)`, {
    integration: error.integration,
    kind: error.kind,
    retryable: false,
    status: 401,
  });
}
