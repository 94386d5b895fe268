/**
 * Microsoft Entra ID: block and restore an account's sign-in (`accountEnabled`) and revoke its
 * sessions, through Microsoft Graph; the account (object ID or userPrincipalName) is the
 * action's target.
 */
import { signalOption } from '../action-helpers';
import { defineConnector, type ActionHandler } from '../connector';
import { EntraIdClient } from './client';
import { entraIdConfigSchema } from './config';
import { manifest } from './manifest';

function accountEnabled(enable: boolean): ActionHandler<EntraIdClient> {
  const verb = enable ? 'enable' : 'disable';
  return {
    async execute(client, { decision, ...call }) {
      const account = decision.action.target;
      // Pre-change read (rule 10): whether it could sign in before, for the audit trail.
      const before = await client.accountState(account, signalOption(call));
      const result = enable
        ? await client.enableAccount(account, signalOption(call))
        : await client.disableAccount(account, signalOption(call));
      return {
        summary: `entra-id ${verb} of account ${account}`,
        details: { ...result, userId: before.id, preChange: { accountEnabled: before.accountEnabled } },
      };
    },
    async observe(client, { decision, ...call }) {
      const account = decision.action.target;
      const state = await client.accountState(account, signalOption(call));
      if (state.accountEnabled !== enable) return undefined;
      return {
        summary: `entra-id ${verb} of account ${account} (accountEnabled ${String(state.accountEnabled)})`,
        details: { account, action: verb, userId: state.id, observed: { accountEnabled: state.accountEnabled } },
      };
    },
  };
}

/**
 * Revoking sessions leaves no state that tells whether an interrupted attempt went through
 * (signInSessionsValidFromDateTime is a time on Microsoft's clock, not ours), so there is no
 * post-check: the ledger lets it be made again, which is harmless — revoking twice only moves
 * the same cut-off forward, and the user signs in again either way.
 */
const revokeSessions: ActionHandler<EntraIdClient> = {
  async execute(client, { decision, ...call }) {
    const result = await client.revokeSessions(decision.action.target, signalOption(call));
    return { summary: `entra-id revoked the sign-in sessions of account ${result.account}`, details: { ...result } };
  },
};

export const entraId = defineConnector({
  manifest,
  configSchema: entraIdConfigSchema,
  createClient: (config, options) => new EntraIdClient(config, options),
  actions: {
    'identity.disable_account': accountEnabled(false),
    'identity.enable_account': accountEnabled(true),
    'identity.revoke_sessions': revokeSessions,
  },
});
