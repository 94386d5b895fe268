import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/** `integrations.okta`: an API token of an admin allowed to manage users' lifecycle and sessions. */
export const oktaConfigSchema = z.strictObject({
  ...httpIntegration,
  apiToken: nonEmpty,
  /** identity.revoke_sessions also revokes the user's OAuth/OIDC tokens (`?oauthTokens=true`). */
  revokeOAuthTokens: z.boolean().default(true),
});
export type OktaConfig = z.output<typeof oktaConfigSchema>;
