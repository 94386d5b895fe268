import { inspect } from 'node:util';
import { CrowdStrikeClient, IntegrationError, type CrowdStrikeClientOptions } from '../index';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH as ACTIONS_PATH,
  CROWDSTRIKE_TOKEN_PATH as TOKEN_PATH,
  startCrowdStrikeStub,
  type CrowdStrikeStub,
} from './crowdstrike.stub';

const DEVICE = '0123456789abcdef0123456789abcdef';
const OTHER_DEVICE = 'fedcba9876543210fedcba9876543210';
const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };

let stub: CrowdStrikeStub;

beforeEach(async () => {
  stub = await startCrowdStrikeStub();
});
afterEach(async () => {
  await stub.close();
});

function client(options: CrowdStrikeClientOptions = {}, overrides: { clientSecret?: string } = {}): CrowdStrikeClient {
  return new CrowdStrikeClient(
    {
      baseUrl: stub.url,
      timeout: 5_000,
      clientId: stub.clientId,
      clientSecret: overrides.clientSecret ?? stub.clientSecret,
    },
    { retry: FAST_RETRY, ...options },
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

const successful = (path: string) => stub.callsTo(path).filter((c) => c.status >= 200 && c.status < 300);

describe('CrowdStrikeClient tokens', () => {
  it('fetches a token with a form-encoded client-credentials request', async () => {
    await client().containHost(DEVICE);

    const [tokenCall, ...more] = stub.callsTo(TOKEN_PATH);
    expect(more).toHaveLength(0);
    expect(tokenCall).toMatchObject({
      method: 'POST',
      status: 201,
      body: { client_id: stub.clientId, client_secret: '[REDACTED]' },
    });
    expect(tokenCall?.headers['content-type']).toContain('application/x-www-form-urlencoded');
  });

  it('reuses one cached token across several actions, sequential and concurrent', async () => {
    const cs = client();
    await cs.containHost(DEVICE);
    await cs.liftContainment(DEVICE);
    await Promise.all([cs.containHost(DEVICE), cs.containHost(OTHER_DEVICE), cs.liftContainment(OTHER_DEVICE)]);

    expect(stub.tokensIssued()).toBe(1);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(1);
    expect(successful(ACTIONS_PATH)).toHaveLength(5);
  });

  it('shares one token request between concurrent first calls', async () => {
    const cs = client();
    await Promise.all([cs.containHost(DEVICE), cs.containHost(OTHER_DEVICE)]);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(1);
  });

  it('renews the token shortly before it expires', async () => {
    await stub.close();
    stub = await startCrowdStrikeStub({ tokenTtlSeconds: 600 });
    let now = 1_000_000;
    const cs = client({ now: () => now, tokenRefreshMarginMs: 60_000 });

    await cs.containHost(DEVICE);
    now += 539_000; // 61 s before expiry: still outside the 60 s margin
    await cs.containHost(DEVICE);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(1);

    now += 2_000; // 59 s before expiry: inside the margin
    await cs.containHost(DEVICE);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(2);
  });

  it('accepts a 200 token response as well as Falcon’s 201', async () => {
    await stub.close();
    stub = await startCrowdStrikeStub({ tokenStatus: 200 });
    await expect(client().containHost(DEVICE)).resolves.toMatchObject({ deviceId: DEVICE, action: 'contain' });
  });

  it('on 401 renews the token once and repeats the call', async () => {
    const cs = client();
    await cs.containHost(DEVICE);
    stub.revokeTokens();
    stub.reset();

    await expect(cs.liftContainment(DEVICE)).resolves.toMatchObject({ action: 'lift_containment' });

    expect(stub.calls.map((c) => [c.path, c.status])).toEqual([
      [ACTIONS_PATH, 401],
      [TOKEN_PATH, 201],
      [ACTIONS_PATH, 202],
    ]);
    expect(stub.tokensIssued()).toBe(2);
  });

  it('gives up after one renewal when 401 persists', async () => {
    const cs = client();
    stub.failNext(401, 5, {}, { path: ACTIONS_PATH });

    const error = await caught(cs.containHost(DEVICE));

    expect(error).toMatchObject({ integration: 'crowdstrike', status: 401, retryable: false, kind: 'http' });
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(2);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(2);
  });

  it('reports rejected client credentials (403) without retrying or leaking the secret', async () => {
    const wrongSecret = 'wrong-secret-value-4242';
    const error = await caught(client({}, { clientSecret: wrongSecret }).containHost(DEVICE));

    expect(error).toMatchObject({ status: 403, retryable: false });
    expect(error.message).toContain('Not Authorized');
    expect(inspect(error)).not.toContain(wrongSecret);
    expect(stub.callsTo(TOKEN_PATH)).toHaveLength(1);
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(0);
  });

  it('rejects a malformed token response', async () => {
    stub.failNext(201, 1, {}, { path: TOKEN_PATH, body: { access_token: 'abc', token_type: 'bearer' } });
    const error = await caught(client().containHost(DEVICE));
    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect(error.message).toContain('expires_in');
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(0);
  });
});

describe('CrowdStrikeClient containment', () => {
  it('sends the documented contain request and returns the trace ID', async () => {
    const result = await client().containHost(DEVICE);

    const [call, ...more] = stub.callsTo(ACTIONS_PATH);
    expect(more).toHaveLength(0);
    expect(call).toMatchObject({
      method: 'POST',
      query: { action_name: 'contain' },
      body: { ids: [DEVICE] },
      status: 202,
    });
    expect(call?.headers['content-type']).toContain('application/json');
    expect(call?.headers).not.toHaveProperty('authorization');
    expect(result).toMatchObject({ deviceId: DEVICE, action: 'contain' });
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stub.contained.has(DEVICE)).toBe(true);
  });

  it('lifts containment with action_name=lift_containment', async () => {
    const cs = client();
    await cs.containHost(DEVICE);
    const result = await cs.liftContainment(DEVICE);

    expect(stub.callsTo(ACTIONS_PATH).map((c) => c.query.action_name)).toEqual(['contain', 'lift_containment']);
    expect(result).toMatchObject({ deviceId: DEVICE, action: 'lift_containment' });
    expect(stub.contained.has(DEVICE)).toBe(false);
  });

  it('refuses a malformed device ID before calling Falcon', async () => {
    const error = await caught(client().containHost('host-01; DROP'));
    expect(error).toMatchObject({ kind: 'invalid-input', retryable: false });
    expect(stub.calls).toHaveLength(0);
  });

  it('retries a 500 and records exactly one successful containment', async () => {
    stub.failNext(500, 2, {}, { path: ACTIONS_PATH });

    await expect(client().containHost(DEVICE)).resolves.toMatchObject({ deviceId: DEVICE });

    expect(stub.callsTo(ACTIONS_PATH).map((c) => c.status)).toEqual([500, 500, 202]);
    expect(successful(ACTIONS_PATH)).toHaveLength(1);
  });

  it('stops after the configured number of retries and reports a retryable error', async () => {
    stub.failNext(503, 10, {}, { path: ACTIONS_PATH });

    const error = await caught(client().containHost(DEVICE));

    expect(error).toMatchObject({ status: 503, retryable: true, kind: 'http' });
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(1 + FAST_RETRY.retries);
  });

  it('waits as long as Retry-After asks on 429', async () => {
    const cs = client();
    await cs.containHost(OTHER_DEVICE); // token fetched up front so only the action is timed
    stub.failNext(429, 1, { 'Retry-After': '1' }, { path: ACTIONS_PATH });

    const started = Date.now();
    await cs.containHost(DEVICE);
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(
      stub
        .callsTo(ACTIONS_PATH)
        .slice(1)
        .map((c) => c.status),
    ).toEqual([429, 202]);
  });

  it('fails fast, as retryable, when Retry-After exceeds the longest wait it accepts', async () => {
    stub.failNext(429, 1, { 'Retry-After': '120' }, { path: ACTIONS_PATH });

    const error = await caught(client().containHost(DEVICE));

    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(1);
  });

  it('does not retry a 4xx', async () => {
    stub.failNext(400, 1, {}, { path: ACTIONS_PATH });

    const error = await caught(client().containHost(DEVICE));

    expect(error).toMatchObject({ status: 400, retryable: false });
    expect(stub.callsTo(ACTIONS_PATH)).toHaveLength(1);
  });

  it('turns a response of the wrong shape into an IntegrationError naming the field', async () => {
    stub.failNext(202, 1, {}, { path: ACTIONS_PATH, body: { meta: {}, resources: 'nope', errors: [] } });

    const error = await caught(client().containHost(DEVICE));

    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect(error.message).toContain('resources');
  });

  it('treats a non-empty errors array in a 202 as a failure', async () => {
    stub.failNext(
      202,
      1,
      {},
      {
        path: ACTIONS_PATH,
        body: { meta: { trace_id: 't' }, resources: [], errors: [{ code: 404, message: 'device not found' }] },
      },
    );

    const error = await caught(client().containHost(DEVICE));

    expect(error).toMatchObject({ kind: 'vendor-error', retryable: false });
    expect(error.message).toContain('device not found');
  });

  it('treats a response that does not acknowledge the device as a failure', async () => {
    stub.failNext(
      202,
      1,
      {},
      { path: ACTIONS_PATH, body: { meta: {}, resources: [{ id: OTHER_DEVICE }], errors: [] } },
    );
    const error = await caught(client().containHost(DEVICE));
    expect(error).toMatchObject({ kind: 'invalid-response' });
  });

  it('keeps the client secret, the bearer token and request headers out of errors', async () => {
    const cs = client({ retry: { retries: 0 } });
    await cs.containHost(DEVICE);
    // A vendor that echoes the secret back in its error body must not get it into our message.
    stub.failNext(
      500,
      1,
      {},
      { path: ACTIONS_PATH, body: { errors: [{ code: 500, message: `bad client ${stub.clientSecret}` }] } },
    );

    const error = await caught(cs.containHost(DEVICE));
    const rendered = `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;

    expect(error.message).toContain('[REDACTED]');
    expect(rendered).not.toContain(stub.clientSecret);
    expect(rendered).not.toMatch(/authorization|bearer [a-z0-9_-]{10,}/i);
    expect(error).not.toHaveProperty('config');
    expect(error).not.toHaveProperty('request');
    expect(error).not.toHaveProperty('cause');
  });
});
