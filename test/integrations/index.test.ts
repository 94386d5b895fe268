import { configSchema } from '../../src/config/schema';
import { createEnforcementClients, CrowdStrikeClient, FortiGateClient } from '../../integrations';
import { startCrowdStrikeStub, type CrowdStrikeStub } from '../stubs/crowdstrike-stub';
import { startFortiGateStub, type FortiGateStub } from '../stubs/fortigate-stub';

let crowdstrike: CrowdStrikeStub;
let fortigate: FortiGateStub;

beforeAll(async () => {
  [crowdstrike, fortigate] = await Promise.all([startCrowdStrikeStub(), startFortiGateStub()]);
});
afterAll(async () => {
  await Promise.all([crowdstrike.close(), fortigate.close()]);
});

describe('createEnforcementClients', () => {
  it('creates no clients when no integration is configured', () => {
    expect(createEnforcementClients(configSchema.parse({}).integrations)).toEqual({});
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

    const clients = createEnforcementClients(config.integrations);

    expect(clients.crowdstrike).toBeInstanceOf(CrowdStrikeClient);
    expect(clients.fortigate).toBeInstanceOf(FortiGateClient);
    await clients.crowdstrike?.containHost('00112233445566778899aabbccddeeff');
    await clients.fortigate?.quarantineIp('192.0.2.44');
    expect(crowdstrike.contained.has('00112233445566778899aabbccddeeff')).toBe(true);
    expect(fortigate.callsTo('/api/v2/monitor/user/banned/add_users')[0]).toMatchObject({
      query: { vdom: 'root' },
      body: { ip_addresses: ['192.0.2.44'], expiry: 900 },
    });
  });

  it('creates only the configured client', () => {
    const config = configSchema.parse({ integrations: { fortigate: { baseUrl: fortigate.url, apiKey: 'k' } } });
    const clients = createEnforcementClients(config.integrations);
    expect(Object.keys(clients)).toEqual(['fortigate']);
  });
});
