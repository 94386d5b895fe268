import type { AxiosInstance } from 'axios';
import type { InterlockConfig } from '../src/config/schema';
import { createVendorHttpClient, type IntegrationLogger, type RetryOptions } from './http';

/**
 * Okta as the identity provider: an account is disabled by suspending it (lifecycle
 * `suspend`, reversible with `unsuspend`), which ends sign-ins without deleting anything.
 */

export type OktaConfig = NonNullable<InterlockConfig['integrations']['okta']>;

export interface OktaClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export interface AccountResult {
  account: string;
  action: 'suspend' | 'unsuspend';
}

const INTEGRATION = 'okta';
export const OKTA_USERS_PATH = '/api/v1/users';

export class OktaClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: OktaConfig,
    options: OktaClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiToken], options);
  }

  /** `account` is the Okta user ID or login. */
  async disableAccount(account: string): Promise<AccountResult> {
    await this.lifecycle(account, 'suspend');
    return { account, action: 'suspend' };
  }

  async enableAccount(account: string): Promise<AccountResult> {
    await this.lifecycle(account, 'unsuspend');
    return { account, action: 'unsuspend' };
  }

  private async lifecycle(account: string, operation: 'suspend' | 'unsuspend'): Promise<void> {
    await this.http.post(`${OKTA_USERS_PATH}/${encodeURIComponent(account)}/lifecycle/${operation}`, undefined, {
      headers: { Authorization: `SSWS ${this.config.apiToken}`, Accept: 'application/json' },
    });
  }
}
