import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'okta',
  title: 'Okta',
  capability: 'identity',
  actions: ['identity.disable_account', 'identity.enable_account', 'identity.revoke_sessions'],
  docs: 'docs/connectors/okta.md',
} as const satisfies ConnectorManifest<'okta'>;
