import { z } from 'zod';
import { durationSchema, httpIntegration, nonEmpty } from '../config-helpers';

/** The Defender for IoT detection engines a maintenance window can silence (maintenanceWindow API). */
export const DEFENDER_IOT_ENGINES = [
  'ANOMALY',
  'MALWARE',
  'OPERATIONAL',
  'POLICY_VIOLATION',
  'PROTOCOL_VIOLATION',
] as const;

/** Where a zone's traffic is watched: the console's sensor IDs (GET /api/v1/appliances) and subnets. */
const zoneScopeSchema = z.strictObject({
  sensorIds: z.array(z.union([nonEmpty, z.number().int().nonnegative()]).transform(String)).default([]),
  /** CIDRs to silence for a zone-wide window; default: the zone's `cidrs` in Interlock's inventory. */
  subnets: z.array(nonEmpty).default([]),
});

/**
 * `maintenanceSync`: mirror Interlock's `maintenanceWindows` to the console, so the sensors and
 * the engine (rule 13) silence the same windows. Present means on.
 */
const maintenanceSyncSchema = z.strictObject({
  /** How often the worker reconciles (default 1 minute). */
  interval: durationSchema.default(60_000),
  /** Open a window this long before its start (default 0: at its start). */
  lead: durationSchema.default(0),
  /** Engines silenced; malware keeps alerting by default, maintenance or not. */
  engines: z
    .array(z.enum(DEFENDER_IOT_ENGINES))
    .min(1)
    .default(['ANOMALY', 'OPERATIONAL', 'POLICY_VIOLATION', 'PROTOCOL_VIOLATION']),
  /** Per Interlock zone ID: its sensors and, optionally, subnets. */
  zones: z.record(nonEmpty, zoneScopeSchema).default({}),
});

/**
 * `integrations.defender-iot`: the on-premises management console's address and an access token
 * generated on it (System Settings → Integrations → Access Tokens). Alert actions and
 * maintenance windows are console APIs (`/external/v1/...`).
 */
export const defenderIotConfigSchema = z.strictObject({
  ...httpIntegration,
  apiToken: nonEmpty,
  maintenanceSync: maintenanceSyncSchema.optional(),
});
export type DefenderIotConfig = z.output<typeof defenderIotConfigSchema>;
export type MaintenanceSyncConfig = NonNullable<DefenderIotConfig['maintenanceSync']>;
