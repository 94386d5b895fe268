import { randomBytes } from 'node:crypto';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A ServiceNow Table API stand-in (`/api/now/table/{table}`) for one task table: basic auth,
 * `POST` → 201 `{result}` (a new record: sys_id, number, state New/Draft), `GET` with an
 * encoded `sysparm_query` of `field=value` terms joined by `^` (and `^ORDERBY<field>`) → 200
 * `{result: [...]}` honouring `sysparm_limit`, `PATCH /{sys_id}` → 200 `{result}`, and
 * `sysparm_fields` / `sysparm_display_value=all` (`{value, display_value}` fields) as the Table
 * API documents them. Errors in ServiceNow's shape: `{error: {message, detail}, status: "failure"}`.
 */

export interface ServiceNowStubOptions {
  username?: string;
  password?: string;
  /** The task table it serves (default incident); others answer 400 Invalid table. */
  table?: string;
}

export interface ServiceNowRecord {
  sys_id: string;
  number: string;
  state: string;
  sys_created_on: string;
  [field: string]: string;
}

export interface ServiceNowStub extends StubServer {
  username: string;
  password: string;
  records: ReadonlyMap<string, ServiceNowRecord>;
  /** The record with this number (e.g. INC0010001). */
  byNumber(number: string): ServiceNowRecord | undefined;
  /** Sets a record's state, as a person working the ticket would. */
  setState(number: string, state: string): void;
}

export const SERVICENOW_TABLE_PATH = '/api/now/table';

/** State labels (the `state` choice list) of the base tables. */
const STATE_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  incident: { '1': 'New', '2': 'In Progress', '3': 'On Hold', '6': 'Resolved', '7': 'Closed', '8': 'Canceled' },
  sn_si_incident: {
    '10': 'Draft',
    '16': 'Analysis',
    '18': 'Contain',
    '19': 'Eradicate',
    '20': 'Recover',
    '100': 'Review',
    '3': 'Closed',
    '7': 'Cancelled',
  },
};
const PREFIX: Readonly<Record<string, string>> = { incident: 'INC', sn_si_incident: 'SIR' };
const INITIAL_STATE: Readonly<Record<string, string>> = { incident: '1', sn_si_incident: '10' };

const failure = (message: string, detail: string | null = null) => ({ error: { message, detail }, status: 'failure' });

export async function startServiceNowStub(options: ServiceNowStubOptions = {}): Promise<ServiceNowStub> {
  const username = options.username ?? 'interlock.integration';
  const password = options.password ?? 'servicenow-test-password';
  const table = options.table ?? 'incident';
  const records = new Map<string, ServiceNowRecord>();
  let counter = 10_000;

  const authenticated = (req: StubRequest): boolean => {
    const encoded = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return encoded !== undefined && secretEquals(Buffer.from(encoded, 'base64').toString(), `${username}:${password}`);
  };

  const label = (field: string, value: string) => (field === 'state' ? STATE_LABELS[table]?.[value] : undefined);
  const view = (record: ServiceNowRecord, query: URLSearchParams) => {
    const fields = query.get('sysparm_fields')?.split(',') ?? Object.keys(record);
    const all = query.get('sysparm_display_value') === 'all';
    return Object.fromEntries(
      fields.map((f) => {
        const value = record[f] ?? '';
        return [f, all ? { value, display_value: label(f, value) ?? value } : value];
      }),
    );
  };

  /** The encoded query Interlock sends: `a=b^c=d^ORDERBYfield`. */
  const matches = (encoded: string): ServiceNowRecord[] | undefined => {
    let found = [...records.values()];
    let order: string | undefined;
    for (const term of encoded.split('^').filter((t) => t !== '')) {
      if (term.startsWith('ORDERBY')) {
        order = term.slice('ORDERBY'.length);
        continue;
      }
      const eq = /^([a-z_]+)=(.*)$/.exec(term);
      if (eq === null) return undefined;
      found = found.filter((r) => r[eq[1] ?? ''] === eq[2]);
    }
    if (order !== undefined) found.sort((a, b) => (a[order] ?? '').localeCompare(b[order] ?? ''));
    return found;
  };

  const parseBody = (req: StubRequest): Record<string, unknown> | undefined => {
    try {
      const body: unknown = JSON.parse(req.rawBody);
      return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };

  const handle = (req: StubRequest): StubResponse => {
    if (!authenticated(req))
      return { status: 401, body: failure('User Not Authenticated', 'Required to provide Auth information') };
    const path = new RegExp(`^${SERVICENOW_TABLE_PATH}/([a-z0-9_]+)(?:/([0-9a-f]{32}))?$`).exec(req.path);
    if (path === null) return { status: 400, body: failure('Requested URI does not represent any resource') };
    if (path[1] !== table) return { status: 400, body: failure(`Invalid table ${path[1] ?? ''}`) };
    const sysId = path[2];

    if (req.method === 'GET' && sysId === undefined) {
      const found = matches(req.query.get('sysparm_query') ?? '');
      if (found === undefined) return { status: 400, body: failure('Invalid query') };
      const limit = Number(req.query.get('sysparm_limit') ?? '10000');
      return { status: 200, body: { result: found.slice(0, limit).map((r) => view(r, req.query)) } };
    }
    if (req.method === 'POST' && sysId === undefined) {
      const body = parseBody(req);
      if (body === undefined) return { status: 400, body: failure('Exception while reading request', 'not JSON') };
      counter += 1;
      const record: ServiceNowRecord = {
        sys_id: randomBytes(16).toString('hex'),
        number: `${PREFIX[table] ?? 'TASK'}${String(counter).padStart(7, '0')}`,
        state: INITIAL_STATE[table] ?? '1',
        sys_created_on: new Date(Date.now() + counter).toISOString().replace('T', ' ').slice(0, 23),
      };
      for (const [key, value] of Object.entries(body)) if (typeof value === 'string') record[key] = value;
      records.set(record.sys_id, record);
      return {
        status: 201,
        headers: { location: `${SERVICENOW_TABLE_PATH}/${table}/${record.sys_id}` },
        body: { result: view(record, req.query) },
      };
    }
    if ((req.method === 'PATCH' || req.method === 'PUT') && sysId !== undefined) {
      const record = records.get(sysId);
      if (record === undefined)
        return {
          status: 404,
          body: failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval"),
        };
      const body = parseBody(req);
      if (body === undefined) return { status: 400, body: failure('Exception while reading request', 'not JSON') };
      for (const [key, value] of Object.entries(body)) if (typeof value === 'string') record[key] = value;
      return { status: 200, body: { result: view(record, req.query) } };
    }
    return { status: 405, body: failure('Method not Supported', `${req.method} is not supported here`) };
  };

  const server = await startRecordingServer({
    handle,
    errorBody: (status) => failure(`HTTP ${status}`),
  });
  const byNumber = (number: string) => [...records.values()].find((r) => r.number === number);
  return Object.assign(server, {
    username,
    password,
    records,
    byNumber,
    setState: (number: string, state: string) => {
      const record = byNumber(number);
      if (record === undefined) throw new Error(`no record ${number}`);
      record.state = state;
    },
  });
}
