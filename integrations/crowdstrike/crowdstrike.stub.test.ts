import { startCrowdStrikeStub, type CrowdStrikeStub } from './crowdstrike.stub';

/** The stub must refuse what Falcon refuses, or client tests would pass against a lenient fake. */

let stub: CrowdStrikeStub;
beforeEach(async () => {
  stub = await startCrowdStrikeStub();
});
afterEach(async () => {
  await stub.close();
});

async function token(): Promise<string> {
  const response = await fetch(`${stub.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: stub.clientId, client_secret: stub.clientSecret }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { access_token: string }).access_token;
}

function contain(bearer: string, body: string, action = 'contain'): Promise<Response> {
  return fetch(`${stub.url}/devices/entities/devices-actions/v2?action_name=${action}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
    body,
  });
}

describe('CrowdStrike stub', () => {
  it('answers an unknown bearer token with 401 and Falcon’s error body', async () => {
    const response = await contain('forged', JSON.stringify({ ids: ['0123456789abcdef0123456789abcdef'] }));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      errors: [{ code: 401, message: 'access denied, invalid bearer token' }],
    });
  });

  it('answers bad client credentials with 403', async () => {
    const response = await fetch(`${stub.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: stub.clientId, client_secret: 'nope' }),
    });
    expect(response.status).toBe(403);
  });

  it.each([
    ['not JSON', '{ids:', 'contain'],
    ['no ids', '{}', 'contain'],
    ['malformed id', JSON.stringify({ ids: ['host-01'] }), 'contain'],
    ['unknown action', JSON.stringify({ ids: ['0123456789abcdef0123456789abcdef'] }), 'explode'],
  ])('answers 400 for %s', async (_label, body, action) => {
    const response = await contain(await token(), body, action);
    expect(response.status).toBe(400);
    expect(stub.contained.size).toBe(0);
  });

  it('records calls without the secret and serves scripted failures first', async () => {
    stub.failNext(503, 1, { 'Retry-After': '2' });
    const failed = await fetch(`${stub.url}/oauth2/token`, { method: 'POST' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');

    const bearer = await token();
    expect(JSON.stringify(stub.calls)).not.toContain(stub.clientSecret);
    const response = await contain(bearer, JSON.stringify({ ids: ['0123456789abcdef0123456789abcdef'] }));
    expect(response.status).toBe(202);
    expect(JSON.stringify(stub.calls)).not.toContain(bearer);
    expect(stub.calls.map((c) => c.status)).toEqual([503, 201, 202]);

    stub.reset();
    expect(stub.calls).toHaveLength(0);
  });
});
