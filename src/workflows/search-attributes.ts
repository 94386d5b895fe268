/**
 * The Temporal search attributes of incidents and playbook runs, so the Temporal UI (and
 * `temporal workflow list --query`) filters them: zone, severity, status, source, unhandled,
 * waiting for approval. Search attributes are stored and indexed in clear — payload codecs do
 * not apply to them — so only configuration words go here (zone IDs, OCSF severities, source
 * names, statuses): never host names, addresses, user names or alert titles.
 *
 * Imported by workflow code, the API (attributes set when signal-with-start opens an incident)
 * and the registration at startup (src/runtime/search-attributes.ts): it must stay pure.
 */
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import type { Alert } from '../alerts/alert';
import { SEVERITIES, type Severity } from '../alerts/vocabulary';

export const ZONES = defineSearchAttributeKey('InterlockZones', 'KEYWORD_LIST');
export const SEVERITY = defineSearchAttributeKey('InterlockSeverity', 'KEYWORD');
export const STATUS = defineSearchAttributeKey('InterlockStatus', 'KEYWORD');
export const SOURCES = defineSearchAttributeKey('InterlockSources', 'KEYWORD_LIST');
export const UNHANDLED = defineSearchAttributeKey('InterlockUnhandled', 'BOOL');
export const AWAITING_APPROVAL = defineSearchAttributeKey('InterlockAwaitingApproval', 'BOOL');

/** Every key, for registration at startup. */
export const INTERLOCK_SEARCH_ATTRIBUTES = [ZONES, SEVERITY, STATUS, SOURCES, UNHANDLED, AWAITING_APPROVAL] as const;

/** `InterlockStatus` of an incident (open, closed) or a playbook run (running, awaiting-approval, …). */
export type SearchStatus = 'open' | 'closed' | 'running' | 'awaiting-approval' | 'completed' | 'failed';

/**
 * What an incident or run is filtered by: the zones its alerts touch (every zone the inventory
 * places an endpoint in), the highest severity, the webhook sources. Carried from the incident
 * to its playbook runs (`PlaybookRunInput.searchAttributes`).
 */
export interface IncidentFacets {
  zones: string[];
  severity: Severity;
  sources: string[];
}

/** Widens `facets` with one alert's (its zones as the admission resolved them). */
export function widenFacets(
  facets: IncidentFacets | undefined,
  alert: Alert,
  zones: readonly string[],
): IncidentFacets {
  const severity =
    facets === undefined || SEVERITIES.indexOf(alert.severity) > SEVERITIES.indexOf(facets.severity)
      ? alert.severity
      : facets.severity;
  return {
    zones: [...new Set([...(facets?.zones ?? []), ...zones])].sort(),
    severity,
    sources: [...new Set([...(facets?.sources ?? []), alert.source.name])].sort(),
  };
}

export function sameFacets(a: IncidentFacets | undefined, b: IncidentFacets): boolean {
  return (
    a !== undefined &&
    a.severity === b.severity &&
    a.zones.join('\n') === b.zones.join('\n') &&
    a.sources.join('\n') === b.sources.join('\n')
  );
}

/** The attribute pairs of a workflow in this state (every key set, so `= false` filters work). */
export function searchAttributePairs(
  facets: IncidentFacets,
  state: { status: SearchStatus; unhandled?: boolean; awaitingApproval?: boolean },
): SearchAttributePair[] {
  return [
    { key: ZONES, value: facets.zones },
    { key: SEVERITY, value: facets.severity },
    { key: SOURCES, value: facets.sources },
    { key: STATUS, value: state.status },
    { key: UNHANDLED, value: state.unhandled === true },
    { key: AWAITING_APPROVAL, value: state.awaitingApproval === true },
  ];
}
