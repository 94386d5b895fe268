import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/** `integrations.crowdstrike`: an API client with the Hosts: Read and Hosts: Write scopes. */
export const crowdstrikeConfigSchema = z.strictObject({
  ...httpIntegration,
  clientId: nonEmpty,
  clientSecret: nonEmpty,
});
export type CrowdStrikeConfig = z.output<typeof crowdstrikeConfigSchema>;
