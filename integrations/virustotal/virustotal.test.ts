import { VirusTotalClient, virustotalUrlId } from '../../integrations';
import { describeConformance } from '../../test/connectors/conformance';
import { describeIntelConformance, FAST_RETRY } from '../../test/connectors/intel-conformance';
import { virustotalConfigSchema } from './config';
import { startVirusTotalStub, type VirusTotalStub } from './virustotal.stub';

const EVIL = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const CLEAN = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const NEVER_SEEN = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';

const start = () =>
  startVirusTotalStub({
    files: {
      [EVIL]: { malicious: 61, suspicious: 2, harmless: 0, undetected: 9, reputation: -82 },
      [CLEAN]: { malicious: 0, harmless: 5, undetected: 67 },
    },
    ipAddresses: { '185.220.101.4': { malicious: 12, harmless: 50, undetected: 20, reputation: -11 } },
    domains: { 'evil.example': { malicious: 7, undetected: 80 } },
    urls: { [virustotalUrlId('http://evil.example/payload.exe')]: { malicious: 9, undetected: 60 } },
  });

describeConformance({
  connector: 'virustotal',
  async start() {
    const stub = await start();
    return { stub, config: { baseUrl: stub.url, apiKey: stub.apiKey }, secrets: [stub.apiKey] };
  },
  action: { type: 'intel.lookup', target: EVIL, params: {} },
  changePath: `/api/v3/files/${EVIL}`,
  validatedRead: { path: '/api/v3/files/', via: 'execute', malformed: { data: { attributes: { reputation: 'bad' } } } },
});

describeIntelConformance<VirusTotalStub>({
  id: 'virustotal',
  start,
  config: (stub, o = {}) => ({ baseUrl: stub.url, apiKey: o.apiKey ?? stub.apiKey, timeout: o.timeout ?? '5s' }),
  secret: (stub) => stub.apiKey,
  path: '/api/v3/files/',
  known: EVIL.toUpperCase(),
  unknown: NEVER_SEEN,
  knownResult: {
    found: true,
    malicious: 61,
    suspicious: 2,
    harmless: 0,
    undetected: 9,
    reputation: -82,
    link: `https://www.virustotal.com/gui/file/${EVIL}`,
  },
  unknownResult: { found: false },
});

describe('VirusTotalClient', () => {
  let stub: VirusTotalStub;
  beforeEach(async () => {
    stub = await start();
  });
  afterEach(async () => {
    await stub.close();
  });
  const client = (extra: Record<string, unknown> = {}) =>
    new VirusTotalClient(virustotalConfigSchema.parse({ baseUrl: stub.url, apiKey: stub.apiKey, ...extra }), {
      retry: FAST_RETRY,
    });

  it('reads each kind of observable from its collection', async () => {
    const vt = client();
    const ip = await vt.lookup({ type: 'ip', value: '185.220.101.4' });
    const domain = await vt.lookup({ type: 'domain', value: 'evil.example' });
    const url = await vt.lookup({ type: 'url', value: 'http://evil.example/payload.exe' });
    expect([ip.result['malicious'], domain.result['malicious'], url.result['malicious']]).toEqual([12, 7, 9]);
    expect(stub.calls.map((c) => [c.method, c.path])).toEqual([
      ['GET', '/api/v3/ip_addresses/185.220.101.4'],
      ['GET', '/api/v3/domains/evil.example'],
      ['GET', `/api/v3/urls/${virustotalUrlId('http://evil.example/payload.exe')}`],
    ]);
    expect(url.result['link']).toBe(
      `https://www.virustotal.com/gui/url/${virustotalUrlId('http://evil.example/payload.exe')}`,
    );
  });

  it("identifies a URL by VirusTotal's URL ID: base64url without padding", () => {
    expect(virustotalUrlId('http://www.example.com/')).toBe('aHR0cDovL3d3dy5leGFtcGxlLmNvbS8');
    expect(virustotalUrlId('http://www.example.com/')).not.toMatch(/[=+/]/);
  });

  it('defaults to the public API quota (4 a minute, 500 a day) and the public endpoint', () => {
    const config = virustotalConfigSchema.parse({ apiKey: 'k' });
    expect(config).toMatchObject({
      baseUrl: 'https://www.virustotal.com',
      requestsPerMinute: 4,
      requestsPerDay: 500,
      cacheTtl: 3_600_000,
    });
  });

  it('keeps within requestsPerMinute: the fifth lookup of a minute waits for a slot', async () => {
    const vt = client({ requestsPerMinute: 2 });
    const started = Date.now();
    await vt.lookup({ type: 'hash', value: EVIL });
    await vt.lookup({ type: 'hash', value: CLEAN });
    const third = vt.lookup({ type: 'hash', value: NEVER_SEEN }, { signal: AbortSignal.timeout(300) });
    await expect(third).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stub.calls).toHaveLength(2);
  });
});
