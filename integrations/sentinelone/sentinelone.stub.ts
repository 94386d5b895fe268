import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A SentinelOne management API stand-in (v2.1): `Authorization: ApiToken <token>`, the agents
 * list with the filters the connector sends (`ids`, `computerName`, `computerName__contains`,
 * `networkInterfaceInet__contains`; comma-separated values, substring matches as documented),
 * and the agent actions `disconnect` / `connect` with `{filter: {ids}}` answered
 * `{data: {affected}}`. Errors are `{errors: [{code, title, detail}]}`: 401 for a bad token, 403
 * when the token's role may not quarantine endpoints.
 */

export interface SentinelOneStubAgent {
  id: string;
  computerName: string;
  networkStatus: 'connected' | 'connecting' | 'disconnected' | 'disconnecting';
  ips?: string[];
  lastActiveDate?: string;
  isDecommissioned?: boolean;
}

export interface SentinelOneStubOptions {
  apiToken?: string;
  /** The token's role may disconnect / reconnect endpoints (default true). */
  canQuarantine?: boolean;
  /** Agents move to disconnecting / connecting first (until settle()); default: straight to the end state. */
  transitional?: boolean;
  agents?: readonly SentinelOneStubAgent[];
}

export interface SentinelOneStub extends StubServer {
  apiToken: string;
  agents: Map<string, SentinelOneStubAgent>;
  addAgent(agent: SentinelOneStubAgent): void;
  /** Agent IDs disconnected or disconnecting. */
  disconnected(): Set<string>;
  /** Transitional states reach their end (the agent applied the action). */
  settle(): void;
}

export const SENTINELONE_AGENTS_PATH = '/web/api/v2.1/agents';
export const SENTINELONE_DISCONNECT_PATH = '/web/api/v2.1/agents/actions/disconnect';
export const SENTINELONE_CONNECT_PATH = '/web/api/v2.1/agents/actions/connect';

function errorResponse(status: number, code: number, title: string, detail: string | null = null): StubResponse {
  return { status, body: { errors: [{ code, title, detail }] } };
}

const DEFAULT_ERRORS: Record<number, [number, string]> = {
  400: [4000010, 'Validation Error'],
  401: [4010010, 'Authentication Failed'],
  403: [4030010, 'Insufficient permissions'],
  404: [4040010, 'Not Found'],
  429: [4290010, 'Too Many Requests'],
  500: [5000010, 'Server Error'],
  503: [5030010, 'Service Unavailable'],
};

const values = (query: URLSearchParams, key: string) =>
  query
    .getAll(key)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');

export async function startSentinelOneStub(options: SentinelOneStubOptions = {}): Promise<SentinelOneStub> {
  const apiToken = options.apiToken ?? 'eyJraWQiOiJ0ZXN0LXMxIn0.s1-test-api-token.Zm9vYmFy';
  const agents = new Map<string, SentinelOneStubAgent>();
  for (const agent of options.agents ?? []) agents.set(agent.id, agent);

  const authorized = (req: StubRequest) => {
    const m = /^ApiToken (\S+)$/.exec(req.headers.authorization ?? '');
    return m?.[1] !== undefined && secretEquals(m[1], apiToken);
  };

  const agentBody = (a: SentinelOneStubAgent) => ({
    id: a.id,
    uuid: `${a.id.slice(0, 8)}e2b54b1f8c6d1a2b3c4d5e6f`,
    computerName: a.computerName,
    networkStatus: a.networkStatus,
    isActive: true,
    isDecommissioned: a.isDecommissioned ?? false,
    lastActiveDate: a.lastActiveDate ?? new Date().toISOString(),
    osType: 'windows',
    machineType: 'laptop',
    agentVersion: '24.1.4.257',
    networkQuarantineEnabled: true,
    networkInterfaces: [
      { id: `${a.id}1`, name: 'Ethernet', inet: a.ips ?? [], inet6: [], physical: '8c:ec:4b:89:7e:73' },
    ],
  });

  const listAgents = (req: StubRequest): StubResponse => {
    if (req.method !== 'GET') return errorResponse(405, 4050010, 'Method Not Allowed');
    const ids = values(req.query, 'ids');
    const names = values(req.query, 'computerName');
    const nameParts = values(req.query, 'computerName__contains');
    const inet = values(req.query, 'networkInterfaceInet__contains');
    const found = [...agents.values()].filter(
      (a) =>
        (ids.length === 0 || ids.includes(a.id)) &&
        (names.length === 0 || names.includes(a.computerName.toLowerCase())) &&
        (nameParts.length === 0 || nameParts.some((p) => a.computerName.toLowerCase().includes(p))) &&
        (inet.length === 0 || inet.some((p) => (a.ips ?? []).some((ip) => ip.includes(p)))),
    );
    return {
      status: 200,
      body: { pagination: { nextCursor: null, totalItems: found.length }, data: found.map(agentBody) },
    };
  };

  const networkAction = (req: StubRequest, disconnect: boolean): StubResponse => {
    if (req.method !== 'POST') return errorResponse(405, 4050010, 'Method Not Allowed');
    if (options.canQuarantine === false)
      return errorResponse(403, 4030010, 'Insufficient permissions', 'Your role does not allow this action');
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return errorResponse(400, 4000010, 'Validation Error', 'Request body is not valid JSON');
    }
    const ids = (body as { filter?: { ids?: unknown } } | null)?.filter?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string'))
      return errorResponse(400, 4000010, 'Validation Error', 'filter: at least one filter is required');
    let affected = 0;
    for (const id of ids) {
      const agent = agents.get(id);
      if (agent === undefined) continue;
      affected += 1;
      agent.networkStatus = disconnect
        ? options.transitional === true
          ? 'disconnecting'
          : 'disconnected'
        : options.transitional === true
          ? 'connecting'
          : 'connected';
    }
    return { status: 200, body: { data: { affected } } };
  };

  const server = await startRecordingServer({
    handle: (req) => {
      if (!/^\/web\/api\/v2\.1\//.test(req.path)) return errorResponse(404, 4040010, 'Not Found');
      if (!authorized(req)) return errorResponse(401, 4010010, 'Authentication Failed');
      if (req.path === SENTINELONE_AGENTS_PATH) return listAgents(req);
      if (req.path === SENTINELONE_DISCONNECT_PATH) return networkAction(req, true);
      if (req.path === SENTINELONE_CONNECT_PATH) return networkAction(req, false);
      return errorResponse(404, 4040010, 'Not Found');
    },
    errorBody: (status) => {
      const [code, title] = DEFAULT_ERRORS[status] ?? [status * 10_000 + 10, `HTTP ${status}`];
      return errorResponse(status, code, title).body;
    },
  });

  return Object.assign(server, {
    apiToken,
    agents,
    addAgent: (agent: SentinelOneStubAgent) => void agents.set(agent.id, agent),
    disconnected: () =>
      new Set(
        [...agents.values()]
          .filter((a) => a.networkStatus === 'disconnected' || a.networkStatus === 'disconnecting')
          .map((a) => a.id),
      ),
    settle: () => {
      for (const a of agents.values()) {
        if (a.networkStatus === 'disconnecting') a.networkStatus = 'disconnected';
        if (a.networkStatus === 'connecting') a.networkStatus = 'connected';
      }
    },
  });
}
