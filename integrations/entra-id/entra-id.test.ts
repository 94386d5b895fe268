/**
 * Microsoft Entra ID connector against a stub of the Microsoft identity platform and Graph:
 * client-credentials tokens (fetched, cached, renewed), the documented Graph calls, the
 * conformance behaviours (401/403 → IntegrationMisconfigured, 404 → IntegrationRejected, 429
 * Retry-After, 5xx backoff, timeouts, malformed responses, the post-check after an interrupted
 * attempt, no secret in errors or recorded details).
 */
import { inspect } from 'node:util';
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { describeConformance } from '../../test/connectors/conformance';
import { Connectors } from '../runtime';
import { IntegrationError } from '../http';
import { EntraIdClient, type EntraIdClientOptions } from './client';
import { entraIdConfigSchema } from './config';
import { ENTRA_GRAPH_USERS_PATH, entraStubTokenPath, startEntraStub, type EntraStub } from './entra-id.stub';

const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };
const UPN = 'jdoe@plant.example.net';
let stub: EntraStub;

beforeEach(async () => {
  stub = await startEntraStub({ users: [UPN, 'asmith@plant.example.net'] });
});
afterEach(async () => {
  await stub.close();
});

function client(options: EntraIdClientOptions = {}, secret?: string): EntraIdClient {
  const config = entraIdConfigSchema.parse({
    tenantId: stub.tenantId,
    clientId: stub.clientId,
    clientSecret: secret ?? stub.clientSecret,
    loginUrl: stub.url,
    graphUrl: stub.url,
    timeout: '2s',
  });
  return new EntraIdClient(config, { retry: FAST_RETRY, ...options });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

const tokenPath = () => entraStubTokenPath(stub.tenantId);
const userPath = (account = UPN) => `${ENTRA_GRAPH_USERS_PATH}/${encodeURIComponent(account)}`;

describe('EntraIdClient: tokens', () => {
  it('fetches a client-credentials token for Graph’s .default scope, form-encoded', async () => {
    await client().disableAccount(UPN);
    const [call, ...more] = stub.callsTo(tokenPath());
    expect(more).toEqual([]);
    expect(call).toMatchObject({
      method: 'POST',
      status: 200,
      body: {
        client_id: stub.clientId,
        client_secret: '[REDACTED]',
        grant_type: 'client_credentials',
        scope: 'https://graph.microsoft.com/.default',
      },
    });
    expect(call?.headers['content-type']).toContain('application/x-www-form-urlencoded');
  });

  it('caches one token across calls, and one request serves concurrent first calls', async () => {
    const entra = client();
    await Promise.all([entra.disableAccount(UPN), entra.accountState(UPN), entra.revokeSessions(UPN)]);
    await entra.enableAccount(UPN);
    expect(stub.tokensIssued()).toBe(1);
  });

  it('renews the token before it expires', async () => {
    let now = 1_000_000;
    const entra = client({ now: () => now, tokenRefreshMarginMs: 300_000 });
    await entra.accountState(UPN);
    now += 3_599_000 - 301_000; // just outside the margin
    await entra.accountState(UPN);
    expect(stub.tokensIssued()).toBe(1);
    now += 2_000; // inside it
    await entra.accountState(UPN);
    expect(stub.tokensIssued()).toBe(2);
  });

  it('on 401 from Graph renews the token once and repeats the call', async () => {
    const entra = client();
    await entra.accountState(UPN);
    stub.revokeTokens();
    stub.reset();
    await entra.disableAccount(UPN);
    expect(stub.calls.map((c) => [c.method, c.status])).toEqual([
      ['PATCH', 401],
      ['POST', 200],
      ['PATCH', 204],
    ]);
  });

  it('reports a rejected client secret (401 invalid_client) without retrying or leaking it', async () => {
    const wrong = 'wrong-entra-secret-4242';
    const error = await caught(client({}, wrong).disableAccount(UPN));
    expect(error).toBeInstanceOf(IntegrationError);
    expect(error).toMatchObject({ integration: 'entra-id', status: 401, retryable: false });
    expect(inspect(error)).not.toContain(wrong);
    expect(stub.callsTo(ENTRA_GRAPH_USERS_PATH)).toEqual([]);
    expect(JSON.stringify(stub.calls)).not.toContain(wrong);
  });

  it('rejects a malformed token response', async () => {
    stub.failNext(200, 1, {}, { path: tokenPath(), body: { token_type: 'Bearer', expires_in: 3599 } });
    const error = await caught(client().disableAccount(UPN));
    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect((error as Error).message).toContain('access_token');
  });
});

describe('EntraIdClient: Graph calls', () => {
  it('disables and re-enables through PATCH accountEnabled, read back with $select', async () => {
    const entra = client();
    await entra.disableAccount(UPN);
    expect(stub.disabled.has(UPN)).toBe(true);
    expect(await entra.accountState(UPN)).toEqual({ account: UPN, id: stub.objectId(UPN), accountEnabled: false });
    await entra.enableAccount(UPN);
    expect(stub.disabled.has(UPN)).toBe(false);
    const patches = stub.calls.filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => [c.path, c.body, c.status])).toEqual([
      [userPath(), { accountEnabled: false }, 204],
      [userPath(), { accountEnabled: true }, 204],
    ]);
    expect(stub.calls.find((c) => c.method === 'GET')?.query).toEqual({ $select: 'id,accountEnabled' });
  });

  it('acts on an object ID as well as a userPrincipalName', async () => {
    await client().disableAccount(stub.objectId(UPN));
    expect(stub.disabled.has(UPN)).toBe(true);
  });

  it('revokes sign-in sessions with POST revokeSignInSessions', async () => {
    await client().revokeSessions(UPN);
    expect(stub.sessionsRevoked).toEqual([UPN]);
    expect(stub.callsTo(`${userPath()}/revokeSignInSessions`)).toHaveLength(1);
  });

  it('refuses an account that is not a single path segment before calling Graph', async () => {
    const error = await caught(client().disableAccount('../groups/x'));
    expect(error).toMatchObject({ kind: 'invalid-input', retryable: false });
    expect(stub.calls).toEqual([]);
  });

  it('retries 5xx with backoff, then fails as retryable', async () => {
    stub.failNext(503, 2, {}, { path: ENTRA_GRAPH_USERS_PATH });
    await client().disableAccount(UPN);
    expect(stub.callsTo(ENTRA_GRAPH_USERS_PATH).map((c) => c.status)).toEqual([503, 503, 204]);

    stub.failNext(500, 10, {}, { path: ENTRA_GRAPH_USERS_PATH });
    const error = await caught(client().disableAccount(UPN));
    expect(error).toMatchObject({ status: 500, retryable: true });
  });

  it('waits as long as Retry-After asks on 429', async () => {
    stub.failNext(429, 1, { 'retry-after': '1' }, { path: ENTRA_GRAPH_USERS_PATH });
    const started = Date.now();
    await client().revokeSessions(UPN);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stub.sessionsRevoked).toEqual([UPN]);
  });

  it('times out a call that does not answer', async () => {
    stub.delayNext(3_000, { path: ENTRA_GRAPH_USERS_PATH });
    const error = await caught(client({ retry: { retries: 0 } }).accountState(UPN));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('rejects a malformed user read', async () => {
    stub.failNext(200, 1, {}, { path: ENTRA_GRAPH_USERS_PATH, body: { id: 'x', accountEnabled: 'no' } });
    const error = await caught(client().accountState(UPN));
    expect(error).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect((error as Error).message).toContain('accountEnabled');
  });
});

describe('entra-id connector: enforce and observe', () => {
  let engine: PolicyEngine;
  let connectors: Connectors;
  const build = (secret?: string) => {
    const config = configSchema.parse({
      operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: 'alice-key-0123456789abcdef' }],
      zones: [{ id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] }],
      integrations: {
        'entra-id': {
          tenantId: stub.tenantId,
          clientId: stub.clientId,
          clientSecret: secret ?? stub.clientSecret,
          loginUrl: stub.url,
          graphUrl: stub.url,
        },
      },
    });
    engine = new PolicyEngine(config);
    connectors = new Connectors(config.integrations, { 'entra-id': { retry: FAST_RETRY } });
  };
  const action = (type: ActionRequest['type'], target = UPN): ActionRequest => ({
    type,
    target,
    params: { host: 'fin-lt-042' },
  });

  it('names entra-id as the enforcement point and disables with a pre-change read', async () => {
    build();
    const decision = engine.decide(action('identity.disable_account'));
    expect(decision.enforcementPoint).toBe('entra-id');
    const result = await enforce(decision, connectors, { ledgerKey: 'k1' });
    expect(result.details).toMatchObject({ account: UPN, action: 'disable', preChange: { accountEnabled: true } });
    expect(stub.disabled.has(UPN)).toBe(true);
  });

  it('post-check: a disable already in place is found, not made again; the enable likewise', async () => {
    build();
    const disable = engine.decide(action('identity.disable_account'));
    const call = { ledgerKey: 'k2', startedAt: new Date() };
    expect(await observe(disable, connectors, call)).toBeUndefined();
    await enforce(disable, connectors, call);
    const found = await observe(disable, connectors, call);
    expect(found?.details).toMatchObject({ recovered: true, observed: { accountEnabled: false } });

    const enable = engine.decide(action('identity.enable_account'));
    expect(await observe(enable, connectors, call)).toBeUndefined();
    await enforce(enable, connectors, call);
    expect(await observe(enable, connectors, call)).toBeDefined();
  });

  it('session revocation has no post-check (undefined): repeating it is harmless', async () => {
    build();
    const decision = engine.decide(action('identity.revoke_sessions'));
    const call = { ledgerKey: 'k3', startedAt: new Date() };
    await enforce(decision, connectors, call);
    expect(await observe(decision, connectors, call)).toBeUndefined();
    await enforce(decision, connectors, call);
    expect(stub.sessionsRevoked).toEqual([UPN, UPN]);
  });

  it('401/403 fail as IntegrationMisconfigured naming entra-id; the secret appears nowhere', async () => {
    const wrong = 'entra-wrong-secret-9876';
    build(wrong);
    const error = await caught(enforce(engine.decide(action('identity.disable_account')), connectors));
    expect(error).toMatchObject({ type: 'IntegrationMisconfigured', nonRetryable: true });
    expect((error as Error).message).toContain('entra-id');
    expect(inspect(error)).not.toContain(wrong);

    build();
    stub.failNext(403, 1, {}, { path: ENTRA_GRAPH_USERS_PATH });
    const forbidden = await caught(enforce(engine.decide(action('identity.revoke_sessions')), connectors));
    expect(forbidden).toMatchObject({ type: 'IntegrationMisconfigured' });
    expect(inspect(forbidden)).not.toContain(stub.clientSecret);
  });

  it('an unknown user (404) fails as IntegrationRejected', async () => {
    build();
    const error = await caught(
      enforce(engine.decide(action('identity.disable_account', 'nobody@plant.example.net')), connectors),
    );
    expect(error).toMatchObject({ type: 'IntegrationRejected', nonRetryable: true });
    expect((error as Error).message).toContain('Request_ResourceNotFound');
  });

  it('never records the client secret in a result', async () => {
    build();
    const result = await enforce(engine.decide(action('identity.revoke_sessions')), connectors);
    expect(JSON.stringify(result)).not.toContain(stub.clientSecret);
  });
});

describeConformance({
  connector: 'entra-id',
  oauth2: true,
  async start() {
    const clientSecret = 'entra-conformance-secret-0123456789';
    const stub = await startEntraStub({ clientSecret, users: [UPN] });
    return {
      stub,
      config: {
        tenantId: stub.tenantId,
        clientId: stub.clientId,
        clientSecret,
        loginUrl: stub.url,
        graphUrl: stub.url,
      },
      secrets: [clientSecret],
      revokeTokens: () => stub.revokeTokens(),
      tokensIssued: () => stub.tokensIssued(),
    };
  },
  action: { type: 'identity.disable_account', target: UPN, params: { host: 'fin-lt-042' } },
  // The user's path: PATCH makes the change, GET is its pre-change read and post-check.
  changePath: `${ENTRA_GRAPH_USERS_PATH}/${encodeURIComponent(UPN)}`,
  validatedRead: {
    path: `${ENTRA_GRAPH_USERS_PATH}/${encodeURIComponent(UPN)}`,
    via: 'observe',
    malformed: { id: 'x', accountEnabled: 'no' },
  },
});
