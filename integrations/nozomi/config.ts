import { z } from 'zod';
import { durationSchema, httpIntegration, nonEmpty } from '../config-helpers';

/**
 * `integrations.nozomi`: the Guardian / CMC (or Vantage) address and an OpenAPI key (key name
 * and key token) of a user whose group may acknowledge and close alerts. `jobTimeout` bounds how
 * long one acknowledge or close waits for Nozomi's asynchronous job to finish.
 */
export const nozomiConfigSchema = z.strictObject({
  ...httpIntegration,
  keyName: nonEmpty,
  keyToken: nonEmpty,
  jobTimeout: durationSchema.default(30_000),
});
export type NozomiConfig = z.output<typeof nozomiConfigSchema>;
