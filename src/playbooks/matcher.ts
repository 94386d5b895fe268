/**
 * Which playbooks an alert starts. WORKFLOW-SAFE: pure functions over the playbook and
 * the normalized alert.
 */
import type { Alert } from '../alerts/alert';
import { alertView, severityId } from '../alerts/alert';
import type { AlertAssets } from './alert-assets';
import { evaluateCondition, ExpressionError } from './expressions';
import type { Playbook, PlaybookTrigger } from './schema';

export interface TriggerMatch {
  matched: boolean;
  /** `when` conditions that failed to evaluate, by trigger index; such a trigger does not match. */
  errors: { trigger: number; message: string }[];
}

/**
 * What a trigger's `when` sees: the alert (meaning fields always present, see alertView) and
 * its endpoints resolved against the inventory (`assets`, see alert-assets.ts); `incident` and
 * `steps` are empty: nothing has run yet. Without `assets` (no inventory at hand) a condition
 * reading it fails to evaluate, so the trigger does not match.
 */
export function triggerVars(alert: Alert, assets?: AlertAssets): Record<string, unknown> {
  return { alert: alertView(alert), incident: {}, steps: {}, ...(assets === undefined ? {} : { assets }) };
}

/**
 * Checks one trigger: every filter it sets must hold — the alert's source is listed, its
 * severityId is at least minSeverity's, and `when` is true. Throws ExpressionError when
 * `when` cannot be evaluated (e.g. reads a missing field without has()).
 */
export function matchesTriggerRule(trigger: PlaybookTrigger, alert: Alert, assets?: AlertAssets): boolean {
  if (trigger.sources !== undefined && !trigger.sources.includes(alert.source.name)) return false;
  if (trigger.minSeverity !== undefined && alert.severityId < severityId(trigger.minSeverity)) return false;
  if (trigger.when === undefined) return true;
  return evaluateCondition(trigger.when, triggerVars(alert, assets));
}

/**
 * ANY trigger matching is enough. A trigger whose condition errors does not match (a
 * broken condition must not start a response) and is reported in `errors` so the caller
 * can audit it; the other triggers are still tried.
 */
export function matchTrigger(playbook: Pick<Playbook, 'triggers'>, alert: Alert, assets?: AlertAssets): TriggerMatch {
  const errors: TriggerMatch['errors'] = [];
  for (const [index, trigger] of playbook.triggers.entries()) {
    try {
      if (matchesTriggerRule(trigger, alert, assets)) return { matched: true, errors };
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      errors.push({ trigger: index, message: error.message });
    }
  }
  return { matched: false, errors };
}

/** True when ANY of the playbook's triggers matches the alert. */
export function matchesTrigger(playbook: Pick<Playbook, 'triggers'>, alert: Alert, assets?: AlertAssets): boolean {
  return matchTrigger(playbook, alert, assets).matched;
}

/** The playbooks an alert starts, in the given (load) order. */
export function matchingPlaybooks<P extends Pick<Playbook, 'triggers'>>(
  playbooks: readonly P[],
  alert: Alert,
  assets?: AlertAssets,
): P[] {
  return playbooks.filter((playbook) => matchesTrigger(playbook, alert, assets));
}
