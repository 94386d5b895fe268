import { createHash, randomBytes } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A Microsoft identity platform + Microsoft Graph stand-in on one server (configure it as both
 * `loginUrl` and `graphUrl`):
 *
 *   - `POST /{tenant}/oauth2/v2.0/token` (form: client_id, client_secret, scope,
 *     grant_type=client_credentials) → 200 `{token_type: "Bearer", expires_in, ext_expires_in,
 *     access_token}`; a wrong secret → 401 `invalid_client` (AADSTS7000215), an unknown tenant →
 *     400 `invalid_request` (AADSTS90002).
 *   - `GET /v1.0/users/{id | userPrincipalName}[?$select=…]` → 200 the user (id, userPrincipalName,
 *     accountEnabled); `PATCH` with `{accountEnabled}` → 204; `POST …/revokeSignInSessions` →
 *     200 `{value: true}`. Unknown users → 404 `Request_ResourceNotFound`; a missing or stale
 *     token → 401 `InvalidAuthenticationToken`. Errors in Graph's `{error: {code, message}}` shape.
 */

export interface EntraStubOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** userPrincipalNames that exist; default any. */
  users?: readonly string[];
  tokenTtlSeconds?: number;
}

export interface EntraStub extends StubServer {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** userPrincipalNames (lower-cased) whose accountEnabled is false. */
  disabled: ReadonlySet<string>;
  /** userPrincipalNames whose sessions were revoked, in order. */
  sessionsRevoked: string[];
  tokensIssued(): number;
  /** Invalidates every issued token (the next Graph call gets 401). */
  revokeTokens(): void;
  /** The object ID the stub gives a userPrincipalName. */
  objectId(upn: string): string;
}

export const ENTRA_GRAPH_USERS_PATH = '/v1.0/users';
export const entraStubTokenPath = (tenantId: string) => `/${tenantId}/oauth2/v2.0/token`;

const graphError = (code: string, message: string) => ({
  error: {
    code,
    message,
    innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') },
  },
});
const oauthError = (error: string, description: string) => ({
  error,
  error_description: description,
  error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
});

export function entraObjectId(upn: string): string {
  const h = createHash('sha256').update(upn.toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function startEntraStub(options: EntraStubOptions = {}): Promise<EntraStub> {
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const clientId = options.clientId ?? 'interlock-entra-client';
  const clientSecret = options.clientSecret ?? 'entra-test-client-secret';
  const ttl = options.tokenTtlSeconds ?? 3599;
  const tokens = new Set<string>();
  let issued = 0;
  const disabled = new Set<string>();
  const sessionsRevoked: string[] = [];
  const byId = new Map<string, string>();

  /** A user by object ID or userPrincipalName: its UPN, or undefined when unknown. */
  const userOf = (ref: string): string | undefined => {
    const upn = byId.get(ref.toLowerCase()) ?? (ref.includes('@') ? ref.toLowerCase() : undefined);
    if (upn === undefined) return undefined;
    if (options.users !== undefined && !options.users.some((u) => u.toLowerCase() === upn)) return undefined;
    byId.set(entraObjectId(upn), upn);
    return upn;
  };
  for (const upn of options.users ?? []) byId.set(entraObjectId(upn), upn.toLowerCase());

  const token = (req: StubRequest): StubResponse => {
    const tenant = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(req.path)?.[1];
    if (req.method !== 'POST') return { status: 405, body: oauthError('invalid_request', 'AADSTS900561: POST only') };
    if (tenant !== tenantId)
      return { status: 400, body: oauthError('invalid_request', `AADSTS90002: Tenant '${tenant ?? ''}' not found.`) };
    const form = new URLSearchParams(req.rawBody);
    if (form.get('grant_type') !== 'client_credentials')
      return { status: 400, body: oauthError('unsupported_grant_type', 'AADSTS70003: unsupported grant type') };
    if (!(form.get('scope') ?? '').endsWith('/.default'))
      return {
        status: 400,
        body: oauthError('invalid_scope', 'AADSTS1002012: The provided value for scope is not valid.'),
      };
    if (form.get('client_id') !== clientId)
      return { status: 400, body: oauthError('unauthorized_client', `AADSTS700016: Application not found.`) };
    if (!secretEquals(form.get('client_secret') ?? '', clientSecret))
      return { status: 401, body: oauthError('invalid_client', 'AADSTS7000215: Invalid client secret provided.') };
    issued += 1;
    const value = randomBytes(24).toString('base64url');
    tokens.add(value);
    return { status: 200, body: { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: value } };
  };

  const graph = (req: StubRequest): StubResponse => {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined || !tokens.has(bearer))
      return {
        status: 401,
        body: graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'),
      };
    const match = /^\/v1\.0\/users\/([^/]+)(\/revokeSignInSessions)?$/.exec(req.path);
    if (match === null) return { status: 400, body: graphError('BadRequest', 'Resource not found for the segment.') };
    const ref = decodeURIComponent(match[1] ?? '');
    const upn = userOf(ref);
    if (upn === undefined)
      return {
        status: 404,
        body: graphError(
          'Request_ResourceNotFound',
          `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`,
        ),
      };
    if (match[2] !== undefined) {
      if (req.method !== 'POST') return { status: 405, body: graphError('BadRequest', 'POST only') };
      sessionsRevoked.push(upn);
      return {
        status: 200,
        body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true },
      };
    }
    if (req.method === 'GET') {
      const user: Record<string, unknown> = {
        id: entraObjectId(upn),
        userPrincipalName: upn,
        accountEnabled: !disabled.has(upn),
        displayName: upn.split('@')[0],
      };
      const select = req.query.get('$select')?.split(',');
      const shown = select === undefined ? user : Object.fromEntries(select.map((f) => [f, user[f] ?? null]));
      return {
        status: 200,
        body: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled)/$entity',
          ...shown,
        },
      };
    }
    if (req.method === 'PATCH') {
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody);
      } catch {
        return { status: 400, body: graphError('BadRequest', 'Unable to read JSON request payload.') };
      }
      const enabled = (body as { accountEnabled?: unknown } | null)?.accountEnabled;
      if (typeof enabled !== 'boolean')
        return { status: 400, body: graphError('Request_BadRequest', 'Invalid value specified for property.') };
      if (enabled) disabled.delete(upn);
      else disabled.add(upn);
      return { status: 204 };
    }
    return { status: 405, body: graphError('BadRequest', 'Method not allowed') };
  };

  const server = await startRecordingServer({
    handle: (req) => (req.path.startsWith('/v1.0/') ? graph(req) : token(req)),
    errorBody: (status) => graphError('UnknownError', `HTTP ${status}`),
    redactBody: (_path, body) =>
      typeof body === 'object' && body !== null && 'client_secret' in body
        ? { ...body, client_secret: '[REDACTED]' }
        : body,
  });
  return Object.assign(server, {
    tenantId,
    clientId,
    clientSecret,
    disabled,
    sessionsRevoked,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    objectId: entraObjectId,
  });
}
