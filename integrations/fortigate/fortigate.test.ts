import { inspect } from 'node:util';
import { FortiGateClient, IntegrationError, type FortiGateConfig } from '../index';
import {
  FORTIGATE_ADD_USERS_PATH as ADD_PATH,
  FORTIGATE_CLEAR_USERS_PATH as CLEAR_PATH,
  startFortiGateStub,
  type FortiGateStub,
} from './fortigate.stub';

const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 2_000 };

let stub: FortiGateStub;

beforeEach(async () => {
  stub = await startFortiGateStub({ vdoms: ['root', 'ot-dmz'] });
});
afterEach(async () => {
  await stub.close();
});

function client(overrides: Partial<FortiGateConfig> = {}): FortiGateClient {
  return new FortiGateClient(
    { baseUrl: stub.url, timeout: 5_000, apiKey: stub.apiKey, vdom: 'root', banExpiry: 3_600_000, ...overrides },
    { retry: FAST_RETRY },
  );
}

async function caught(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IntegrationError)) throw new Error(`expected an IntegrationError, got ${inspect(error)}`);
  return error;
}

describe('FortiGateClient', () => {
  it("reads an address's quarantine state from the banned list, per VDOM (rule 10 pre-change state)", async () => {
    expect(await client().banState('203.0.113.9')).toEqual({ ip: '203.0.113.9', banned: false });
    const before = Math.floor(Date.now() / 1000);
    await client().quarantineIp('203.0.113.9', 600);
    const state = await client().banState('203.0.113.9');
    expect(state).toMatchObject({ ip: '203.0.113.9', banned: true });
    expect(state.expires).toBeGreaterThanOrEqual(before + 600);
    expect(await client({ vdom: 'ot-dmz' }).banState('203.0.113.9')).toEqual({ ip: '203.0.113.9', banned: false });
    expect(stub.callsTo('/api/v2/monitor/user/banned').filter((c) => c.method === 'GET')).toHaveLength(3);
  });

  it('refuses a banned list of the wrong shape', async () => {
    stub.failNext(200, 1, {}, { body: { status: 'success', results: 'nope' }, path: '/api/v2/monitor/user/banned' });
    expect((await caught(client().banState('203.0.113.9'))).kind).toBe('invalid-response');
  });

  it('quarantines an IP with the documented add_users request, using banExpiry by default', async () => {
    const result = await client().quarantineIp('203.0.113.7');

    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]).toMatchObject({
      method: 'POST',
      path: ADD_PATH,
      query: { vdom: 'root' },
      body: { ip_addresses: ['203.0.113.7'], expiry: 3600 },
      status: 200,
    });
    expect(stub.calls[0]?.headers['content-type']).toContain('application/json');
    expect(result).toEqual({ ip: '203.0.113.7', action: 'quarantine', vdom: 'root', expirySeconds: 3600 });
    expect(stub.isBanned('203.0.113.7')).toBe(true);
  });

  it('uses an explicit expiry in seconds', async () => {
    await client().quarantineIp('203.0.113.8', 900);
    expect(stub.calls[0]?.body).toEqual({ ip_addresses: ['203.0.113.8'], expiry: 900 });
  });

  it.each([0, -5, 1.5, 400 * 24 * 3600])('refuses expiry %p without calling the firewall', async (expiry) => {
    const error = await caught(client().quarantineIp('203.0.113.9', expiry));
    expect(error).toMatchObject({ kind: 'invalid-input', retryable: false });
    expect(stub.calls).toHaveLength(0);
  });

  it('releases an IP with the documented clear_users request', async () => {
    const fg = client();
    await fg.quarantineIp('198.51.100.20');
    const result = await fg.releaseIp('198.51.100.20');

    expect(stub.callsTo(CLEAR_PATH)).toHaveLength(1);
    expect(stub.callsTo(CLEAR_PATH)[0]).toMatchObject({
      method: 'POST',
      query: { vdom: 'root' },
      body: { ip_addresses: ['198.51.100.20'] },
    });
    expect(stub.callsTo(CLEAR_PATH)[0]?.body).not.toHaveProperty('expiry');
    expect(result).toEqual({ ip: '198.51.100.20', action: 'release', vdom: 'root' });
    expect(stub.isBanned('198.51.100.20')).toBe(false);
  });

  it('scopes calls to the configured vdom', async () => {
    await client({ vdom: 'ot-dmz' }).quarantineIp('10.20.0.5');

    expect(stub.calls[0]?.query).toEqual({ vdom: 'ot-dmz' });
    expect(stub.isBanned('10.20.0.5', 'ot-dmz')).toBe(true);
    expect(stub.isBanned('10.20.0.5', 'root')).toBe(false);
  });

  it('reports an unknown vdom as a non-retryable error', async () => {
    const error = await caught(client({ vdom: 'no-such-vdom' }).quarantineIp('10.20.0.5'));
    expect(error).toMatchObject({ status: 404, retryable: false });
    expect(stub.calls).toHaveLength(1);
  });

  it('sends the API key as a bearer token and reports a bad key as a 401 without leaking it', async () => {
    const badKey = 'not-the-right-key-31337';
    const error = await caught(client({ apiKey: badKey }).quarantineIp('203.0.113.7'));

    expect(error).toMatchObject({ integration: 'fortigate', status: 401, retryable: false, kind: 'http' });
    expect(`${error.message} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`).not.toContain(badKey);
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]?.headers).not.toHaveProperty('authorization');
    expect(stub.isBanned('203.0.113.7')).toBe(false);
  });

  it('canonicalizes addresses and refuses ambiguous forms', async () => {
    const fg = client();
    await expect(fg.quarantineIp('::ffff:10.0.0.5')).resolves.toMatchObject({ ip: '10.0.0.5' });
    await expect(fg.quarantineIp('2001:DB8:0:0::1')).resolves.toMatchObject({ ip: '2001:db8::1' });
    expect(stub.calls.map((c) => (c.body as { ip_addresses: string[] }).ip_addresses[0])).toEqual([
      '10.0.0.5',
      '2001:db8::1',
    ]);

    for (const bad of ['10.1', '0x0a.0.0.1', '10.0.0.0/8', 'host.example']) {
      await expect(fg.quarantineIp(bad)).rejects.toMatchObject({ kind: 'invalid-input' });
    }
    expect(stub.calls).toHaveLength(2);
  });

  it('retries a 502 and records exactly one successful ban', async () => {
    stub.failNext(502, 1);
    await client().quarantineIp('203.0.113.7');
    expect(stub.calls.map((c) => c.status)).toEqual([502, 200]);
  });

  it('does not retry a 400', async () => {
    stub.failNext(400, 1);
    const error = await caught(client().quarantineIp('203.0.113.7'));
    expect(error).toMatchObject({ status: 400, retryable: false });
    expect(stub.calls).toHaveLength(1);
  });

  it('treats status "error" inside an HTTP 200 body as a failure', async () => {
    stub.failNext(
      200,
      1,
      {},
      { body: { http_method: 'POST', status: 'error', http_status: 500, vdom: 'root', error: -3 } },
    );
    const error = await caught(client().quarantineIp('203.0.113.7'));
    expect(error).toMatchObject({ kind: 'vendor-error', status: 500, retryable: true });
    expect(error.message).toContain('error -3');
  });

  it('rejects a success reported for a different vdom', async () => {
    stub.failNext(200, 1, {}, { body: { http_method: 'POST', status: 'success', http_status: 200, vdom: 'root' } });
    const error = await caught(client({ vdom: 'ot-dmz' }).quarantineIp('10.20.0.5'));
    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
  });

  it('rejects a response that is not the FortiOS envelope', async () => {
    stub.failNext(200, 1, {}, { body: '<html>login</html>' });
    const error = await caught(client().releaseIp('203.0.113.7'));
    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect(error.message).toContain('(root): Invalid input: expected object');
  });
});

describe('FortiGateClient sessions (remote.end_sessions)', () => {
  it('closes the sessions from an address on the VDOM with close-multiple filtered by saddr', async () => {
    stub.openSessions('10.30.5.42', 3, 'ot-dmz');
    stub.openSessions('10.30.5.43', 2, 'ot-dmz');
    expect(await client({ vdom: 'ot-dmz' }).closeSessions('10.30.5.42')).toEqual({ ip: '10.30.5.42', vdom: 'ot-dmz' });
    expect(stub.calls[0]).toMatchObject({
      method: 'POST',
      path: '/api/v2/monitor/firewall/session/close-multiple',
      query: { vdom: 'ot-dmz' },
      body: { saddr: '10.30.5.42' },
      status: 200,
    });
    expect([stub.sessionsFrom('10.30.5.42', 'ot-dmz'), stub.sessionsFrom('10.30.5.43', 'ot-dmz')]).toEqual([0, 2]);
  });

  it('uses the IPv6 session table for an IPv6 source', async () => {
    await client().closeSessions('2001:DB8::7');
    expect(stub.calls[0]).toMatchObject({
      path: '/api/v2/monitor/firewall/session6/close-multiple',
      body: { saddr: '2001:db8::7' },
    });
  });
});

describe('FortiGate stub', () => {
  it('answers a bad body with the FortiOS error envelope', async () => {
    const response = await fetch(`${stub.url}${ADD_PATH}?vdom=root`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stub.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ip_addresses: ['not-an-ip'] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      http_method: 'POST',
      status: 'error',
      http_status: 400,
      vdom: 'root',
    });
  });

  it('accepts the legacy access_token query parameter but never records it', async () => {
    const response = await fetch(`${stub.url}${CLEAR_PATH}?vdom=root&access_token=${stub.apiKey}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ip_addresses: ['192.0.2.1'] }),
    });
    expect(response.status).toBe(200);
    expect(stub.calls[0]?.query).toEqual({ vdom: 'root' });
  });
});
