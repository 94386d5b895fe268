import { PEOPLE_ACTIONS } from '../../src/actions/catalog';
import type { ConnectorManifest } from '../connector';

export const manifest = {
  id: 'servicenow',
  title: 'ServiceNow',
  capability: 'ticketing',
  // Tasks for people: task.create, and every action the engine never executes itself (rule 4).
  actions: ['task.create', ...PEOPLE_ACTIONS],
  docs: 'docs/connectors/servicenow.md',
} as const satisfies ConnectorManifest<'servicenow'>;
