import { createHash } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * An Okta Users API stand-in for lifecycle suspend/unsuspend, reading a user and clearing its
 * sessions: `Authorization: SSWS <token>`, `POST /api/v1/users/{id}/lifecycle/suspend|unsuspend`
 * → 200 `{}`, `GET /api/v1/users/{id}` → 200 with the user's `id` and `status` (ACTIVE or
 * SUSPENDED), `DELETE /api/v1/users/{userId}/sessions[?oauthTokens=true]` → 204 (by user ID, as
 * Okta's "Revoke all user sessions" documents), Okta's error body (`errorCode`, `errorSummary`)
 * for unknown users and wrong states.
 */

export interface OktaStubOptions {
  apiToken?: string;
  /** Logins that exist; default any. */
  users?: readonly string[];
}

export interface OktaStub extends StubServer {
  suspended: ReadonlySet<string>;
  /** Logins whose sessions were revoked, in order, and whether OAuth tokens were revoked too. */
  sessionsRevoked: { login: string; oauthTokens: boolean }[];
}

/** The Okta user ID the stub gives a login (`00u` and 17 characters, as Okta's IDs). */
export const oktaUserId = (login: string) => `00u${createHash('sha256').update(login).digest('hex').slice(0, 17)}`;

export const OKTA_USERS_PATH = '/api/v1/users';

const oktaError = (code: string, summary: string) => ({ errorCode: code, errorSummary: summary, errorCauses: [] });

export async function startOktaStub(options: OktaStubOptions = {}): Promise<OktaStub> {
  const apiToken = options.apiToken ?? 'okta-test-api-token';
  const suspended = new Set<string>();
  const sessionsRevoked: { login: string; oauthTokens: boolean }[] = [];
  const loginsById = new Map<string, string>();
  const known = (user: string) => options.users === undefined || options.users.includes(user);

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
      loginsById.set(oktaUserId(user), user);
      return {
        status: 200,
        body: {
          id: oktaUserId(user),
          status: suspended.has(user) ? 'SUSPENDED' : 'ACTIVE',
          profile: { login: user },
        },
      };
    }
    const sessions = /^\/api\/v1\/users\/([^/]+)\/sessions$/.exec(req.path);
    if (sessions !== null && req.method === 'DELETE') {
      const id = decodeURIComponent(sessions[1] ?? '');
      const login = loginsById.get(id);
      if (login === undefined || !known(login))
        return { status: 404, body: oktaError('E0000007', `Not found: Resource not found: ${id} (User)`) };
      sessionsRevoked.push({ login, oauthTokens: req.query.get('oauthTokens') === 'true' });
      return { status: 204 };
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
  return Object.assign(server, { suspended, sessionsRevoked });
}
