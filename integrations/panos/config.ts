import { z } from 'zod';
import { durationSchema, httpIntegration, nonEmpty } from '../config-helpers';

/** PAN-OS accepts a registered-IP tag timeout of up to 30 days (0 would mean "never": not ours). */
export const MAX_TAG_TIMEOUT_SECONDS = 2_592_000;

/**
 * `integrations.panos`: an API key of an administrator allowed the User-ID agent and operational
 * requests over the XML API; the tag a dynamic address group matches; the vsys by default.
 */
export const panosConfigSchema = z.strictObject({
  ...httpIntegration,
  apiKey: nonEmpty,
  /** The tag registered on a quarantined address (a dynamic address group in a deny rule matches it). */
  tag: z
    .string()
    .min(1)
    .max(127)
    .regex(/^[^<>&"']+$/, 'must not contain < > & " or \'')
    .default('interlock-quarantine'),
  vsys: nonEmpty.default('vsys1'),
  quarantineTimeout: durationSchema
    .refine((ms) => ms >= 1_000 && ms <= MAX_TAG_TIMEOUT_SECONDS * 1_000, 'must be between 1s and 30d')
    .default(3_600_000),
});
export type PanosConfig = z.output<typeof panosConfigSchema>;
