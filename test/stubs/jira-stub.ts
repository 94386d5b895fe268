import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from './recording-server';

/**
 * A Jira REST API v2 stand-in for issue creation and transitions: basic auth (email + API
 * token) as Jira Cloud checks it, `POST /rest/api/2/issue` → 201 `{id, key, self}`,
 * `POST /rest/api/2/issue/{key}/transitions` → 204, Jira's `errorMessages` error body.
 */

export interface JiraStubOptions {
  email?: string;
  apiToken?: string;
  projectKey?: string;
}

export interface JiraIssue {
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

const errorBody = (message: string) => ({ errorMessages: [message], errors: {} });

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

  const handle = (req: StubRequest): StubResponse => {
    if (!authenticated(req)) return { status: 401, body: errorBody('You are not authenticated.') };
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
