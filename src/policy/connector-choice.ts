/**
 * Which connector carries out an action (its enforcement point, bound by the action digest):
 * among the configured connectors of the action's capability that implement it —
 * `params.connector` when the playbook names one; for an EDR action, the connector the asset has
 * an agent ID for (`assets[].edr`), else its zone's default (`zones[].edr`); otherwise the first
 * configured in registry order. People-only actions go to the ticketing connector.
 */
import { CONNECTOR_MANIFESTS } from '../../integrations/registry';
import type { ActionRequest, ActionSpec } from '../actions/catalog';
import type { ZoneConfig } from '../config/schema';
import type { ResolvedTarget } from './types';

export function chooseConnector(
  spec: ActionSpec,
  action: ActionRequest,
  target: ResolvedTarget,
  integrations: Readonly<Record<string, unknown>>,
  zone: ZoneConfig | undefined,
): string {
  const capability = spec.integration === 'people' ? 'ticketing' : spec.integration;
  const candidates = CONNECTOR_MANIFESTS.filter(
    (m) => m.capability === capability && m.actions.includes(action.type) && integrations[m.id] !== undefined,
  ).map((m) => m.id);
  const requested = action.params['connector'];
  // A named connector that is not configured stays named: execution then fails saying so.
  if (typeof requested === 'string' && requested !== '') return requested;
  if (capability === 'edr') {
    const byAgent = candidates.find((id) => target.edr[id] !== undefined);
    if (byAgent !== undefined) return byAgent;
    if (zone?.edr !== undefined) return zone.edr;
  }
  return candidates[0] ?? spec.integration;
}
