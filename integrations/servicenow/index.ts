/** ServiceNow: tasks for people as task-table records (Table API), found again by their ledger label. */
import { PEOPLE_ACTIONS } from '../../src/actions/catalog';
import { ticketHandler } from '../action-helpers';
import { defineConnector } from '../connector';
import { ServiceNowClient } from './client';
import { servicenowConfigSchema } from './config';
import { manifest } from './manifest';

const tasks = ticketHandler('servicenow');

export const servicenow = defineConnector({
  manifest,
  configSchema: servicenowConfigSchema,
  createClient: (config, options) => new ServiceNowClient(config, options),
  actions: Object.fromEntries(['task.create', ...PEOPLE_ACTIONS].map((type) => [type, tasks])),
});
