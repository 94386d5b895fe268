import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'virustotal',
  title: 'VirusTotal',
  capability: 'enrichment',
  actions: ['intel.lookup'],
  docs: 'docs/connectors/virustotal.md',
} as const satisfies ConnectorManifest<'virustotal'>;
