import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'crowdstrike',
  title: 'CrowdStrike Falcon',
  capability: 'edr',
  actions: ['edr.contain_host', 'edr.release_host'],
  docs: 'docs/connectors/crowdstrike.md',
} as const satisfies ConnectorManifest<'crowdstrike'>;
