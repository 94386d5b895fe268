/** Atlassian Jira: tasks for people as issues (REST API v2), labelled with their ledger key. */
import { PEOPLE_ACTIONS } from '../../src/actions/catalog';
import { ticketHandler } from '../action-helpers';
import { defineConnector } from '../connector';
import { JiraClient } from './client';
import { jiraConfigSchema } from './config';
import { manifest } from './manifest';

const tasks = ticketHandler('jira');

export const jira = defineConnector({
  manifest,
  configSchema: jiraConfigSchema,
  createClient: (config, options) => new JiraClient(config, options),
  actions: Object.fromEntries(['task.create', ...PEOPLE_ACTIONS].map((type) => [type, tasks])),
});
