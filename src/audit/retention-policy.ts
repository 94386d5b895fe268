/** Retention bounds, without dependencies so the configuration schema can use them. */

const DAY_MS = 86_400_000;

/** NERC CIP-007 R4 (4.3): security event logs are kept at least 90 consecutive days. */
export const MIN_AUDIT_RETENTION_MS = 90 * DAY_MS;

/** Default `audit.retention`: more than a year, so an annual audit still finds the records. */
export const DEFAULT_AUDIT_RETENTION_MS = 400 * DAY_MS;
