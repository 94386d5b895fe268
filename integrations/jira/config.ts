import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/** `integrations.jira`: tasks for people (recommendations, rule 4) become Jira issues. */
export const jiraConfigSchema = z.strictObject({
  ...httpIntegration,
  email: nonEmpty,
  apiToken: nonEmpty,
  projectKey: nonEmpty,
  issueType: nonEmpty.default('Task'),
  /** Transition that closes an issue (auto-close inside a maintenance window, rule 13). */
  doneTransitionId: nonEmpty.default('31'),
});
export type JiraConfig = z.output<typeof jiraConfigSchema>;
