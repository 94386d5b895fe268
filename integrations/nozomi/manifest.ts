import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'nozomi',
  title: 'Nozomi Networks (Guardian, CMC, Vantage)',
  capability: 'ot-sensor',
  actions: ['sensor.acknowledge_alert', 'sensor.close_alert', 'sensor.learn_alert'],
  docs: 'docs/connectors/nozomi.md',
} as const satisfies ConnectorManifest<'nozomi'>;
