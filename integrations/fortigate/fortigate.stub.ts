import { isIP } from 'node:net';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubObserver,
  type StubResponse,
  type StubServer,
} from '../../src/dev/lab/recording-server';

/**
 * A FortiGate (FortiOS REST API) stand-in for the monitor banned-users endpoints. Authenticates
 * API keys as FortiOS does (`Authorization: Bearer`, or the legacy `access_token` query
 * parameter), answers 401 with FortiOS's HTML page, scopes requests by `?vdom=` (default root),
 * and wraps results in the FortiOS envelope (`http_method`, `status`, `http_status`, `vdom`, ...).
 */

export interface FortiGateStubOptions {
  /** Dev mode's lab: fixed port, a log line per call, a page of what was received. */
  observe?: StubObserver;
  apiKey?: string;
  /** VDOMs that exist on the box; default ["root"]. */
  vdoms?: readonly string[];
}

export interface BannedEntry {
  vdom: string;
  /** Seconds requested; 0 means indefinite in FortiOS. */
  expiry: number;
}

export interface FortiGateStub extends StubServer {
  apiKey: string;
  /** Banned IPs keyed by `${vdom}/${ip}`. */
  banned: ReadonlyMap<string, BannedEntry>;
  isBanned(ip: string, vdom?: string): boolean;
  /** Opens `count` sessions from an address on a VDOM (default root); close-multiple ends them. */
  openSessions(ip: string, count: number, vdom?: string): void;
  /** Sessions open from an address on a VDOM (default root). */
  sessionsFrom(ip: string, vdom?: string): number;
}

export const FORTIGATE_ADD_USERS_PATH = '/api/v2/monitor/user/banned/add_users';
export const FORTIGATE_CLEAR_USERS_PATH = '/api/v2/monitor/user/banned/clear_users';
/** GET: the banned list (read before a change to record the prior state). */
export const FORTIGATE_BANNED_PATH = '/api/v2/monitor/user/banned';
/** POST: close the IPv4 / IPv6 sessions matching the body's filter (`saddr`, `daddr`, `proto`, ...). */
export const FORTIGATE_CLOSE_SESSIONS_PATH = '/api/v2/monitor/firewall/session/close-multiple';
export const FORTIGATE_CLOSE_SESSIONS6_PATH = '/api/v2/monitor/firewall/session6/close-multiple';

const UNAUTHORIZED_HTML =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>401 Unauthorized</title>\n</head><body>\n<h1>Unauthorized</h1>\n</body></html>\n';

function envelope(method: string, status: number, vdom: string, action: string, extra: Record<string, unknown> = {}) {
  return {
    http_method: method,
    ...extra,
    vdom,
    path: 'user',
    name: 'banned',
    action,
    status: status < 400 ? 'success' : 'error',
    http_status: status,
    serial: 'FGVM02TM00000000',
    version: 'v7.4.4',
    build: 2662,
  };
}

function errorResponse(method: string, status: number, vdom: string, action: string): StubResponse {
  if (status === 401) return { status, body: UNAUTHORIZED_HTML };
  return { status, body: envelope(method, status, vdom, action) };
}

function parseIpList(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as { ip_addresses?: unknown }).ip_addresses;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.every((ip): ip is string => typeof ip === 'string' && isIP(ip) !== 0) ? list : undefined;
}

export async function startFortiGateStub(options: FortiGateStubOptions = {}): Promise<FortiGateStub> {
  const apiKey = options.apiKey ?? 'fgt-test-api-key-0a1b2c3d4e5f';
  const vdoms = new Set(options.vdoms ?? ['root']);
  const banned = new Map<string, BannedEntry>();
  /** When each ban was (last) set, epoch seconds: FortiOS reports `expires`, not the duration. */
  const bannedSince = new Map<string, number>();
  /** Open sessions keyed by `${vdom}/${source ip}`. */
  const sessions = new Map<string, number>();

  const authenticated = (req: StubRequest): boolean => {
    const header = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const given = header ?? req.query.get('access_token');
    return given !== null && given !== undefined && secretEquals(given, apiKey);
  };

  const handle = (req: StubRequest): StubResponse => {
    const action = req.path.split('/').pop() ?? '';
    const vdom = req.query.get('vdom') ?? 'root';
    if (!authenticated(req)) return errorResponse(req.method, 401, vdom, action);
    if (req.path === FORTIGATE_BANNED_PATH) {
      if (req.method !== 'GET') return errorResponse(req.method, 405, vdom, action);
      if (!vdoms.has(vdom)) return errorResponse(req.method, 404, vdom, action);
      const results = [...banned.entries()]
        .filter(([, entry]) => entry.vdom === vdom)
        .map(([key, entry]) => ({
          ip_address: key.slice(vdom.length + 1),
          source: 'admin',
          ...(entry.expiry === 0 ? {} : { expires: (bannedSince.get(key) ?? 0) + entry.expiry }),
        }));
      return { status: 200, body: envelope('GET', 200, vdom, action, { results }) };
    }
    if (req.path === FORTIGATE_CLOSE_SESSIONS_PATH || req.path === FORTIGATE_CLOSE_SESSIONS6_PATH) {
      if (req.method !== 'POST') return errorResponse(req.method, 405, vdom, action);
      if (!vdoms.has(vdom)) return errorResponse(req.method, 404, vdom, action);
      let filter: unknown;
      try {
        filter = JSON.parse(req.rawBody);
      } catch {
        return errorResponse(req.method, 400, vdom, action);
      }
      const saddr = (filter as { saddr?: unknown } | null)?.saddr;
      const family = req.path === FORTIGATE_CLOSE_SESSIONS6_PATH ? 6 : 4;
      // Only a source filter is modelled: a filter without one would close far more than asked.
      if (typeof saddr !== 'string' || isIP(saddr) !== family) return errorResponse(req.method, 400, vdom, action);
      sessions.delete(`${vdom}/${saddr}`);
      return { status: 200, body: envelope('POST', 200, vdom, action, { results: {} }) };
    }
    if (req.path !== FORTIGATE_ADD_USERS_PATH && req.path !== FORTIGATE_CLEAR_USERS_PATH)
      return errorResponse(req.method, 404, vdom, action);
    if (req.method !== 'POST') return errorResponse(req.method, 405, vdom, action);
    if (!vdoms.has(vdom)) return errorResponse(req.method, 404, vdom, action);

    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return errorResponse(req.method, 400, vdom, action);
    }
    const ips = parseIpList(body);
    if (ips === undefined) return errorResponse(req.method, 400, vdom, action);

    if (req.path === FORTIGATE_ADD_USERS_PATH) {
      const expiry = (body as { expiry?: unknown }).expiry ?? 0;
      if (typeof expiry !== 'number' || !Number.isInteger(expiry) || expiry < 0)
        return errorResponse(req.method, 400, vdom, action);
      for (const ip of ips) {
        banned.set(`${vdom}/${ip}`, { vdom, expiry });
        bannedSince.set(`${vdom}/${ip}`, Math.floor(Date.now() / 1000));
      }
    } else {
      for (const ip of ips) banned.delete(`${vdom}/${ip}`);
    }
    return { status: 200, body: envelope('POST', 200, vdom, action, { results: {} }) };
  };

  const server = await startRecordingServer({
    observe: options.observe,
    state: () => ({
      banned: [...banned.entries()].map(([key, entry]) => ({ ip: key.slice(entry.vdom.length + 1), ...entry })),
    }),
    handle,
    errorBody: (status) => errorResponse('POST', status, 'root', '').body,
    secretQueryParams: ['access_token'],
  });

  return Object.assign(server, {
    apiKey,
    banned,
    isBanned: (ip: string, vdom = 'root') => banned.has(`${vdom}/${ip}`),
    openSessions: (ip: string, count: number, vdom = 'root') =>
      sessions.set(`${vdom}/${ip}`, (sessions.get(`${vdom}/${ip}`) ?? 0) + count),
    sessionsFrom: (ip: string, vdom = 'root') => sessions.get(`${vdom}/${ip}`) ?? 0,
  });
}
