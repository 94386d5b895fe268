import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A Jira REST API v2 stand-in for issue creation, reading, transitions and JQL search: basic auth
 * (email + API token) as Jira Cloud checks it, `POST /rest/api/2/issue` → 201 `{id, key, self}`,
 * `GET /rest/api/2/issue/{key}?fields=status` → 200 `{id, key, fields: {status}}`,
 * `POST /rest/api/2/issue/{key}/transitions` → 204, Jira's `errorMessages` error body. Search
 * understands the JQL Interlock sends (`project = "K" AND labels = "L" ORDER BY created ASC`):
 * Cloud serves `GET /rest/api/2/search/jql` (`{issues, isLast}`) and answers the removed
 * `/search` with 410; Data Center serves `GET /rest/api/2/search` (`{startAt, maxResults,
 * total, issues}`) and has no `/search/jql` (404).
 */

export interface JiraStubOptions {
  email?: string;
  apiToken?: string;
  projectKey?: string;
  /** Which search API the server has (default cloud). */
  deployment?: 'cloud' | 'datacenter';
}

export interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  description: string;
  labels: string[];
  status: 'open' | 'done';
  comments: string[];
}

export interface JiraStub extends StubServer {
  issues: ReadonlyMap<string, JiraIssue>;
}

export const JIRA_ISSUE_PATH = '/rest/api/2/issue';
export const JIRA_SEARCH_JQL_PATH = '/rest/api/2/search/jql';
export const JIRA_SEARCH_PATH = '/rest/api/2/search';
const JQL = /^project = "([^"]+)" AND labels = "([^"]+)" ORDER BY created ASC$/;

const errorBody = (message: string) => ({ errorMessages: [message], errors: {} });
const statusOf = (issue: JiraIssue) => ({
  name: issue.status === 'done' ? 'Done' : 'To Do',
  statusCategory: { key: issue.status === 'done' ? 'done' : 'new' },
});

export async function startJiraStub(options: JiraStubOptions = {}): Promise<JiraStub> {
  const email = options.email ?? 'interlock@example.net';
  const apiToken = options.apiToken ?? 'jira-test-api-token';
  const projectKey = options.projectKey ?? 'SEC';
  const issues = new Map<string, JiraIssue>();
  let counter = 0;

  const authenticated = (req: StubRequest): boolean => {
    const encoded = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return encoded !== undefined && secretEquals(Buffer.from(encoded, 'base64').toString(), `${email}:${apiToken}`);
  };

  const deployment = options.deployment ?? 'cloud';
  const search = (req: StubRequest): StubResponse => {
    const served = deployment === 'cloud' ? JIRA_SEARCH_JQL_PATH : JIRA_SEARCH_PATH;
    if (req.path !== served) {
      return deployment === 'cloud'
        ? {
            status: 410,
            body: errorBody('The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.'),
          }
        : { status: 404, body: errorBody('Not found') };
    }
    if (req.method !== 'GET') return { status: 405, body: errorBody('Method not allowed') };
    const jql = JQL.exec(req.query.get('jql') ?? '');
    if (jql === null)
      return { status: 400, body: errorBody('Error in the JQL Query: the stub does not understand it') };
    if (jql[1] !== projectKey)
      return { status: 400, body: errorBody(`The value '${jql[1] ?? ''}' does not exist for the field 'project'.`) };
    const maxResults = Number(req.query.get('maxResults') ?? '50');
    const found = [...issues.values()].filter((issue) => issue.labels.includes(jql[2] ?? ''));
    const page = found.slice(0, maxResults).map((issue) => ({
      id: issue.id,
      key: issue.key,
      self: `${JIRA_ISSUE_PATH}/${issue.id}`,
      fields: { status: statusOf(issue) },
    }));
    return deployment === 'cloud'
      ? { status: 200, body: { issues: page, isLast: page.length === found.length } }
      : { status: 200, body: { startAt: 0, maxResults, total: found.length, issues: page } };
  };

  const handle = (req: StubRequest): StubResponse => {
    if (!authenticated(req)) return { status: 401, body: errorBody('You are not authenticated.') };
    if (req.path === JIRA_SEARCH_JQL_PATH || req.path === JIRA_SEARCH_PATH) return search(req);
    const read = new RegExp(`^${JIRA_ISSUE_PATH}/([A-Z]+-\\d+)$`).exec(req.path);
    if (read !== null && req.method === 'GET') {
      const issue = issues.get(read[1] ?? '');
      if (issue === undefined)
        return { status: 404, body: errorBody('Issue does not exist or you do not have permission to see it.') };
      return { status: 200, body: { id: issue.id, key: issue.key, fields: { status: statusOf(issue) } } };
    }
    if (req.method !== 'POST') return { status: 405, body: errorBody('Method not allowed') };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.rawBody) as Record<string, unknown>;
    } catch {
      return { status: 400, body: errorBody('Unexpected character') };
    }
    if (req.path === JIRA_ISSUE_PATH) {
      const fields = (body['fields'] ?? {}) as Record<string, unknown>;
      const project = (fields['project'] as { key?: unknown } | undefined)?.key;
      if (project !== projectKey)
        return { status: 400, body: { errorMessages: [], errors: { project: 'project is required' } } };
      if (typeof fields['summary'] !== 'string' || fields['summary'] === '')
        return {
          status: 400,
          body: { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } },
        };
      counter += 1;
      const key = `${projectKey}-${counter}`;
      issues.set(key, {
        id: String(10000 + counter),
        key,
        summary: fields['summary'],
        description: typeof fields['description'] === 'string' ? fields['description'] : '',
        labels: Array.isArray(fields['labels']) ? (fields['labels'] as string[]) : [],
        status: 'open',
        comments: [],
      });
      return { status: 201, body: { id: String(10000 + counter), key, self: `${JIRA_ISSUE_PATH}/${key}` } };
    }
    const transition = new RegExp(`^${JIRA_ISSUE_PATH}/([A-Z]+-\\d+)/transitions$`).exec(req.path);
    if (transition !== null) {
      const issue = issues.get(transition[1] ?? '');
      if (issue === undefined)
        return { status: 404, body: errorBody('Issue does not exist or you do not have permission to see it.') };
      issue.status = 'done';
      const comments = (body['update'] as { comment?: { add?: { body?: string } }[] } | undefined)?.comment ?? [];
      for (const c of comments) if (typeof c.add?.body === 'string') issue.comments.push(c.add.body);
      return { status: 204 };
    }
    return { status: 404, body: errorBody('Not found') };
  };

  const server = await startRecordingServer({ handle, errorBody: (status) => errorBody(`HTTP ${status}`) });
  return Object.assign(server, { issues });
}
