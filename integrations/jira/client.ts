import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { JiraConfig } from './config';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * Jira (Cloud/Data Center REST API v2) as the ticketing integration: tasks for people — a
 * recommendation the engine will never execute itself (rule 4), a logic compare, an owner's
 * confirmation — are Jira issues. Authentication: basic auth with the account's email and API token.
 * Creating an issue is not idempotent (Jira has no idempotency key): each task carries a label
 * derived from its action-ledger key, and a JQL search for that label is the read that tells
 * whether it was already created.
 */

export type { JiraConfig } from './config';

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
/** Jira Cloud's JQL search (the older `/search` was removed from Cloud in 2025). */
export const JIRA_SEARCH_JQL_PATH = '/rest/api/2/search/jql';
/** Jira Data Center's JQL search (it has no `/search/jql`). */
export const JIRA_SEARCH_PATH = '/rest/api/2/search';
const createdSchema = z.object({ id: z.string(), key: z.string() });
const searchSchema = z.object({
  issues: z
    .array(
      z.object({
        id: z.string(),
        key: z.string(),
        fields: z
          .object({
            status: z
              .object({ statusCategory: z.object({ key: z.string() }).loose() })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      }),
    )
    .default([]),
});
const issueSchema = z.object({
  id: z.string(),
  key: z.string(),
  fields: z.object({
    status: z
      .object({ name: z.string().optional(), statusCategory: z.object({ key: z.string() }).loose() })
      .loose()
      .optional(),
  }),
});
/** Labels are single words: letters, digits, '-' and '_' are safe everywhere, JQL included. */
const labelSchema = z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'a label is one word of letters, digits, - and _');

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

  async createTask(task: NewTask, options: CallOptions = {}): Promise<TaskResult> {
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
      { auth: this.auth, ...signalOf(options) },
    );
    const created = parseResponse(createdSchema, response.data, INTEGRATION, 'create issue');
    return { key: created.key, id: created.id, closed: false };
  }

  /**
   * The issue of this project carrying `label`, if any, and whether it is done (status
   * category `done`). Tries Cloud's `/search/jql`, then Data Center's `/search` on 404.
   */
  async findTaskByLabel(label: string, options: CallOptions = {}): Promise<TaskResult | undefined> {
    const parsed = labelSchema.safeParse(label);
    if (!parsed.success)
      throw new IntegrationError(`${INTEGRATION}: invalid label: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        integration: INTEGRATION,
        kind: 'invalid-input',
        retryable: false,
      });
    const params = {
      jql: `project = "${this.config.projectKey.replace(/["\\]/g, '\\$&')}" AND labels = "${label}" ORDER BY created ASC`,
      fields: 'status',
      maxResults: 1,
    };
    const search = (path: string) => this.http.get<unknown>(path, { params, auth: this.auth, ...signalOf(options) });
    let response;
    try {
      response = await search(JIRA_SEARCH_JQL_PATH);
    } catch (error) {
      if (!(error instanceof IntegrationError) || error.status !== 404) throw error;
      response = await search(JIRA_SEARCH_PATH);
    }
    const [issue] = parseResponse(searchSchema, response.data, INTEGRATION, 'search').issues;
    if (issue === undefined) return undefined;
    return { key: issue.key, id: issue.id, closed: issue.fields?.status?.statusCategory.key === 'done' };
  }

  /**
   * An issue's status (`GET /rest/api/2/issue/{key}?fields=status`): done when its status
   * category is `done`, the status name as people read it; undefined when Jira has no such issue.
   */
  async readTask(key: string, options: CallOptions = {}): Promise<(TaskResult & { state?: string }) | undefined> {
    let response;
    try {
      response = await this.http.get<unknown>(`${JIRA_ISSUE_PATH}/${encodeURIComponent(key)}`, {
        params: { fields: 'status' },
        auth: this.auth,
        ...signalOf(options),
      });
    } catch (error) {
      if (error instanceof IntegrationError && error.status === 404) return undefined;
      throw error;
    }
    const issue = parseResponse(issueSchema, response.data, INTEGRATION, 'get issue');
    const status = issue.fields.status;
    return {
      key: issue.key,
      id: issue.id,
      closed: status?.statusCategory.key === 'done',
      ...(status?.name === undefined ? {} : { state: status.name }),
    };
  }

  /** Moves an issue to done with a comment (e.g. the change ticket that explains it). */
  async closeTask(key: string, comment: string, options: CallOptions = {}): Promise<void> {
    await this.http.post(
      `${JIRA_ISSUE_PATH}/${encodeURIComponent(key)}/transitions`,
      { transition: { id: this.config.doneTransitionId }, update: { comment: [{ add: { body: comment } }] } },
      { auth: this.auth, ...signalOf(options) },
    );
  }
}
