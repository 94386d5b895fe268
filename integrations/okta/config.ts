import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/** `integrations.okta`: an API token of an admin allowed to manage users' lifecycle. */
export const oktaConfigSchema = z.strictObject({ ...httpIntegration, apiToken: nonEmpty });
export type OktaConfig = z.output<typeof oktaConfigSchema>;
