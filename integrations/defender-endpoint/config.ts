import { z } from 'zod';
import { durationSchema, nonEmpty } from '../config-helpers';

/**
 * `integrations.defender-endpoint`: an app registration in Microsoft Entra ID with the
 * WindowsDefenderATP application permissions Machine.Read.All and Machine.Isolate (admin consent),
 * signing in with a client secret (OAuth2 client credentials).
 */
export const defenderEndpointConfigSchema = z.strictObject({
  /** The Defender for Endpoint API; a regional host (eu.api.security.microsoft.com …) is faster. */
  baseUrl: z.url().default('https://api.securitycenter.microsoft.com'),
  /** The Entra ID sign-in host (sovereign clouds have their own, e.g. login.microsoftonline.us). */
  loginUrl: z.url().default('https://login.microsoftonline.com'),
  /** The directory (tenant) ID of the app registration. */
  tenantId: nonEmpty.regex(/^[A-Za-z0-9.-]+$/, 'a tenant ID (GUID) or verified domain'),
  /** The application (client) ID. */
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  /** The token's audience: the Defender for Endpoint API (the `.default` scope grants the consented permissions). */
  scope: nonEmpty.default('https://api.securitycenter.microsoft.com/.default'),
  timeout: durationSchema.default(10_000),
});
export type DefenderEndpointConfig = z.output<typeof defenderEndpointConfigSchema>;
