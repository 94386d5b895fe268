import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/**
 * `integrations.sentinelone`: the management console URL and the API token of a service user
 * whose role may view endpoints and disconnect / reconnect them from the network.
 */
export const sentineloneConfigSchema = z.strictObject({
  /** The management console, e.g. https://usea1-acme.sentinelone.net (API under /web/api/v2.1). */
  ...httpIntegration,
  apiToken: nonEmpty,
});
export type SentinelOneConfig = z.output<typeof sentineloneConfigSchema>;
