import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'entra-id',
  title: 'Microsoft Entra ID',
  capability: 'identity',
  actions: ['identity.disable_account', 'identity.enable_account', 'identity.revoke_sessions'],
  docs: 'docs/connectors/entra-id.md',
} as const satisfies ConnectorManifest<'entra-id'>;
