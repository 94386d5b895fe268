import { configSchema } from '../../src/config/schema';
import { Connectors, CrowdStrikeClient, FortiGateConnection } from '../../integrations';
import { startCrowdStrikeStub, type CrowdStrikeStub } from '../../integrations/crowdstrike/crowdstrike.stub';
import { startFortiGateStub, type FortiGateStub } from '../../integrations/fortigate/fortigate.stub';

let crowdstrike: CrowdStrikeStub;
let fortigate: FortiGateStub;

beforeAll(async () => {
  [crowdstrike, fortigate] = await Promise.all([startCrowdStrikeStub(), startFortiGateStub()]);
});
afterAll(async () => {
  await Promise.all([crowdstrike.close(), fortigate.close()]);
});

describe('Connectors', () => {
  it('creates no clients when no integration is configured', () => {
    expect(new Connectors(configSchema.parse({}).integrations).ofCapability('edr')).toEqual([]);
  });

  it('builds working clients from parsed configuration (durations, defaults)', async () => {
    const config = configSchema.parse({
      integrations: {
        crowdstrike: {
          baseUrl: crowdstrike.url,
          timeout: '5s',
          clientId: crowdstrike.clientId,
          clientSecret: crowdstrike.clientSecret,
        },
        fortigate: { baseUrl: fortigate.url, apiKey: fortigate.apiKey, banExpiry: '15m' },
      },
    });

    const connectors = new Connectors(config.integrations);
    const falcon = connectors.get('crowdstrike')?.client;
    const firewall = connectors.get('fortigate')?.client;

    expect(falcon).toBeInstanceOf(CrowdStrikeClient);
    expect(firewall).toBeInstanceOf(FortiGateConnection);
    await (falcon as CrowdStrikeClient).containHost('00112233445566778899aabbccddeeff');
    await (firewall as FortiGateConnection).forVdom().quarantineIp('192.0.2.44');
    expect(crowdstrike.contained.has('00112233445566778899aabbccddeeff')).toBe(true);
    expect(fortigate.callsTo('/api/v2/monitor/user/banned/add_users')[0]).toMatchObject({
      query: { vdom: 'root' },
      body: { ip_addresses: ['192.0.2.44'], expiry: 900 },
    });
  });

  it('creates only the configured client', () => {
    const config = configSchema.parse({ integrations: { fortigate: { baseUrl: fortigate.url, apiKey: 'k' } } });
    const connectors = new Connectors(config.integrations);
    expect(connectors.get('fortigate')).toBeDefined();
    expect(connectors.get('crowdstrike')).toBeUndefined();
    expect(connectors.ofCapability('firewall').map((c) => c.definition.manifest.id)).toEqual(['fortigate']);
  });
});
