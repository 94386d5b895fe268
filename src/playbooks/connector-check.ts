/**
 * Startup check of the playbooks against the configured connectors: a step whose action needs a
 * connector that is not configured refuses its playbook when the policy could ever let that step
 * run (decide `auto` or `approve`); when the policy never would (it only recommends or refuses it
 * everywhere this configuration has), it is a warning. Each finding names the playbook and step.
 */
import { CONNECTOR_MANIFESTS } from '../../integrations/registry';
import { ACTION_CATALOG, type ActionType } from '../actions/catalog';
import type { InterlockConfig } from '../config/schema';
import type { PolicyEngine } from '../policy/policy-engine';
import { isTemplate } from './expressions';
import type { Playbook, PlaybookStep } from './schema';

export interface ConnectorFinding {
  playbookId: string;
  stepId: string;
  /** Field path of the step, e.g. steps.1. */
  path: string;
  action: ActionType;
  message: string;
}

export interface ConnectorCheck {
  /** Playbooks that may be loaded. */
  runnable: Playbook[];
  /** Refused playbooks: a step the policy could run has no configured connector. */
  refused: ConnectorFinding[];
  /** Steps without a configured connector that the policy never lets run: harmless, but said. */
  warnings: ConnectorFinding[];
}

/** The capability an action needs, or undefined when nothing is called (never for now). */
function capabilityOf(action: ActionType): string {
  const executor = ACTION_CATALOG[action].integration;
  return executor === 'people' ? 'ticketing' : executor;
}

function configuredConnector(step: PlaybookStep, integrations: Readonly<Record<string, unknown>>): boolean {
  const named = step.params?.['connector'];
  const candidates = CONNECTOR_MANIFESTS.filter(
    (m) => m.capability === capabilityOf(step.action) && m.actions.includes(step.action),
  );
  if (typeof named === 'string' && !isTemplate(named))
    return candidates.some((m) => m.id === named) && integrations[named] !== undefined;
  return candidates.some((m) => integrations[m.id] !== undefined);
}

/**
 * Whether the policy could ever let the step run: for a literal target, its decision; for a
 * templated one, whether some zone of this configuration (or an unknown target) is one the action
 * may be executed on in a mode that executes (auto, approve).
 */
function couldRun(step: PlaybookStep, config: Pick<InterlockConfig, 'zones'>, engine: PolicyEngine): boolean {
  const literal =
    !isTemplate(step.target) && Object.values(step.params ?? {}).every((v) => typeof v !== 'string' || !isTemplate(v));
  if (literal) {
    const outcome = engine.decide({ type: step.action, target: step.target, params: step.params ?? {} }).outcome;
    return outcome === 'auto' || outcome === 'approve';
  }
  const levels: readonly number[] = ACTION_CATALOG[step.action].allowedPurdueLevels;
  // An unknown target is OT in approve mode, its level unknown (rule 4 counts it as 0-2).
  if (levels.includes(0)) return true;
  return config.zones.some(
    (zone) => levels.includes(zone.purdueLevel) && (zone.mode === 'auto' || zone.mode === 'approve'),
  );
}

export function checkPlaybookConnectors(
  playbooks: readonly Playbook[],
  config: Pick<InterlockConfig, 'zones' | 'integrations'>,
  engine: PolicyEngine,
): ConnectorCheck {
  const refused: ConnectorFinding[] = [];
  const warnings: ConnectorFinding[] = [];
  const runnable: Playbook[] = [];
  for (const playbook of playbooks) {
    let refuse = false;
    playbook.steps.forEach((step, index) => {
      if (configuredConnector(step, config.integrations)) return;
      const runs = couldRun(step, config, engine);
      const capability = capabilityOf(step.action);
      const finding: ConnectorFinding = {
        playbookId: playbook.id,
        stepId: step.id,
        path: `steps.${index}`,
        action: step.action,
        message: runs
          ? `playbook "${playbook.id}" step "${step.id}": ${step.action} needs a ${capability} connector and none is configured (integrations: see docs/connectors/README.md), and the policy could run it: the playbook is not loaded`
          : `playbook "${playbook.id}" step "${step.id}": ${step.action} needs a ${capability} connector and none is configured; the policy never runs it here (it is only recommended or refused)`,
      };
      if (runs) {
        refuse = true;
        refused.push(finding);
      } else warnings.push(finding);
    });
    if (!refuse) runnable.push(playbook);
  }
  return { runnable, refused, warnings };
}
