import { MispClient } from '../../integrations';
import { describeConformance } from '../../test/connectors/conformance';
import { describeIntelConformance, FAST_RETRY } from '../../test/connectors/intel-conformance';
import { mispConfigSchema } from './config';
import { MISP_SEARCH_PATH, startMispStub, type MispStub } from './misp.stub';

const EVIL = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

const start = () =>
  startMispStub({
    attributes: [
      { value: EVIL, type: 'sha256', eventId: 42, toIds: true, tags: ['tlp:amber', 'malware:emotet'] },
      { value: EVIL, type: 'sha256', eventId: 57, toIds: false, tags: ['tlp:amber'] },
      { value: '185.220.101.4', type: 'ip-dst', eventId: 42, toIds: false },
    ],
  });

describeConformance({
  connector: 'misp',
  async start() {
    const stub = await start();
    return { stub, config: { baseUrl: stub.url, apiKey: stub.apiKey }, secrets: [stub.apiKey] };
  },
  action: { type: 'intel.lookup', target: EVIL, params: {} },
  changePath: MISP_SEARCH_PATH,
  validatedRead: { path: MISP_SEARCH_PATH, via: 'execute', malformed: { response: { Attribute: 'nope' } } },
});

describeIntelConformance<MispStub>({
  id: 'misp',
  start,
  config: (stub, o = {}) => ({ baseUrl: stub.url, apiKey: o.apiKey ?? stub.apiKey, timeout: o.timeout ?? '5s' }),
  secret: (stub) => stub.apiKey,
  path: MISP_SEARCH_PATH,
  known: EVIL,
  unknown: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  knownResult: { found: true, count: 2, events: ['42', '57'], tags: ['tlp:amber', 'malware:emotet'], toIds: true },
  unknownResult: { found: false, count: 0, events: [], tags: [], toIds: false },
});

describe('MispClient', () => {
  let stub: MispStub;
  beforeEach(async () => {
    stub = await start();
  });
  afterEach(async () => {
    await stub.close();
  });

  it('searches attributes by value as the MISP API documents', async () => {
    const misp = new MispClient(mispConfigSchema.parse({ baseUrl: stub.url, apiKey: stub.apiKey }), {
      retry: FAST_RETRY,
    });
    const answer = await misp.lookup({ type: 'ip', value: '185.220.101.4' });
    expect(answer.result).toEqual({ found: true, count: 1, events: ['42'], tags: [], toIds: false });
    const [call] = stub.calls;
    expect(call).toMatchObject({ method: 'POST', path: MISP_SEARCH_PATH, status: 200 });
    expect(call?.body).toMatchObject({ value: '185.220.101.4', returnFormat: 'json' });
    expect(call?.headers['accept']).toBe('application/json');
  });

  it('needs a base URL, and defaults to 60 lookups a minute, no daily limit, a 1 h cache', () => {
    expect(mispConfigSchema.safeParse({ apiKey: 'k' }).success).toBe(false);
    const config = mispConfigSchema.parse({ baseUrl: 'https://misp.example.net', apiKey: 'k' });
    expect(config).toMatchObject({ requestsPerMinute: 60, cacheTtl: 3_600_000 });
    expect(config.requestsPerDay).toBeUndefined();
  });
});
