/**
 * Okta session revocation (`DELETE /api/v1/users/{id}/sessions`), beside suspension: the login
 * is read to its user ID first, OAuth tokens are revoked too unless configured otherwise, there
 * is no post-check (repeating is harmless), and which identity connector acts when Okta and
 * Entra ID are both configured.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { OKTA_USERS_PATH, oktaUserId, startOktaStub, type OktaStub } from './okta.stub';
import { Connectors } from '../runtime';
import { OktaClient } from './client';

const TOKEN = 'okta-test-api-token';
let stub: OktaStub;
beforeEach(async () => {
  stub = await startOktaStub({ apiToken: TOKEN, users: ['jdoe'] });
});
afterEach(async () => {
  await stub.close();
});

const client = (revokeOAuthTokens?: boolean) =>
  new OktaClient(
    {
      baseUrl: stub.url,
      timeout: 2_000,
      apiToken: TOKEN,
      ...(revokeOAuthTokens === undefined ? {} : { revokeOAuthTokens }),
    },
    { retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 100 } },
  );

function engineWith(integrations: Record<string, unknown>) {
  const config = configSchema.parse({
    operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: 'alice-key-0123456789abcdef' }],
    zones: [{ id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] }],
    integrations,
  });
  return { engine: new PolicyEngine(config), connectors: new Connectors(config.integrations) };
}

const revoke = (params: Record<string, unknown> = {}): ActionRequest => ({
  type: 'identity.revoke_sessions',
  target: 'jdoe',
  params: { host: 'fin-lt-042', ...params },
});

describe('Okta: revoke sessions', () => {
  it('reads the login to its user ID, then clears its sessions and OAuth tokens', async () => {
    const result = await client().revokeSessions('jdoe');
    expect(result).toEqual({ account: 'jdoe', action: 'revoke_sessions', userId: oktaUserId('jdoe') });
    expect(stub.calls.map((c) => [c.method, c.path, c.query, c.status])).toEqual([
      ['GET', `${OKTA_USERS_PATH}/jdoe`, {}, 200],
      ['DELETE', `${OKTA_USERS_PATH}/${oktaUserId('jdoe')}/sessions`, { oauthTokens: 'true' }, 204],
    ]);
    expect(stub.sessionsRevoked).toEqual([{ login: 'jdoe', oauthTokens: true }]);
  });

  it('keeps OAuth tokens when configured so', async () => {
    await client(false).revokeSessions('jdoe');
    expect(stub.sessionsRevoked).toEqual([{ login: 'jdoe', oauthTokens: false }]);
  });

  it('through the connector: no post-check, a repeat is harmless; an unknown user is rejected', async () => {
    const { engine, connectors } = engineWith({ okta: { baseUrl: stub.url, apiToken: TOKEN } });
    const decision = engine.decide(revoke());
    expect(decision.enforcementPoint).toBe('okta');
    const call = { ledgerKey: 'k', startedAt: new Date() };
    await enforce(decision, connectors, call);
    expect(await observe(decision, connectors, call)).toBeUndefined();
    await enforce(decision, connectors, call);
    expect(stub.sessionsRevoked).toHaveLength(2);

    const unknown = engine.decide({ ...revoke(), target: 'nobody' });
    await expect(enforce(unknown, connectors)).rejects.toMatchObject({ type: 'IntegrationRejected' });
  });

  it('a refused token fails as IntegrationMisconfigured naming okta', async () => {
    const { engine, connectors } = engineWith({ okta: { baseUrl: stub.url, apiToken: 'wrong-okta-token-1234' } });
    const error: unknown = await enforce(engine.decide(revoke()), connectors).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'IntegrationMisconfigured' });
    expect(String(error)).toContain('okta');
    expect(String(error)).not.toContain('wrong-okta-token-1234');
  });

  it('with Okta and Entra ID both configured, Okta (first in registry order) acts unless the step names one', () => {
    const { engine } = engineWith({
      okta: { baseUrl: stub.url, apiToken: TOKEN },
      'entra-id': { tenantId: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's' },
    });
    expect(engine.decide(revoke()).enforcementPoint).toBe('okta');
    expect(engine.decide(revoke({ connector: 'entra-id' })).enforcementPoint).toBe('entra-id');
  });
});
