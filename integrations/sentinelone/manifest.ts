import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'sentinelone',
  title: 'SentinelOne Singularity',
  capability: 'edr',
  actions: ['edr.contain_host', 'edr.release_host'],
  docs: 'docs/connectors/sentinelone.md',
} as const satisfies ConnectorManifest<'sentinelone'>;
