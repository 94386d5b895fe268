import { randomBytes, randomUUID } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubObserver,
  type StubResponse,
  type StubServer,
} from '../../src/dev/lab/recording-server';

/**
 * A CrowdStrike Falcon API stand-in: OAuth2 client-credentials tokens, the Hosts API device
 * actions (contain / lift_containment) and device details (`GetDeviceDetailsV2`, whose `status`
 * is the containment state), with Falcon's status codes and `{meta, resources, errors}` bodies.
 * Bad client credentials get 403 and a bad bearer token 401, as Falcon does. Every 32-hex agent
 * ID is a known device; a contained one reports `contained`, any other `normal`.
 */

export interface CrowdStrikeStubOptions {
  /** Dev mode's lab: fixed port, a log line per call, a page of what was received. */
  observe?: StubObserver;
  clientId?: string;
  clientSecret?: string;
  /** Token lifetime reported in `expires_in` (Falcon: 1799 s). */
  tokenTtlSeconds?: number;
  /** Status of a successful token response (Falcon: 201). */
  tokenStatus?: 200 | 201;
}

export interface CrowdStrikeStub extends StubServer {
  clientId: string;
  clientSecret: string;
  /** Device IDs currently contained (lower-case). */
  contained: ReadonlySet<string>;
  /** Tokens issued so far, including revoked ones. */
  tokensIssued(): number;
  /** Invalidate every issued token, as if they had expired server-side. */
  revokeTokens(): void;
}

export const CROWDSTRIKE_TOKEN_PATH = '/oauth2/token';
export const CROWDSTRIKE_DEVICE_ACTIONS_PATH = '/devices/entities/devices-actions/v2';
/** GET `?ids=<aid>` (repeatable, up to 100): device details. */
export const CROWDSTRIKE_DEVICE_DETAILS_PATH = '/devices/entities/devices/v2';
const DEVICE_ID = /^[0-9a-f]{32}$/i;
const ACTIONS = new Set(['contain', 'lift_containment']);

function meta(poweredBy: string) {
  return { query_time: 0.001, powered_by: poweredBy, trace_id: randomUUID() };
}

function errorResponse(status: number, message: string, poweredBy = 'crowdstrike-api-gateway'): StubResponse {
  return { status, body: { meta: meta(poweredBy), resources: [], errors: [{ code: status, message }] } };
}

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'access denied, invalid bearer token',
  403: 'access denied, authorization failed',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  429: 'API rate limit exceeded.',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export async function startCrowdStrikeStub(options: CrowdStrikeStubOptions = {}): Promise<CrowdStrikeStub> {
  const clientId = options.clientId ?? 'interlock-test-client';
  const clientSecret = options.clientSecret ?? 'cs-test-secret-9f8e7d6c5b4a';
  const ttl = options.tokenTtlSeconds ?? 1799;
  const validTokens = new Set<string>();
  const contained = new Set<string>();
  let issued = 0;

  const issueToken = (req: StubRequest): StubResponse => {
    if (req.method !== 'POST') return errorResponse(405, 'Method Not Allowed', 'csam');
    if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'))
      return errorResponse(400, 'Failed to generate access token: expected a form-encoded body', 'csam');
    const form = new URLSearchParams(req.rawBody);
    const id = form.get('client_id');
    const secret = form.get('client_secret');
    if (id === null || id === '' || secret === null || secret === '')
      return errorResponse(400, `Failed to generate access token for clientID=${id ?? ''}.`, 'csam');
    if (!secretEquals(id, clientId) || !secretEquals(secret, clientSecret))
      return errorResponse(403, 'Failed to issue access token - Not Authorized', 'csam');
    const token = randomBytes(24).toString('base64url');
    validTokens.add(token);
    issued += 1;
    return { status: options.tokenStatus ?? 201, body: { access_token: token, token_type: 'bearer', expires_in: ttl } };
  };

  const bearerIsValid = (req: StubRequest): boolean => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && [...validTokens].some((t) => secretEquals(match[1] as string, t));
  };

  const deviceAction = (req: StubRequest): StubResponse => {
    if (req.method !== 'POST') return errorResponse(405, 'Method Not Allowed');
    if (!bearerIsValid(req)) return errorResponse(401, 'access denied, invalid bearer token');
    const action = req.query.get('action_name');
    if (action === null || !ACTIONS.has(action))
      return errorResponse(400, `invalid action_name "${action ?? ''}"`, 'device-api');
    if (!(req.headers['content-type'] ?? '').includes('application/json'))
      return errorResponse(400, 'expected a JSON body', 'device-api');
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return errorResponse(400, 'request body is not valid JSON', 'device-api');
    }
    const ids = typeof body === 'object' && body !== null ? (body as { ids?: unknown }).ids : undefined;
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.length > 100 ||
      !ids.every((id): id is string => typeof id === 'string')
    )
      return errorResponse(400, 'ids: expected 1 to 100 device IDs', 'device-api');
    const invalid = ids.filter((id) => !DEVICE_ID.test(id));
    if (invalid.length > 0) return errorResponse(400, `invalid device IDs: ${invalid.join(', ')}`, 'device-api');
    for (const id of ids) {
      if (action === 'contain') contained.add(id.toLowerCase());
      else contained.delete(id.toLowerCase());
    }
    return {
      status: 202,
      body: { meta: meta('device-api'), resources: ids.map((id) => ({ id, path: '' })), errors: [] },
    };
  };

  const deviceDetails = (req: StubRequest): StubResponse => {
    if (req.method !== 'GET') return errorResponse(405, 'Method Not Allowed');
    if (!bearerIsValid(req)) return errorResponse(401, 'access denied, invalid bearer token');
    const ids = req.query.getAll('ids');
    if (ids.length === 0 || ids.length > 100)
      return errorResponse(400, 'ids: expected 1 to 100 device IDs', 'device-api');
    const invalid = ids.filter((id) => !DEVICE_ID.test(id));
    if (invalid.length > 0) return errorResponse(400, `invalid device IDs: ${invalid.join(', ')}`, 'device-api');
    return {
      status: 200,
      body: {
        meta: meta('device-api'),
        resources: ids.map((id) => ({
          device_id: id.toLowerCase(),
          cid: '0123456789abcdef0123456789abcdef',
          hostname: `host-${id.slice(0, 8)}`,
          platform_name: 'Windows',
          status: contained.has(id.toLowerCase()) ? 'contained' : 'normal',
        })),
        errors: [],
      },
    };
  };

  const server = await startRecordingServer({
    observe: options.observe,
    state: () => ({ contained: [...contained] }),
    handle: (req) => {
      if (req.path === CROWDSTRIKE_TOKEN_PATH) return issueToken(req);
      if (req.path === CROWDSTRIKE_DEVICE_ACTIONS_PATH) return deviceAction(req);
      if (req.path === CROWDSTRIKE_DEVICE_DETAILS_PATH) return deviceDetails(req);
      return errorResponse(404, 'Not Found');
    },
    errorBody: (status) => errorResponse(status, DEFAULT_MESSAGES[status] ?? `HTTP ${status}`).body,
    redactBody: (path, body) =>
      path === CROWDSTRIKE_TOKEN_PATH && typeof body === 'object' && body !== null && 'client_secret' in body
        ? { ...body, client_secret: '[REDACTED]' }
        : body,
  });

  return Object.assign(server, {
    clientId,
    clientSecret,
    contained,
    tokensIssued: () => issued,
    revokeTokens: () => validTokens.clear(),
  });
}
