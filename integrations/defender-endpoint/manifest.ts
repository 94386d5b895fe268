import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'defender-endpoint',
  title: 'Microsoft Defender for Endpoint',
  capability: 'edr',
  actions: ['edr.contain_host', 'edr.release_host'],
  docs: 'docs/connectors/defender-endpoint.md',
} as const satisfies ConnectorManifest<'defender-endpoint'>;
