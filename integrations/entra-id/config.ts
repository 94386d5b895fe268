import { z } from 'zod';
import { durationSchema, nonEmpty } from '../config-helpers';

/**
 * `integrations.entra-id`: an app registration of the tenant (client credentials) with the
 * Graph application permissions of docs/connectors/entra-id.md. The login and Graph URLs are
 * configurable for national clouds (and for the test stubs).
 */
export const entraIdConfigSchema = z.strictObject({
  /** Directory (tenant) ID or a verified domain; it is a path segment of the token endpoint. */
  tenantId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'a tenant ID (GUID) or domain name'),
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  loginUrl: z.url().default('https://login.microsoftonline.com'),
  graphUrl: z.url().default('https://graph.microsoft.com'),
  /** The token's scope: Graph's `.default` (its application permissions granted to the app). */
  scope: nonEmpty.default('https://graph.microsoft.com/.default'),
  timeout: durationSchema.default(10_000),
});
export type EntraIdConfig = z.output<typeof entraIdConfigSchema>;
