import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { InterlockConfig } from '../src/config/schema';
import { createVendorHttpClient, parseResponse, type IntegrationLogger, type RetryOptions } from './http';

/**
 * Jira (Cloud/Data Center REST API v2) as the ticketing integration: tasks for people — a
 * recommendation the engine will never execute itself (rule 4), a logic compare, an owner's
 * confirmation — are Jira issues. Authentication: basic auth with the account's email and API token.
 */

export type JiraConfig = NonNullable<InterlockConfig['integrations']['jira']>;

export interface JiraClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export interface NewTask {
  summary: string;
  description: string;
  labels?: string[];
}

export interface TaskResult {
  key: string;
  id: string;
  /** True when the issue was transitioned to done right away (maintenance window, rule 13). */
  closed: boolean;
}

const INTEGRATION = 'jira';
export const JIRA_ISSUE_PATH = '/rest/api/2/issue';
const createdSchema = z.object({ id: z.string(), key: z.string() });

export class JiraClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: JiraConfig,
    options: JiraClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiToken], options);
  }

  private get auth() {
    return { username: this.config.email, password: this.config.apiToken };
  }

  async createTask(task: NewTask): Promise<TaskResult> {
    const response = await this.http.post<unknown>(
      JIRA_ISSUE_PATH,
      {
        fields: {
          project: { key: this.config.projectKey },
          issuetype: { name: this.config.issueType },
          summary: task.summary.slice(0, 250),
          description: task.description,
          labels: ['interlock', ...(task.labels ?? [])],
        },
      },
      { auth: this.auth },
    );
    const created = parseResponse(createdSchema, response.data, INTEGRATION, 'create issue');
    return { key: created.key, id: created.id, closed: false };
  }

  /** Moves an issue to done with a comment (e.g. the change ticket that explains it). */
  async closeTask(key: string, comment: string): Promise<void> {
    await this.http.post(
      `${JIRA_ISSUE_PATH}/${encodeURIComponent(key)}/transitions`,
      { transition: { id: this.config.doneTransitionId }, update: { comment: [{ add: { body: comment } }] } },
      { auth: this.auth },
    );
  }
}
