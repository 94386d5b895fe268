import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { EntraIdConfig } from './config';
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

/**
 * Microsoft Entra ID (Azure AD) through Microsoft Graph v1.0, as an app with client-credentials
 * tokens (Microsoft identity platform v2.0 token endpoint):
 *
 *   - disable / re-enable:  `PATCH /v1.0/users/{id | userPrincipalName}` `{"accountEnabled": false|true}`
 *                           → 204. Setting the value it already has changes nothing, so retries are safe.
 *   - revoke sessions:      `POST /v1.0/users/{id | userPrincipalName}/revokeSignInSessions` → 200
 *                           `{"value": true}`: resets signInSessionsValidFromDateTime, invalidating
 *                           every refresh token and browser session cookie of the user.
 *   - the state read:       `GET /v1.0/users/{id | userPrincipalName}?$select=id,accountEnabled`.
 */

export type { EntraIdConfig } from './config';

export interface EntraIdClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
  /** Renew this long before the token expires (capped at half its lifetime). Default 5 min. */
  tokenRefreshMarginMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface EntraAccountResult {
  account: string;
  action: 'disable' | 'enable' | 'revoke_sessions';
}

export interface EntraAccountState {
  account: string;
  /** The user's object ID. */
  id: string;
  accountEnabled: boolean;
}

const INTEGRATION = 'entra-id';
export const GRAPH_USERS_PATH = '/v1.0/users';
/** The v2.0 token endpoint under the login URL: `/{tenant}/oauth2/v2.0/token`. */
export const entraTokenPath = (tenantId: string) => `/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected a bearer token'),
  // v2.0 sends a number; v1.0 (and some proxies) a numeric string.
  expires_in: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]),
});
const userStateSchema = z.object({ id: z.string(), accountEnabled: z.boolean() }).loose();
const revokeResponseSchema = z.object({ value: z.boolean() }).loose();

/** An object ID (GUID) or a userPrincipalName: no path separators, queries or fragments. */
const accountSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^/?#\\\s]+$/, 'an Entra user object ID or userPrincipalName');

function checkAccount(account: string): void {
  const parsed = accountSchema.safeParse(account);
  if (!parsed.success)
    throw new IntegrationError(`${INTEGRATION}: invalid account: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      integration: INTEGRATION,
      kind: 'invalid-input',
      retryable: false,
    });
}

export class EntraIdClient {
  private readonly graph: AxiosInstance;
  private readonly login: AxiosInstance;
  private readonly now: () => number;
  private readonly refreshMarginMs: number;
  private readonly tokens: TokenCache;

  constructor(
    private readonly config: EntraIdConfig,
    options: EntraIdClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(() => this.fetchToken(), this.now);
    this.refreshMarginMs = options.tokenRefreshMarginMs ?? 300_000;
    const secrets = [config.clientSecret];
    this.graph = createVendorHttpClient(
      INTEGRATION,
      { baseUrl: config.graphUrl, timeout: config.timeout },
      secrets,
      options,
    );
    this.login = createVendorHttpClient(
      INTEGRATION,
      { baseUrl: config.loginUrl, timeout: config.timeout },
      secrets,
      options,
    );
  }

  /** Blocks sign-in (`accountEnabled: false`). `account` is the object ID or userPrincipalName. */
  async disableAccount(account: string, options: CallOptions = {}): Promise<EntraAccountResult> {
    await this.setEnabled(account, false, options);
    return { account, action: 'disable' };
  }

  async enableAccount(account: string, options: CallOptions = {}): Promise<EntraAccountResult> {
    await this.setEnabled(account, true, options);
    return { account, action: 'enable' };
  }

  /** Invalidates the user's refresh tokens and session cookies: they must sign in again. */
  async revokeSessions(account: string, options: CallOptions = {}): Promise<EntraAccountResult> {
    checkAccount(account);
    const response = await this.tokens.use((token) =>
      this.graph.post<unknown>(`${GRAPH_USERS_PATH}/${encodeURIComponent(account)}/revokeSignInSessions`, undefined, {
        headers: { Authorization: `Bearer ${token}` },
        ...signalOf(options),
      }),
    );
    const body = parseResponse(revokeResponseSchema, response.data, INTEGRATION, 'revokeSignInSessions');
    if (!body.value)
      throw new IntegrationError(`${INTEGRATION}: revokeSignInSessions answered false for ${account}`, {
        integration: INTEGRATION,
        kind: 'vendor-error',
        retryable: false,
      });
    return { account, action: 'revoke_sessions' };
  }

  /** Whether the account may sign in (`accountEnabled`), read by object ID or userPrincipalName. */
  async accountState(account: string, options: CallOptions = {}): Promise<EntraAccountState> {
    checkAccount(account);
    const response = await this.tokens.use((token) =>
      this.graph.get<unknown>(`${GRAPH_USERS_PATH}/${encodeURIComponent(account)}`, {
        params: { $select: 'id,accountEnabled' },
        headers: { Authorization: `Bearer ${token}` },
        ...signalOf(options),
      }),
    );
    const user = parseResponse(userStateSchema, response.data, INTEGRATION, 'get user');
    return { account, id: user.id, accountEnabled: user.accountEnabled };
  }

  private async setEnabled(account: string, enabled: boolean, options: CallOptions): Promise<void> {
    checkAccount(account);
    await this.tokens.use((token) =>
      this.graph.patch(
        `${GRAPH_USERS_PATH}/${encodeURIComponent(account)}`,
        { accountEnabled: enabled },
        {
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          ...signalOf(options),
        },
      ),
    );
  }

  private async fetchToken(): Promise<IssuedToken> {
    const form = new URLSearchParams({
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      scope: this.config.scope,
      grant_type: 'client_credentials',
    });
    const response = await this.login.post<unknown>(entraTokenPath(this.config.tenantId), form.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const body = parseResponse(tokenResponseSchema, response.data, INTEGRATION, 'OAuth2 token');
    const lifetimeMs = body.expires_in * 1000;
    return { value: body.access_token, renewAt: renewTime(this.now(), lifetimeMs, this.refreshMarginMs) };
  }
}
