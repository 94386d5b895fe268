import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { OktaConfig } from './config';
import {
  createVendorHttpClient,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * Okta as the identity provider: an account is disabled by suspending it (lifecycle
 * `suspend`, reversible with `unsuspend`), which ends sign-ins without deleting anything.
 * Neither is idempotent at Okta (suspending a suspended user is refused with 400), so the
 * user's `status` (`GET /api/v1/users/{id}`) is the read that tells whether a change is in place.
 * Sessions are revoked with `DELETE /api/v1/users/{id}/sessions` (204; `oauthTokens=true` also
 * revokes the OpenID Connect and OAuth refresh and access tokens issued to the user), which is
 * harmless to repeat.
 */

export type { OktaConfig } from './config';

/** The configuration the client needs (revokeOAuthTokens defaults to true, as in the schema). */
export type OktaClientConfig = Omit<OktaConfig, 'revokeOAuthTokens'> & { revokeOAuthTokens?: boolean };

export interface OktaClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export interface AccountResult {
  account: string;
  action: 'suspend' | 'unsuspend' | 'revoke_sessions';
}

/** An Okta user's lifecycle status (ACTIVE, SUSPENDED, LOCKED_OUT, DEPROVISIONED, …). */
export interface AccountState {
  account: string;
  /** The Okta user ID (`00u…`), whatever the account was read by. */
  id: string;
  status: string;
}

const INTEGRATION = 'okta';
export const OKTA_USERS_PATH = '/api/v1/users';
const userSchema = z.object({ id: z.string(), status: z.string() }).loose();

export class OktaClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: OktaClientConfig,
    options: OktaClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiToken], options);
  }

  private get headers() {
    return { Authorization: `SSWS ${this.config.apiToken}`, Accept: 'application/json' };
  }

  /** `account` is the Okta user ID or login. */
  async disableAccount(account: string, options: CallOptions = {}): Promise<AccountResult> {
    await this.lifecycle(account, 'suspend', options);
    return { account, action: 'suspend' };
  }

  async enableAccount(account: string, options: CallOptions = {}): Promise<AccountResult> {
    await this.lifecycle(account, 'unsuspend', options);
    return { account, action: 'unsuspend' };
  }

  /** The user's lifecycle status, read by ID or login. */
  async accountState(account: string, options: CallOptions = {}): Promise<AccountState> {
    const response = await this.http.get<unknown>(`${OKTA_USERS_PATH}/${encodeURIComponent(account)}`, {
      headers: this.headers,
      ...signalOf(options),
    });
    const user = parseResponse(userSchema, response.data, INTEGRATION, 'get user');
    return { account, id: user.id, status: user.status };
  }

  /**
   * Ends every Okta session of the user (and, with `revokeOAuthTokens`, the OAuth tokens issued
   * to it). The sessions endpoint takes the user ID, so a login is first read to its ID.
   */
  async revokeSessions(account: string, options: CallOptions = {}): Promise<AccountResult & { userId: string }> {
    const { id } = await this.accountState(account, options);
    await this.http.delete(`${OKTA_USERS_PATH}/${encodeURIComponent(id)}/sessions`, {
      params: { oauthTokens: this.config.revokeOAuthTokens ?? true },
      headers: this.headers,
      ...signalOf(options),
    });
    return { account, action: 'revoke_sessions', userId: id };
  }

  private async lifecycle(account: string, operation: 'suspend' | 'unsuspend', options: CallOptions): Promise<void> {
    await this.http.post(`${OKTA_USERS_PATH}/${encodeURIComponent(account)}/lifecycle/${operation}`, undefined, {
      headers: this.headers,
      ...signalOf(options),
    });
  }
}
