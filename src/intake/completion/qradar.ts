import type { Alert } from '../../alerts/alert';
import { IntegrationError } from '../../../integrations/http';
import type { QRadarClient } from '../../../integrations/qradar';
import type { NormalizeContext } from '../normalizers';
import { normalizeOffense, parseOffense, PRODUCT, type ResolvedAddresses } from '../normalizers/qradar';

/** Address IDs looked up per side and delivery: an offense's first ones are its main ones. */
export const MAX_LOOKUPS_PER_SIDE = 5;
export const QRADAR_API_PROVENANCE = 'api:qradar';

export interface CompletionOutcome {
  alerts: Alert[];
  /** `api` when the API answered, `text` when the offense's own text was kept (and why). */
  source: 'api' | 'text';
  reason?: string;
}

/**
 * Completes a QRadar offense's alert with the addresses its IDs stand for, asked of the QRadar
 * API within `deadlineMs` for all lookups together. Any failure (401, timeout, unexpected
 * response…) keeps the normalized alert, whose addresses come from the offense's own text.
 */
export async function completeQRadarOffense(
  body: unknown,
  ctx: NormalizeContext,
  normalized: Alert[],
  client: QRadarClient,
  deadlineMs: number,
): Promise<CompletionOutcome> {
  if (normalized[0]?.source.product !== PRODUCT) return { alerts: normalized, source: 'text' };
  const offense = parseOffense(body, ctx.source);
  const sourceIds = offense.source_address_ids.slice(0, MAX_LOOKUPS_PER_SIDE);
  const destinationIds = offense.local_destination_address_ids.slice(0, MAX_LOOKUPS_PER_SIDE);
  if (sourceIds.length === 0 && destinationIds.length === 0)
    return { alerts: normalized, source: 'text', reason: 'no address IDs' };

  const signal = AbortSignal.timeout(deadlineMs);
  let resolved: ResolvedAddresses;
  try {
    const [source, destination] = await Promise.all([
      Promise.all(sourceIds.map((id) => client.sourceAddress(id, { signal }))),
      Promise.all(destinationIds.map((id) => client.localDestinationAddress(id, { signal }))),
    ]);
    resolved = { source, destination, provenance: QRADAR_API_PROVENANCE };
  } catch (error) {
    // IntegrationError messages carry no headers, bodies or configured secrets.
    const reason = error instanceof IntegrationError ? error.message : 'qradar: unexpected failure';
    return { alerts: normalized, source: 'text', reason };
  }
  return { alerts: normalizeOffense(offense, ctx, resolved), source: 'api' };
}
