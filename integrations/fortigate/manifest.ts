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
    'remote.end_sessions',
  ],
  docs: 'docs/connectors/fortigate.md',
  enforcement: {
    scope: { configKey: 'vdom', default: 'root' },
    timeBox: { configKey: 'banExpiry', defaultMs: 3_600_000, mechanism: 'fortigate banned-IP expiry' },
  },
} as const satisfies ConnectorManifest<'fortigate'>;
