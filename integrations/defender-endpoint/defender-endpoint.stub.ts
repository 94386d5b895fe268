import { randomBytes, randomUUID } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A Microsoft Defender for Endpoint stand-in on one server: the Entra ID v2.0 token endpoint
 * (`POST /{tenant}/oauth2/v2.0/token`, client credentials; Entra's `{error, error_description}`
 * bodies: unknown tenant and client 400, wrong secret 401 invalid_client) and the API paths the
 * connector uses (learn.microsoft.com/defender-endpoint/api): list machines with the OData
 * filters `startswith(computerDnsName,'…')`, `computerDnsName eq '…'`, `lastIpAddress eq '…'`;
 * get machine by ID; isolate / unisolate (201 + MachineAction; 400 ActiveRequestAlreadyExists
 * while the same action is pending); list machine actions filtered by machineId and type.
 * API errors are `{"error": {"code", "message", "target"}}`. A bad bearer token gets 401; a token
 * of an app without the Machine.Isolate role gets 403 on isolate / unisolate.
 */

export interface DefenderStubMachine {
  id: string;
  computerDnsName: string;
  lastIpAddress?: string;
  lastSeen?: string;
  healthStatus?: string;
}

export interface DefenderEndpointStubOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Application roles granted to the app (default Machine.Read.All and Machine.Isolate). */
  roles?: readonly string[];
  /** Token lifetime reported in `expires_in` (Entra: about 3599 s). */
  tokenTtlSeconds?: number;
  /** Status of a new machine action: Succeeded at once (default), or Pending until completeActions(). */
  initialActionStatus?: 'Pending' | 'Succeeded';
  machines?: readonly DefenderStubMachine[];
}

export interface StubMachineAction {
  id: string;
  type: 'Isolate' | 'Unisolate';
  scope: string | null;
  requestor: string;
  requestorComment: string;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
  machineId: string;
  computerDnsName: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  relatedFileInfo: null;
}

export interface DefenderEndpointStub extends StubServer {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The token endpoint's path, e.g. /<tenant>/oauth2/v2.0/token. */
  tokenPath: string;
  machines: Map<string, DefenderStubMachine>;
  actions: StubMachineAction[];
  addMachine(machine: DefenderStubMachine): void;
  /** Machine IDs isolated (or being isolated) by their latest live action. */
  isolated(): Set<string>;
  /** Marks every pending action Succeeded (the device picked it up). */
  completeActions(): void;
  tokensIssued(): number;
  revokeTokens(): void;
}

export const DEFENDER_MACHINES_PATH = '/api/machines';
export const DEFENDER_MACHINE_ACTIONS_PATH = '/api/machineactions';
const LIVE = new Set(['Pending', 'InProgress', 'Succeeded']);

function apiError(status: number, code: string, message: string): StubResponse {
  return { status, body: { error: { code, message, target: randomUUID() } } };
}

function entraError(status: number, error: string, description: string): StubResponse {
  return {
    status,
    body: {
      error,
      error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
      error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['BadRequest', 'General Bad Request error message.'],
  401: ['Unauthorized', 'Unauthorized (invalid or expired authorization header).'],
  403: ['Forbidden', 'Forbidden (valid token but insufficient permission for the action).'],
  404: ['NotFound', 'General Not Found error message.'],
  429: ['TooManyRequests', 'Response represents reaching quota limit either by number of requests or by CPU.'],
  500: ['InternalServerError', ''],
  502: ['BadGateway', ''],
  503: ['ServiceUnavailable', ''],
};

/** The OData filters the connector sends, read back (anything else is an ODataError, as unsupported). */
function parseFilter(filter: string): { kind: 'startswith' | 'name' | 'ip'; value: string } | undefined {
  const literal = "'((?:[^']|'')*)'";
  const patterns: [RegExp, 'startswith' | 'name' | 'ip'][] = [
    [new RegExp(`^startswith\\(computerDnsName,\\s*${literal}\\)$`, 'i'), 'startswith'],
    [new RegExp(`^computerDnsName eq ${literal}$`, 'i'), 'name'],
    [new RegExp(`^lastIpAddress eq ${literal}$`, 'i'), 'ip'],
  ];
  for (const [pattern, kind] of patterns) {
    const m = pattern.exec(filter.trim());
    if (m !== null) return { kind, value: (m[1] ?? '').replaceAll("''", "'") };
  }
  return undefined;
}

function parseActionsFilter(filter: string): { machineId: string; types?: string[] } | undefined {
  const m = /^machineId eq '([^']*)'(?:\s+and\s+\((.*)\))?$/i.exec(filter.trim());
  if (m === null) return undefined;
  const types = m[2] === undefined ? undefined : [...m[2].matchAll(/type eq '([^']*)'\s*/gi)].map((t) => t[1] ?? '');
  return { machineId: m[1] ?? '', ...(types === undefined ? {} : { types }) };
}

export async function startDefenderEndpointStub(
  options: DefenderEndpointStubOptions = {},
): Promise<DefenderEndpointStub> {
  const tenantId = options.tenantId ?? '3f2a1b0c-4d5e-6f70-8192-a3b4c5d6e7f8';
  const clientId = options.clientId ?? '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
  const clientSecret = options.clientSecret ?? 'mde~test~secret~Q8xR2vT5';
  const roles = new Set(options.roles ?? ['Machine.Read.All', 'Machine.Isolate']);
  const ttl = options.tokenTtlSeconds ?? 3599;
  const tokenPath = `/${tenantId}/oauth2/v2.0/token`;
  const machines = new Map<string, DefenderStubMachine>();
  for (const machine of options.machines ?? []) machines.set(machine.id.toLowerCase(), machine);
  const actions: StubMachineAction[] = [];
  const validTokens = new Set<string>();
  let issued = 0;
  let clock = Date.now();
  // Strictly increasing creation times, so "latest" is well defined within one millisecond.
  const stamp = () => new Date((clock = Math.max(clock + 1, Date.now()))).toISOString();

  const issueToken = (req: StubRequest): StubResponse => {
    const tenant = req.path.split('/')[1] ?? '';
    if (req.method !== 'POST')
      return entraError(405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.');
    if (!secretEquals(tenant, tenantId))
      return entraError(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    const form = new URLSearchParams(req.rawBody);
    if (form.get('grant_type') !== 'client_credentials')
      return entraError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (!secretEquals(form.get('client_id') ?? '', clientId))
      return entraError(
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`,
      );
    if (!secretEquals(form.get('client_secret') ?? '', clientSecret))
      return entraError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    if (form.get('scope') !== 'https://api.securitycenter.microsoft.com/.default')
      return entraError(400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid.');
    const token = randomBytes(32).toString('base64url');
    validTokens.add(token);
    issued += 1;
    return { status: 200, body: { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: token } };
  };

  const authorized = (req: StubRequest): boolean => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return m?.[1] !== undefined && [...validTokens].some((t) => secretEquals(m[1] as string, t));
  };

  const liveLatest = (machineId: string) =>
    actions
      .filter((a) => a.machineId === machineId && LIVE.has(a.status))
      .sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc))[0];

  const listMachines = (req: StubRequest): StubResponse => {
    const filter = req.query.get('$filter');
    let found = [...machines.values()];
    if (filter !== null) {
      const parsed = parseFilter(filter);
      if (parsed === undefined) return apiError(400, 'ODataError', `Invalid OData URI query: ${filter}`);
      const value = parsed.value.toLowerCase();
      found = found.filter((m) =>
        parsed.kind === 'startswith'
          ? m.computerDnsName.toLowerCase().startsWith(value)
          : parsed.kind === 'name'
            ? m.computerDnsName.toLowerCase() === value
            : m.lastIpAddress === parsed.value,
      );
    }
    return {
      status: 200,
      body: {
        '@odata.context': 'https://api.securitycenter.microsoft.com/api/$metadata#Machines',
        value: found.map(machineBody),
      },
    };
  };

  const machineBody = (m: DefenderStubMachine) => ({
    id: m.id,
    computerDnsName: m.computerDnsName,
    firstSeen: '2025-01-06T08:00:00.0000000Z',
    lastSeen: m.lastSeen ?? new Date().toISOString(),
    osPlatform: 'Windows11',
    lastIpAddress: m.lastIpAddress ?? null,
    healthStatus: m.healthStatus ?? 'Active',
    riskScore: 'Medium',
    exposureLevel: 'Low',
    machineTags: [],
  });

  const machineAction = (req: StubRequest, id: string, verb: 'isolate' | 'unisolate'): StubResponse => {
    if (req.method !== 'POST') return apiError(405, 'MethodNotAllowed', 'Method not allowed');
    if (!roles.has('Machine.Isolate'))
      return apiError(
        403,
        'Forbidden',
        'The application does not have any of the required application permissions (Machine.Isolate) to access the resource.',
      );
    const machine = machines.get(id.toLowerCase());
    if (machine === undefined) return apiError(404, 'ResourceNotFound', `Machine ${id} was not found`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.rawBody) as Record<string, unknown>;
    } catch {
      return apiError(400, 'InvalidRequestBody', 'Request body is incorrect');
    }
    if (typeof body['Comment'] !== 'string' || body['Comment'] === '')
      return apiError(400, 'MissingRequiredParameter', 'Parameter Comment is missing.');
    const type = verb === 'isolate' ? 'Isolate' : 'Unisolate';
    let scope: string | null = null;
    if (verb === 'isolate') {
      const isolation = body['IsolationType'] ?? 'Full';
      if (isolation !== 'Full' && isolation !== 'Selective')
        return apiError(400, 'InvalidInput', `Invalid input IsolationType ${JSON.stringify(isolation)}.`);
      scope = isolation;
    }
    if (
      actions.some(
        (a) => a.machineId === machine.id && a.type === type && (a.status === 'Pending' || a.status === 'InProgress'),
      )
    )
      return apiError(
        400,
        'ActiveRequestAlreadyExists',
        `Action ${type} is already in progress on machine ${machine.id}`,
      );
    const now = stamp();
    const action: StubMachineAction = {
      id: randomUUID(),
      type,
      scope,
      requestor: clientId,
      requestorComment: body['Comment'],
      status: options.initialActionStatus ?? 'Succeeded',
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      creationDateTimeUtc: now,
      lastUpdateDateTimeUtc: now,
      relatedFileInfo: null,
    };
    actions.push(action);
    return {
      status: 201,
      body: {
        '@odata.context': 'https://api.securitycenter.microsoft.com/api/$metadata#MachineActions/$entity',
        ...action,
      },
    };
  };

  const listActions = (req: StubRequest): StubResponse => {
    const filter = req.query.get('$filter');
    let found = [...actions];
    if (filter !== null) {
      const parsed = parseActionsFilter(filter);
      if (parsed === undefined) return apiError(400, 'ODataError', `Invalid OData URI query: ${filter}`);
      found = found.filter(
        (a) =>
          a.machineId.toLowerCase() === parsed.machineId.toLowerCase() &&
          (parsed.types === undefined || parsed.types.includes(a.type)),
      );
    }
    // Newest first, as the documented examples list them.
    found.sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc));
    return {
      status: 200,
      body: { '@odata.context': 'https://api.securitycenter.microsoft.com/api/$metadata#MachineActions', value: found },
    };
  };

  const server = await startRecordingServer({
    handle: (req) => {
      if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(req.path)) return issueToken(req);
      if (!/^\/api\//.test(req.path)) return apiError(404, 'NotFound', 'General Not Found error message.');
      if (!authorized(req))
        return apiError(401, 'Unauthorized', 'Unauthorized (invalid or expired authorization header).');
      if (!roles.has('Machine.Read.All') && req.method === 'GET')
        return apiError(
          403,
          'Forbidden',
          'The application does not have the required application permissions (Machine.Read.All).',
        );
      if (req.path === DEFENDER_MACHINES_PATH && req.method === 'GET') return listMachines(req);
      if (req.path === DEFENDER_MACHINE_ACTIONS_PATH && req.method === 'GET') return listActions(req);
      const action = /^\/api\/machines\/([^/]+)\/(isolate|unisolate)$/.exec(req.path);
      if (action !== null) return machineAction(req, action[1] ?? '', action[2] as 'isolate' | 'unisolate');
      const byId = /^\/api\/machines\/([^/]+)$/.exec(req.path);
      if (byId !== null && req.method === 'GET') {
        const machine = machines.get((byId[1] ?? '').toLowerCase());
        return machine === undefined
          ? apiError(404, 'ResourceNotFound', `Machine ${byId[1] ?? ''} was not found`)
          : { status: 200, body: machineBody(machine) };
      }
      return apiError(404, 'NotFound', 'General Not Found error message.');
    },
    errorBody: (status) => {
      const [code, message] = DEFAULT_CODES[status] ?? ['Error', `HTTP ${status}`];
      return apiError(status, code, message).body;
    },
    redactBody: (_path, body) =>
      typeof body === 'object' && body !== null && 'client_secret' in body
        ? { ...body, client_secret: '[REDACTED]' }
        : body,
  });

  return Object.assign(server, {
    tenantId,
    clientId,
    clientSecret,
    tokenPath,
    machines,
    actions,
    addMachine: (machine: DefenderStubMachine) => void machines.set(machine.id.toLowerCase(), machine),
    isolated: () =>
      new Set([...machines.values()].filter((m) => liveLatest(m.id)?.type === 'Isolate').map((m) => m.id)),
    completeActions: () => {
      for (const a of actions)
        if (a.status === 'Pending' || a.status === 'InProgress') {
          a.status = 'Succeeded';
          a.lastUpdateDateTimeUtc = stamp();
        }
    },
    tokensIssued: () => issued,
    revokeTokens: () => validTokens.clear(),
  });
}
