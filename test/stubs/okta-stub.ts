import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from './recording-server';

/**
 * An Okta Users API stand-in for lifecycle suspend/unsuspend and reading a user:
 * `Authorization: SSWS <token>`, `POST /api/v1/users/{id}/lifecycle/suspend|unsuspend` → 200
 * `{}`, `GET /api/v1/users/{id}` → 200 with the user's `status` (ACTIVE or SUSPENDED), Okta's
 * error body (`errorCode`, `errorSummary`) for unknown users and wrong states.
 */

export interface OktaStubOptions {
  apiToken?: string;
  /** Logins that exist; default any. */
  users?: readonly string[];
}

export interface OktaStub extends StubServer {
  suspended: ReadonlySet<string>;
}

export const OKTA_USERS_PATH = '/api/v1/users';

const oktaError = (code: string, summary: string) => ({ errorCode: code, errorSummary: summary, errorCauses: [] });

export async function startOktaStub(options: OktaStubOptions = {}): Promise<OktaStub> {
  const apiToken = options.apiToken ?? 'okta-test-api-token';
  const suspended = new Set<string>();

  const authenticated = (req: StubRequest) => {
    const token = /^SSWS (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return token !== undefined && secretEquals(token, apiToken);
  };

  const handle = (req: StubRequest): StubResponse => {
    if (!authenticated(req)) return { status: 401, body: oktaError('E0000011', 'Invalid token provided') };
    const read = /^\/api\/v1\/users\/([^/]+)$/.exec(req.path);
    if (read !== null && req.method === 'GET') {
      const user = decodeURIComponent(read[1] ?? '');
      if (options.users !== undefined && !options.users.includes(user))
        return { status: 404, body: oktaError('E0000007', `Not found: Resource not found: ${user} (User)`) };
      return {
        status: 200,
        body: {
          id: `00u${Buffer.from(user).toString('hex').slice(0, 17)}`,
          status: suspended.has(user) ? 'SUSPENDED' : 'ACTIVE',
          profile: { login: user },
        },
      };
    }
    const match = /^\/api\/v1\/users\/([^/]+)\/lifecycle\/(suspend|unsuspend)$/.exec(req.path);
    if (match === null || req.method !== 'POST')
      return { status: 404, body: oktaError('E0000022', 'The endpoint does not support the provided HTTP method') };
    const user = decodeURIComponent(match[1] ?? '');
    if (options.users !== undefined && !options.users.includes(user))
      return { status: 404, body: oktaError('E0000007', `Not found: Resource not found: ${user} (User)`) };
    if (match[2] === 'suspend') {
      if (suspended.has(user))
        return {
          status: 400,
          body: oktaError('E0000001', 'Api validation failed: Cannot suspend a user that is not active'),
        };
      suspended.add(user);
    } else {
      if (!suspended.has(user))
        return {
          status: 400,
          body: oktaError('E0000001', 'Api validation failed: Cannot unsuspend a user that is not suspended'),
        };
      suspended.delete(user);
    }
    return { status: 200, body: {} };
  };

  const server = await startRecordingServer({ handle, errorBody: (status) => oktaError('E0000009', `HTTP ${status}`) });
  return Object.assign(server, { suspended });
}
