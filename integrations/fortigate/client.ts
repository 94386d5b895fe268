import type { AxiosInstance } from 'axios';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { FortiGateConfig } from './config';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * FortiGate IP quarantine through the FortiOS monitor API's banned-users list: takes effect
 * immediately, expires on its own, and changes no configuration (so no policy push or revision).
 * `add_users` is idempotent in effect but not in time (banning a banned address starts its
 * expiry again); `clear_users` of an address that is not banned succeeds. The banned list
 * (`GET monitor/user/banned`) is the read that tells whether a ban is in place.
 */

export type { FortiGateConfig } from './config';

export interface FortiGateClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export type BanAction = 'quarantine' | 'release';

export interface BanResult {
  /** Canonical form of the address that was sent. */
  ip: string;
  action: BanAction;
  vdom: string;
  /** Ban lifetime in seconds (quarantine only). */
  expirySeconds?: number;
}

const INTEGRATION = 'fortigate';
const ADD_USERS_PATH = '/api/v2/monitor/user/banned/add_users';
const CLEAR_USERS_PATH = '/api/v2/monitor/user/banned/clear_users';
const BANNED_PATH = '/api/v2/monitor/user/banned';
/** Close the sessions matching a filter (IPv4 / IPv6 session tables); `saddr` filters by source. */
const CLOSE_SESSIONS_PATH = '/api/v2/monitor/firewall/session/close-multiple';
const CLOSE_SESSIONS6_PATH = '/api/v2/monitor/firewall/session6/close-multiple';
/** Automation never bans indefinitely (FortiOS reads expiry 0 as "forever"); a year is the ceiling. */
const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;

const expirySchema = z
  .number()
  .int()
  .min(1, 'expiry must be at least 1 second')
  .max(MAX_EXPIRY_SECONDS, 'expiry must be at most a year');

const monitorResponseSchema = z.object({
  http_method: z.string().optional(),
  status: z.enum(['success', 'error']),
  http_status: z.number().int().optional(),
  vdom: z.string().optional(),
  error: z.union([z.number(), z.string()]).optional(),
});

/** `GET monitor/user/banned`: the quarantined addresses, with their expiry (epoch seconds). */
const bannedListSchema = monitorResponseSchema.extend({
  results: z.array(z.object({ ip_address: z.string(), expires: z.number().optional() }).loose()).default([]),
});

/** Whether an address is quarantined, read before a change so the audit holds the prior state (rule 10). */
export interface BanState {
  ip: string;
  banned: boolean;
  /** Epoch seconds at which the existing ban ends, when banned. */
  expires?: number;
}

function invalidInput(message: string): IntegrationError {
  return new IntegrationError(`${INTEGRATION}: ${message}`, {
    integration: INTEGRATION,
    kind: 'invalid-input',
    retryable: false,
  });
}

/** Canonical IPv4/IPv6 text; refuses legacy IPv4 forms ("10.1", "0x0a.0.0.1") that hide the real target. */
function canonicalIp(ip: string): string {
  const trimmed = ip.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.IPv4.parse(trimmed).toString();
  if (ipaddr.IPv6.isValid(trimmed)) {
    const parsed = ipaddr.IPv6.parse(trimmed);
    return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toString();
  }
  throw invalidInput(`invalid IP address "${ip.slice(0, 64)}"`);
}

export class FortiGateClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: FortiGateConfig,
    options: FortiGateClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiKey], options);
  }

  /** Bans an IP for `expirySeconds` (default: the configured banExpiry). */
  async quarantineIp(ip: string, expirySeconds?: number, options: CallOptions = {}): Promise<BanResult> {
    const address = canonicalIp(ip);
    const expiry = expirySchema.safeParse(expirySeconds ?? this.defaultExpirySeconds);
    if (!expiry.success) throw invalidInput(expiry.error.issues[0]?.message ?? 'invalid expiry');
    await this.monitorPost(ADD_USERS_PATH, { ip_addresses: [address], expiry: expiry.data }, 'add_users', options);
    return { ip: address, action: 'quarantine', vdom: this.config.vdom, expirySeconds: expiry.data };
  }

  /** The ban lifetime used when none is given: the configured banExpiry, in seconds. */
  get defaultExpirySeconds(): number {
    return Math.ceil(this.config.banExpiry / 1000);
  }

  /** This client's VDOM. */
  get vdom(): string {
    return this.config.vdom;
  }

  /** The address's quarantine state on this VDOM (before a change, or to see whether one is in place). */
  async banState(ip: string, options: CallOptions = {}): Promise<BanState> {
    const address = canonicalIp(ip);
    const response = await this.http.get<unknown>(BANNED_PATH, {
      params: { vdom: this.config.vdom },
      headers: { Authorization: `Bearer ${this.config.apiKey}` },
      ...signalOf(options),
    });
    const list = parseResponse(bannedListSchema, response.data, INTEGRATION, 'banned list');
    if (list.status !== 'success') {
      const status = list.http_status ?? response.status;
      throw new IntegrationError(`${INTEGRATION}: banned list failed with status "error" (HTTP ${status})`, {
        integration: INTEGRATION,
        kind: 'vendor-error',
        status,
        retryable: status >= 500,
      });
    }
    const entry = list.results.find((r) => r.ip_address === address);
    return {
      ip: address,
      banned: entry !== undefined,
      ...(entry?.expires === undefined ? {} : { expires: entry.expires }),
    };
  }

  /**
   * Ends every session from the address on this VDOM (`firewall/session/close-multiple`, or
   * `session6/…` for IPv6, filtered by `saddr`). Closing when none is open succeeds.
   */
  async closeSessions(ip: string, options: CallOptions = {}): Promise<{ ip: string; vdom: string }> {
    const address = canonicalIp(ip);
    const path = address.includes(':') ? CLOSE_SESSIONS6_PATH : CLOSE_SESSIONS_PATH;
    await this.monitorPost(path, { saddr: address }, 'close-multiple', options);
    return { ip: address, vdom: this.config.vdom };
  }

  /** Removes an IP from the banned list. Releasing an IP that is not banned succeeds. */
  async releaseIp(ip: string, options: CallOptions = {}): Promise<BanResult> {
    const address = canonicalIp(ip);
    await this.monitorPost(CLEAR_USERS_PATH, { ip_addresses: [address] }, 'clear_users', options);
    return { ip: address, action: 'release', vdom: this.config.vdom };
  }

  private async monitorPost(
    path: string,
    body: Record<string, unknown>,
    what: string,
    options: CallOptions,
  ): Promise<void> {
    const response = await this.http.post<unknown>(path, body, {
      params: { vdom: this.config.vdom },
      headers: { Authorization: `Bearer ${this.config.apiKey}`, 'Content-Type': 'application/json' },
      ...signalOf(options),
    });
    const result = parseResponse(monitorResponseSchema, response.data, INTEGRATION, what);
    // FortiOS can report failure inside a 200 body; trust the body's status over the HTTP one.
    if (result.status !== 'success') {
      const status = result.http_status ?? response.status;
      throw new IntegrationError(
        `${INTEGRATION}: ${what} failed with status "error" (HTTP ${status}${result.error === undefined ? '' : `, error ${String(result.error)}`})`,
        { integration: INTEGRATION, kind: 'vendor-error', status, retryable: status >= 500 },
      );
    }
    if (result.vdom !== undefined && result.vdom !== this.config.vdom) {
      throw new IntegrationError(
        `${INTEGRATION}: ${what} applied to vdom "${result.vdom}", expected "${this.config.vdom}"`,
        {
          integration: INTEGRATION,
          kind: 'invalid-response',
          retryable: false,
        },
      );
    }
  }
}
