/**
 * Microsoft Defender for IoT (on-premises management console): close ("handle") or learn
 * ("handle and learn") the alert params.alertId — the alert UUID the console forwards — about the
 * step's target asset; and, with `maintenanceSync`, mirror Interlock's maintenance windows to the
 * console's (maintenance-sync.ts).
 */
import type { PolicyDecision } from '../../src/policy/types';
import { rejected, signalOption, stringParam } from '../action-helpers';
import { defineConnector, type ActionCall, type ActionHandler, type ActionResult } from '../connector';
import { DefenderIotClient, type AlertAction } from './client';
import { defenderIotConfigSchema } from './config';
import { MaintenanceSync } from './maintenance-sync';
import { manifest } from './manifest';

function alertUuidOf(decision: PolicyDecision): string {
  const uuid = stringParam(decision, 'alertId');
  if (uuid === undefined)
    throw rejected('defender-iot', `${decision.action.type} needs params.alertId (the Defender for IoT alert UUID)`);
  return uuid;
}

/**
 * No post-check: the console documents no read of one alert by UUID. None is needed either —
 * the action is idempotent at the console, which answers a repeat with "already handled"
 * (recorded as alreadyInPlace), so the ledger may send it again after an interrupted attempt.
 */
function alertHandler(action: AlertAction): ActionHandler<DefenderIotClient> {
  return {
    async execute(client, { decision, ...call }: ActionCall): Promise<ActionResult> {
      const uuid = alertUuidOf(decision);
      const result = await client.alertAction(uuid, action, signalOption(call));
      const verb = action === 'handle' ? 'handled' : 'handled and learned';
      return {
        summary: `defender-iot alert ${uuid} about ${decision.target.assetId ?? decision.target.ref} ${result.alreadyInPlace ? 'was already ' : ''}${verb}`,
        details: { ...result },
      };
    },
  };
}

export const defenderIot = defineConnector({
  manifest,
  configSchema: defenderIotConfigSchema,
  createClient: (config, options) => new DefenderIotClient(config, options),
  actions: {
    'sensor.close_alert': alertHandler('handle'),
    'sensor.learn_alert': alertHandler('handleAndLearn'),
  },
  background: (client, config, context) =>
    config.maintenanceSync === undefined
      ? undefined
      : new MaintenanceSync(client, config.maintenanceSync, context).start(),
});

export { MaintenanceSync } from './maintenance-sync';
