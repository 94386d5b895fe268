import type { ConnectorManifest } from '../connector';

/**
 * Defender for IoT documents no "acknowledge" for OT alerts (only handle and handle-and-learn),
 * so sensor.acknowledge_alert is left to another OT-sensor connector (e.g. Nozomi).
 */
export const manifest = {
  id: 'defender-iot',
  title: 'Microsoft Defender for IoT (on-premises management console)',
  capability: 'ot-sensor',
  actions: ['sensor.close_alert', 'sensor.learn_alert'],
  docs: 'docs/connectors/defender-iot.md',
} as const satisfies ConnectorManifest<'defender-iot'>;
