/**
 * Which playbooks an alert starts. WORKFLOW-SAFE: pure functions over the playbook and
 * the normalized alert.
 */
import type { Alert } from '../alerts/alert';
import { severityId } from '../alerts/alert';
import { evaluateCondition, ExpressionError } from './expressions';
import type { Playbook, PlaybookTrigger } from './schema';

export interface TriggerMatch {
  matched: boolean;
  /** `when` conditions that failed to evaluate, by trigger index; such a trigger does not match. */
  errors: { trigger: number; message: string }[];
}

/**
 * Checks one trigger: every filter it sets must hold — the alert's source is listed, its
 * severityId is at least minSeverity's, and `when` is true. `when` sees only `alert`
 * (`incident` and `steps` are empty: nothing has run yet). Throws ExpressionError when
 * `when` cannot be evaluated (e.g. reads a missing field without has()).
 */
export function matchesTriggerRule(trigger: PlaybookTrigger, alert: Alert): boolean {
  if (trigger.sources !== undefined && !trigger.sources.includes(alert.source.name)) return false;
  if (trigger.minSeverity !== undefined && alert.severityId < severityId(trigger.minSeverity)) return false;
  if (trigger.when === undefined) return true;
  return evaluateCondition(trigger.when, { alert, incident: {}, steps: {} });
}

/**
 * ANY trigger matching is enough. A trigger whose condition errors does not match (a
 * broken condition must not start a response) and is reported in `errors` so the caller
 * can audit it; the other triggers are still tried.
 */
export function matchTrigger(playbook: Pick<Playbook, 'triggers'>, alert: Alert): TriggerMatch {
  const errors: TriggerMatch['errors'] = [];
  for (const [index, trigger] of playbook.triggers.entries()) {
    try {
      if (matchesTriggerRule(trigger, alert)) return { matched: true, errors };
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      errors.push({ trigger: index, message: error.message });
    }
  }
  return { matched: false, errors };
}

/** True when ANY of the playbook's triggers matches the alert. */
export function matchesTrigger(playbook: Pick<Playbook, 'triggers'>, alert: Alert): boolean {
  return matchTrigger(playbook, alert).matched;
}

/** The playbooks an alert starts, in the given (load) order. */
export function matchingPlaybooks<P extends Pick<Playbook, 'triggers'>>(playbooks: readonly P[], alert: Alert): P[] {
  return playbooks.filter((playbook) => matchesTrigger(playbook, alert));
}
