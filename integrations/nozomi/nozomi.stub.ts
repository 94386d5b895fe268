/**
 * A Nozomi Networks Guardian/CMC OpenAPI stand-in (the calls Nozomi's own XSOAR integration
 * makes): `POST /api/open/sign_in` `{key_name, key_token}` → 200 with the JWT in the
 * `Authorization` response header; `POST /api/open/alerts/ack` `{data: [{id, ack}]}` and
 * `POST /api/open/alerts/close` `{ids, close_action: delete_rules | learn_rules}` → `{result:
 * {id}}`, a job polled at `GET /api/open/alerts/{ack|close}/status/{id}` (`{result: {status}}`,
 * SUCCESS after `pendingPolls` polls); `GET /api/open/query/do?query=alerts | select … | where id
 * == <id>` → `{result: [{id, status, ack}]}`. The change is made when the request is accepted
 * (as at Nozomi, the job runs whether or not anyone polls it).
 */
import { randomBytes } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

export const NOZOMI_SIGN_IN_PATH = '/api/open/sign_in';
export const NOZOMI_ACK_PATH = '/api/open/alerts/ack';
export const NOZOMI_CLOSE_PATH = '/api/open/alerts/close';
export const NOZOMI_QUERY_PATH = '/api/open/query/do';

export interface NozomiStubOptions {
  keyName?: string;
  keyToken?: string;
  /** Alert IDs that exist; default any. */
  alerts?: readonly string[];
  /** Polls a job answers as pending before SUCCESS (default 1). */
  pendingPolls?: number;
}

export interface NozomiAlertRecord {
  id: string;
  status: 'open' | 'closed_as_security' | 'closed_as_change';
  ack: boolean;
}

export interface NozomiStub extends StubServer {
  /** Alerts touched so far (read or changed), by ID. */
  alerts: ReadonlyMap<string, NozomiAlertRecord>;
  /** Invalidates every issued token: the next call gets 401 until it signs in again. */
  expireTokens(): void;
  /** How many tokens sign-in has issued. */
  tokensIssued(): number;
  /** Makes the next jobs end with this status instead of SUCCESS. */
  failJobs(status: string, count?: number): void;
  /** Jobs stay pending forever (a stuck Guardian) until called with false. */
  stallJobs(stalled: boolean): void;
}

interface Job {
  polls: number;
  status: string;
}

export async function startNozomiStub(options: NozomiStubOptions = {}): Promise<NozomiStub> {
  const keyName = options.keyName ?? 'interlock-key';
  const keyToken = options.keyToken ?? 'nozomi-test-key-token';
  const pendingPolls = options.pendingPolls ?? 1;
  const tokens = new Set<string>();
  const alerts = new Map<string, NozomiAlertRecord>();
  const jobs = new Map<string, Job>();
  let failing: { status: string; remaining: number } | undefined;
  let stalled = false;
  let jobCounter = 0;
  let issued = 0;

  const alert = (id: string): NozomiAlertRecord | undefined => {
    if (options.alerts !== undefined && !options.alerts.includes(id)) return undefined;
    let record = alerts.get(id);
    if (record === undefined) {
      record = { id, status: 'open', ack: false };
      alerts.set(id, record);
    }
    return record;
  };

  const body = (req: StubRequest): Record<string, unknown> => {
    try {
      return JSON.parse(req.rawBody) as Record<string, unknown>;
    } catch {
      return {};
    }
  };

  const startJob = (): StubResponse => {
    jobCounter += 1;
    const id = `job-${jobCounter}`;
    let status = 'SUCCESS';
    if (failing !== undefined && failing.remaining > 0) {
      status = failing.status;
      failing.remaining -= 1;
    }
    jobs.set(id, { polls: 0, status });
    return { status: 200, body: { result: { id } } };
  };

  const handle = (req: StubRequest): StubResponse => {
    if (req.path === NOZOMI_SIGN_IN_PATH && req.method === 'POST') {
      const given = body(req);
      const name = typeof given['key_name'] === 'string' ? given['key_name'] : '';
      const token = typeof given['key_token'] === 'string' ? given['key_token'] : '';
      if (!secretEquals(name, keyName) || !secretEquals(token, keyToken))
        return { status: 401, body: { error: 'Invalid credentials' } };
      const jwt = `eyJ${randomBytes(12).toString('hex')}`;
      tokens.add(jwt);
      issued += 1;
      return { status: 200, headers: { authorization: `Bearer ${jwt}` }, body: {} };
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined || !tokens.has(bearer)) return { status: 401, body: { error: 'Unauthorized' } };

    if (req.path === NOZOMI_QUERY_PATH && req.method === 'GET') {
      const query = req.query.get('query') ?? '';
      const match = /^alerts \| select id status ack \| where id == ([A-Za-z0-9_.:-]+)$/.exec(query);
      if (match === null) return { status: 200, body: { result: [], error: `unsupported query: ${query}` } };
      const record = alert(match[1] ?? '');
      return { status: 200, body: { result: record === undefined ? [] : [{ ...record }], total: record ? 1 : 0 } };
    }
    if (req.path === NOZOMI_ACK_PATH && req.method === 'POST') {
      const data = body(req)['data'];
      if (!Array.isArray(data)) return { status: 422, body: { error: 'data is required' } };
      for (const item of data as { id?: unknown; ack?: unknown }[]) {
        const record = typeof item.id === 'string' ? alert(item.id) : undefined;
        if (record !== undefined) record.ack = item.ack === true;
      }
      return startJob();
    }
    if (req.path === NOZOMI_CLOSE_PATH && req.method === 'POST') {
      const { ids, close_action: action } = body(req);
      if (!Array.isArray(ids) || (action !== 'delete_rules' && action !== 'learn_rules'))
        return { status: 422, body: { error: 'ids and close_action (delete_rules, learn_rules) are required' } };
      for (const id of ids) {
        const record = typeof id === 'string' ? alert(id) : undefined;
        if (record !== undefined) record.status = action === 'learn_rules' ? 'closed_as_change' : 'closed_as_security';
      }
      return startJob();
    }
    const status = /^\/api\/open\/alerts\/(ack|close)\/status\/([^/]+)$/.exec(req.path);
    if (status !== null && req.method === 'GET') {
      const job = jobs.get(decodeURIComponent(status[2] ?? ''));
      if (job === undefined) return { status: 404, body: { error: 'job not found' } };
      job.polls += 1;
      const done = !stalled && job.polls > pendingPolls;
      return { status: 200, body: { result: { status: done ? job.status : 'PENDING' } } };
    }
    return { status: 404, body: { error: 'Not found' } };
  };

  const server = await startRecordingServer({
    handle,
    errorBody: (status) => ({ error: `HTTP ${status}` }),
    redactBody: (path, parsed) =>
      path === NOZOMI_SIGN_IN_PATH && typeof parsed === 'object' && parsed !== null
        ? { ...(parsed as Record<string, unknown>), key_token: '[REDACTED]' }
        : parsed,
  });
  return Object.assign(server, {
    alerts,
    expireTokens: () => tokens.clear(),
    tokensIssued: () => issued,
    failJobs: (jobStatus: string, count = 1) => {
      failing = { status: jobStatus, remaining: count };
    },
    stallJobs: (value: boolean) => {
      stalled = value;
    },
  });
}
