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

interface CachedToken {
  value: string;
  renewAt: number;
}

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
  private token: CachedToken | undefined;
  /** Shared by concurrent callers so a burst of actions fetches one token, not many. */
  private pendingToken: Promise<CachedToken> | undefined;

  constructor(
    private readonly config: EntraIdConfig,
    options: EntraIdClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
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
    const response = await this.withToken((token) =>
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
    const response = await this.withToken((token) =>
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
    await this.withToken((token) =>
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

  /** Runs `call` with a valid token; on 401 (token revoked or expired early) renews once and retries. */
  private async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.currentToken();
    try {
      return await call(token.value);
    } catch (error) {
      if (!(error instanceof IntegrationError) || error.status !== 401) throw error;
      if (this.token === token) this.token = undefined;
      const renewed = await this.currentToken();
      return call(renewed.value);
    }
  }

  private async currentToken(): Promise<CachedToken> {
    if (this.token !== undefined && this.now() < this.token.renewAt) return this.token;
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<CachedToken> {
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
    const token = {
      value: body.access_token,
      renewAt: this.now() + lifetimeMs - Math.min(this.refreshMarginMs, lifetimeMs / 2),
    };
    this.token = token;
    return token;
  }
}
