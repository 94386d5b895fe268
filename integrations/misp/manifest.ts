import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'misp',
  title: 'MISP',
  capability: 'enrichment',
  actions: ['intel.lookup'],
  docs: 'docs/connectors/misp.md',
} as const satisfies ConnectorManifest<'misp'>;
