import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from './recording-server';

/**
 * An IBM QRadar REST API stand-in for the address lookups alert completion makes:
 * `GET /api/siem/source_addresses/{id}` and `GET /api/siem/local_destination_addresses/{id}`.
 * Authenticates the authorized-service token in the `SEC` header as QRadar does (401 with its
 * `{http_response, code, message, description}` error body), honours `fields=`, and answers 404
 * for an unknown ID. The `SEC` header is never recorded.
 */

export interface QRadarStubOptions {
  token?: string;
  /** Source address ID → IP. */
  sourceAddresses?: Record<number, string>;
  /** Local destination address ID → IP. */
  localDestinationAddresses?: Record<number, string>;
}

export interface QRadarStub extends StubServer {
  token: string;
}

export const QRADAR_SOURCE_ADDRESSES_PATH = '/api/siem/source_addresses';
export const QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH = '/api/siem/local_destination_addresses';

const MESSAGES: Record<number, { code: number; message: string; description: string }> = {
  401: { code: 401, message: 'You are unauthorized to access the requested resource.', description: '' },
  404: { code: 1002, message: 'No address was found for the provided id', description: '' },
  422: { code: 1005, message: 'A request parameter is not valid', description: '' },
  500: { code: 1020, message: 'An error occurred while attempting to retrieve the address', description: '' },
  503: { code: 1003, message: 'The service is unavailable', description: '' },
};

function errorBody(status: number) {
  const known = MESSAGES[status] ?? { code: status, message: 'Error', description: '' };
  return {
    http_response: { code: status, message: status === 401 ? 'Unauthorized' : 'Error' },
    code: known.code,
    message: known.message,
    description: known.description,
    details: {},
  };
}

function selectFields(record: Record<string, unknown>, fields: string | null): Record<string, unknown> {
  if (fields === null || fields.trim() === '') return record;
  const wanted = fields.split(',').map((f) => f.trim());
  return Object.fromEntries(Object.entries(record).filter(([key]) => wanted.includes(key)));
}

export async function startQRadarStub(options: QRadarStubOptions = {}): Promise<QRadarStub> {
  const token = options.token ?? '8f3c2a1e-4b5d-4e6f-9a0b-1c2d3e4f5a6b';
  const sources = options.sourceAddresses ?? {};
  const destinations = options.localDestinationAddresses ?? {};

  const lookup = (req: StubRequest, prefix: string, table: Record<number, string>, ipField: string): StubResponse => {
    const id = req.path.slice(prefix.length + 1);
    if (!/^\d+$/.test(id)) return { status: 422, body: errorBody(422) };
    const ip = table[Number(id)];
    if (ip === undefined) return { status: 404, body: errorBody(404) };
    const record = {
      id: Number(id),
      [ipField]: ip,
      magnitude: 5,
      network: 'Net-10-172-192.Net_10_0_0_0',
      offense_ids: [5531],
      domain_id: 0,
      event_flow_count: 96,
      first_event_flow_seen: 1763632200000,
      last_event_flow_seen: 1763632260000,
    };
    return { status: 200, body: selectFields(record, req.query.get('fields')) };
  };

  const server = await startRecordingServer({
    errorBody,
    handle: (req) => {
      const sec = req.headers['sec'];
      if (typeof sec !== 'string' || !secretEquals(sec, token)) return { status: 401, body: errorBody(401) };
      if (req.method !== 'GET') return { status: 405, body: errorBody(405) };
      if (req.path.startsWith(`${QRADAR_SOURCE_ADDRESSES_PATH}/`))
        return lookup(req, QRADAR_SOURCE_ADDRESSES_PATH, sources, 'source_ip');
      if (req.path.startsWith(`${QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH}/`))
        return lookup(req, QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH, destinations, 'local_destination_ip');
      return { status: 404, body: errorBody(404) };
    },
  });
  return Object.assign(server, { token });
}
