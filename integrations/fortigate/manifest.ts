import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'fortigate',
  title: 'Fortinet FortiGate',
  capability: 'firewall',
  actions: [
    'firewall.quarantine_ip',
    'firewall.release_ip',
    'firewall.extend_quarantine',
    'contain.source',
    'release.source',
  ],
  docs: 'docs/connectors/fortigate.md',
} as const satisfies ConnectorManifest<'fortigate'>;
