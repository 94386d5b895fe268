import { z } from 'zod';
import { durationSchema, httpIntegration, nonEmpty } from '../config-helpers';

/** `integrations.fortigate`: a REST API administrator's key; the VDOM enforced on by default. */
export const fortigateConfigSchema = z.strictObject({
  ...httpIntegration,
  apiKey: nonEmpty,
  vdom: nonEmpty.default('root'),
  banExpiry: durationSchema.default(3_600_000),
});
export type FortiGateConfig = z.output<typeof fortigateConfigSchema>;
