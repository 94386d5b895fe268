/** Okta: suspend and unsuspend a user (lifecycle API), end its sessions; the account is the action's target. */
import { signalOption } from '../action-helpers';
import { defineConnector, type ActionHandler } from '../connector';
import { OktaClient } from './client';
import { oktaConfigSchema } from './config';
import { manifest } from './manifest';

function lifecycle(disable: boolean): ActionHandler<OktaClient> {
  return {
    async execute(client, { decision, ...call }) {
      const account = decision.action.target;
      const result = disable
        ? await client.disableAccount(account, signalOption(call))
        : await client.enableAccount(account, signalOption(call));
      return { summary: `okta ${result.action} of account ${result.account}`, details: { ...result } };
    },
    async observe(client, { decision, ...call }) {
      const account = decision.action.target;
      const { status } = await client.accountState(account, signalOption(call));
      if (status !== (disable ? 'SUSPENDED' : 'ACTIVE')) return undefined;
      const verb = disable ? 'suspend' : 'unsuspend';
      return {
        summary: `okta ${verb} of account ${account} (status ${status})`,
        details: { account, action: verb, observed: { status } },
      };
    },
  };
}

/**
 * No post-check: a session revocation leaves nothing to read back (the user simply has no
 * sessions, as a user who never signed in). Repeating it after an interrupted attempt is harmless.
 */
const revokeSessions: ActionHandler<OktaClient> = {
  async execute(client, { decision, ...call }) {
    const result = await client.revokeSessions(decision.action.target, signalOption(call));
    return { summary: `okta revoked the sessions of account ${result.account}`, details: { ...result } };
  },
};

export const okta = defineConnector({
  manifest,
  configSchema: oktaConfigSchema,
  createClient: (config, options) => new OktaClient(config, options),
  actions: {
    'identity.disable_account': lifecycle(true),
    'identity.enable_account': lifecycle(false),
    'identity.revoke_sessions': revokeSessions,
  },
});
