import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'okta',
  title: 'Okta',
  capability: 'identity',
  actions: ['identity.disable_account', 'identity.enable_account'],
  docs: 'docs/connectors/okta.md',
} as const satisfies ConnectorManifest<'okta'>;
