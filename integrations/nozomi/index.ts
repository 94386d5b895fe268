/**
 * Nozomi Networks: acknowledge, close or learn (close as a change, which updates the baseline)
 * the alert params.alertId about the step's target asset. The alert's state is read before each
 * change (rule 10) and after an interrupted attempt (the post-check), so nothing is asked twice.
 */
import type { PolicyDecision } from '../../src/policy/types';
import { rejected, signalOption, stringParam } from '../action-helpers';
import { defineConnector, type ActionCall, type ActionHandler, type ActionResult } from '../connector';
import { NozomiClient, type AlertState } from './client';
import { nozomiConfigSchema } from './config';
import { manifest } from './manifest';

type Goal = 'acknowledge' | 'close' | 'learn';

function alertIdOf(decision: PolicyDecision): string {
  const alertId = stringParam(decision, 'alertId');
  if (alertId === undefined)
    throw rejected('nozomi', `${decision.action.type} needs params.alertId (the Nozomi alert ID)`);
  return alertId;
}

function inPlace(goal: Goal, state: AlertState): boolean {
  if (goal === 'acknowledge') return state.acknowledged || state.closed;
  if (goal === 'close') return state.closed;
  return state.learned;
}

const VERB: Record<Goal, string> = { acknowledge: 'acknowledged', close: 'closed', learn: 'closed as learned' };

function subject(decision: PolicyDecision, alertId: string): string {
  return `alert ${alertId} about ${decision.target.assetId ?? decision.target.ref}`;
}

function alertHandler(goal: Goal): ActionHandler<NozomiClient> {
  return {
    async execute(client, { decision, ...call }: ActionCall): Promise<ActionResult> {
      const alertId = alertIdOf(decision);
      // Rule 10: the alert's state before the change; it also says whether there is anything to do.
      const before = await client.alertState(alertId, signalOption(call));
      if (inPlace(goal, before))
        return {
          summary: `nozomi ${subject(decision, alertId)} already ${VERB[goal]} (status ${before.status})`,
          details: { alertId, action: goal, alreadyInPlace: true, preChange: { ...before } },
        };
      if (goal === 'learn' && before.closed)
        throw rejected(
          'nozomi',
          `alert ${alertId} is already closed as ${before.status}: it cannot be learned from Interlock; review it in Nozomi`,
        );
      const job =
        goal === 'acknowledge'
          ? await client.acknowledge(alertId, signalOption(call))
          : await client.close(alertId, goal === 'learn' ? 'learn_rules' : 'delete_rules', signalOption(call));
      return {
        summary: `nozomi ${subject(decision, alertId)} ${VERB[goal]}`,
        details: {
          alertId,
          action: goal,
          ...(goal === 'acknowledge' ? {} : { closeAction: goal === 'learn' ? 'learn_rules' : 'delete_rules' }),
          jobId: job.jobId,
          jobStatus: job.status,
          preChange: { ...before },
        },
      };
    },
    async observe(client, { decision, ...call }) {
      const alertId = alertIdOf(decision);
      const state = await client.alertState(alertId, signalOption(call));
      if (!inPlace(goal, state)) return undefined;
      return {
        summary: `nozomi ${subject(decision, alertId)} ${VERB[goal]} (status ${state.status})`,
        details: { alertId, action: goal, observed: { ...state } },
      };
    },
  };
}

export const nozomi = defineConnector({
  manifest,
  configSchema: nozomiConfigSchema,
  createClient: (config, options) => new NozomiClient(config, options),
  actions: {
    'sensor.acknowledge_alert': alertHandler('acknowledge'),
    'sensor.close_alert': alertHandler('close'),
    'sensor.learn_alert': alertHandler('learn'),
  },
});
