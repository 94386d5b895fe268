import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';
import { intelLimitsSchema } from '../intel-lookup';

/**
 * `integrations.misp`: the instance's URL and an auth key of a user who may read events (role
 * "User" or "Read Only"). MISP sets no quota of its own; the limit protects the instance.
 */
export const mispConfigSchema = z.strictObject({
  ...httpIntegration,
  apiKey: nonEmpty,
  ...intelLimitsSchema({ requestsPerMinute: 60 }),
});
export type MispConfig = z.output<typeof mispConfigSchema>;
