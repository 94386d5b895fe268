import { z } from 'zod';
import { durationSchema, nonEmpty } from '../config-helpers';
import { intelLimitsSchema } from '../intel-lookup';

/**
 * `integrations.virustotal`: an API key (x-apikey) and the key's quota. The defaults are the
 * public API's limits (4 lookups a minute, 500 a day); a premium key raises them.
 */
export const virustotalConfigSchema = z.strictObject({
  baseUrl: z.url().default('https://www.virustotal.com'),
  timeout: durationSchema.default(10_000),
  apiKey: nonEmpty,
  ...intelLimitsSchema({ requestsPerMinute: 4, requestsPerDay: 500 }),
});
export type VirusTotalConfig = z.output<typeof virustotalConfigSchema>;
