import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A MISP stand-in for the attribute search (MISP OpenAPI, restSearchAttributes):
 * `POST /attributes/restSearch` with a JSON body (`value`, `returnFormat: "json"`), the raw auth
 * key in `Authorization`, answering `{"response": {"Attribute": [...]}}` — each attribute with
 * `id`, `event_id` (a string, as MISP sends it), `type`, `category`, `value`, `to_ids` and, with
 * `includeEventTags`, its event's `Tag`s. A wrong key gets MISP's 403.
 */

export interface MispAttributeFixture {
  value: string;
  type: string;
  eventId: number;
  toIds?: boolean;
  tags?: string[];
}

export interface MispStubOptions {
  apiKey?: string;
  attributes?: readonly MispAttributeFixture[];
}

export type MispStub = StubServer & { apiKey: string };

export const MISP_SEARCH_PATH = '/attributes/restSearch';

const mispError = (status: number, message: string) => ({ name: message, message, url: MISP_SEARCH_PATH, status });

export async function startMispStub(options: MispStubOptions = {}): Promise<MispStub> {
  const apiKey = options.apiKey ?? 'misp-test-auth-key-0123456789abcdef0123';
  const attributes = options.attributes ?? [];

  const handle = (req: StubRequest): StubResponse => {
    const key = req.headers.authorization;
    if (key === undefined || !secretEquals(key, apiKey))
      return { status: 403, body: mispError(403, 'Authentication failed. Please make sure you pass the API key.') };
    if (req.path !== MISP_SEARCH_PATH || req.method !== 'POST')
      return { status: 404, body: mispError(404, 'Not Found') };
    let body: { value?: unknown; returnFormat?: unknown; includeEventTags?: unknown };
    try {
      body = JSON.parse(req.rawBody) as typeof body;
    } catch {
      return { status: 400, body: mispError(400, 'Invalid JSON') };
    }
    if (body.returnFormat !== 'json') return { status: 400, body: mispError(400, 'returnFormat must be json here') };
    const value = typeof body.value === 'string' ? body.value.toLowerCase() : undefined;
    const found = attributes
      .map((a, index) => ({ a, index }))
      .filter(({ a }) => a.value.toLowerCase() === value)
      .map(({ a, index }) => ({
        id: String(1000 + index),
        event_id: String(a.eventId),
        object_id: '0',
        category: a.type.startsWith('ip') ? 'Network activity' : 'Payload delivery',
        type: a.type,
        to_ids: a.toIds ?? false,
        uuid: `5f0c2a1e-0000-4000-8000-${String(index).padStart(12, '0')}`,
        timestamp: '1763630000',
        distribution: '5',
        comment: '',
        deleted: false,
        value: a.value,
        Event: { org_id: '1', distribution: '1', id: String(a.eventId), info: `Event ${a.eventId}`, orgc_id: '1' },
        ...(body.includeEventTags === true && a.tags !== undefined
          ? { Tag: a.tags.map((name, i) => ({ id: String(i + 1), name, colour: '#004646', numerical_value: null })) }
          : {}),
      }));
    return { status: 200, body: { response: { Attribute: found } } };
  };

  const server = await startRecordingServer({ handle, errorBody: (status) => mispError(status, `HTTP ${status}`) });
  return Object.assign(server, { apiKey });
}
