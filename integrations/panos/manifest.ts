import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'panos',
  title: 'Palo Alto Networks PAN-OS',
  capability: 'firewall',
  actions: [
    'firewall.quarantine_ip',
    'firewall.release_ip',
    'firewall.extend_quarantine',
    'contain.source',
    'release.source',
    'remote.end_sessions',
  ],
  docs: 'docs/connectors/panos.md',
  enforcement: {
    scope: { configKey: 'vsys', default: 'vsys1' },
    timeBox: { configKey: 'quarantineTimeout', defaultMs: 3_600_000, mechanism: 'panos registered-IP tag timeout' },
  },
} as const satisfies ConnectorManifest<'panos'>;
