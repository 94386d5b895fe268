/**
 * Microsoft Defender for Endpoint: the EDR conformance suite, then what is its own — Entra ID
 * tokens (fetched once, renewed before expiry, refused sign-ins as configuration errors), finding
 * the machine by inventory ID, name (short or fully qualified) or address, the isolation type,
 * and the machine actions as the record of an isolation in place or pending.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Connectors } from '../runtime';
import { describeConformance } from '../../test/connectors/conformance';
import { describeEdrConformance } from '../../test/connectors/edr-conformance';
import {
  DEFENDER_MACHINE_ACTIONS_PATH,
  DEFENDER_MACHINES_PATH,
  startDefenderEndpointStub,
  type DefenderEndpointStub,
} from './defender-endpoint.stub';

const ID = 'defender-endpoint';
const LAPTOP = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';
const SERVER = '7b1f4967d9728e5aa3c06a9e617a22a4a5a17378';
const OLD_LAPTOP = 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f';
const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };

let stub: DefenderEndpointStub;
let logs: unknown[];
let config: InterlockConfig;
let engine: PolicyEngine;
let connectors: Connectors;
let now: number;

function integration(overrides: Record<string, unknown> = {}) {
  return {
    baseUrl: stub.url,
    loginUrl: stub.url,
    tenantId: stub.tenantId,
    clientId: stub.clientId,
    clientSecret: stub.clientSecret,
    timeout: '2s',
    ...overrides,
  };
}

function connectorsWith(overrides: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
  const parsed = configSchema.parse({ ...baseConfig(), integrations: { [ID]: integration(overrides) } });
  return new Connectors(parsed.integrations, {
    [ID]: { retry: FAST_RETRY, logger: { warn: (fields) => logs.push(fields) }, now: () => now, ...options },
  });
}

function baseConfig() {
  return {
    operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: 'alice-key-0123456789abcdef' }],
    zones: [{ id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'], edr: ID }],
    assets: [
      {
        id: 'fin-lt-042',
        hostnames: ['fin-lt-042', 'fin-lt-042.corp.example.net'],
        ips: ['10.30.5.42'],
        zone: 'corp',
        kind: 'laptop',
        criticality: 'low',
      },
      {
        id: 'fs-01',
        hostnames: ['fs-01'],
        ips: ['10.30.1.10'],
        zone: 'corp',
        kind: 'server',
        criticality: 'medium',
        edr: { [ID]: SERVER },
      },
      { id: 'ghost-07', hostnames: ['ghost-07'], ips: ['10.30.9.7'], zone: 'corp', kind: 'laptop', criticality: 'low' },
    ],
  };
}

beforeAll(async () => {
  stub = await startDefenderEndpointStub({
    machines: [
      { id: LAPTOP, computerDnsName: 'fin-lt-042.corp.example.net', lastIpAddress: '10.30.5.42' },
      // The same name, onboarded before a reimage and not seen since: never the one acted on.
      {
        id: OLD_LAPTOP,
        computerDnsName: 'fin-lt-042.corp.example.net',
        lastIpAddress: '10.30.5.99',
        lastSeen: '2024-03-01T10:00:00Z',
      },
      { id: SERVER, computerDnsName: 'fs-01.corp.example.net', lastIpAddress: '10.30.1.10' },
      // A different host whose name starts the same.
      { id: 'a'.repeat(40), computerDnsName: 'fin-lt-0420.corp.example.net', lastIpAddress: '10.30.5.43' },
    ],
  });
  logs = [];
  now = Date.now();
  config = configSchema.parse({ ...baseConfig(), integrations: { [ID]: integration() } });
  engine = new PolicyEngine(config);
  connectors = connectorsWith();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  logs.length = 0;
});

describeConformance({
  connector: 'defender-endpoint',
  oauth2: true,
  async start() {
    const own = await startDefenderEndpointStub({
      machines: [{ id: LAPTOP, computerDnsName: 'fin-lt-042.corp.example.net', lastIpAddress: '10.30.5.42' }],
    });
    return {
      stub: own,
      config: {
        baseUrl: own.url,
        loginUrl: own.url,
        tenantId: own.tenantId,
        clientId: own.clientId,
        clientSecret: own.clientSecret,
      },
      secrets: [own.clientSecret],
      revokeTokens: () => own.revokeTokens(),
      tokensIssued: () => own.tokensIssued(),
    };
  },
  action: { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
  configure: (raw) => {
    const laptop = raw.assets.find((a) => a['id'] === 'fin-lt-042');
    if (laptop !== undefined) laptop['edr'] = { [ID]: LAPTOP };
  },
  changePath: `${DEFENDER_MACHINES_PATH}/${LAPTOP}/isolate`,
  validatedRead: { path: DEFENDER_MACHINE_ACTIONS_PATH, via: 'observe', malformed: { value: 'nope' } },
});

describeEdrConformance('Defender for Endpoint', () => ({
  id: ID,
  secret: stub.clientSecret,
  stub,
  connectors,
  refusedConnectors: connectorsWith({ clientSecret: 'wrong~secret~value~1234' }),
  logs,
  decide: (action) => engine.decide(action),
  host: 'fin-lt-042',
  unknownHost: 'ghost-07',
  containPath: `${DEFENDER_MACHINES_PATH}/${LAPTOP}/isolate`,
  readPath: DEFENDER_MACHINES_PATH,
  malformedRead: { value: [{ computerDnsName: 'fin-lt-042.corp.example.net' }] },
  contained: () => stub.isolated().has(LAPTOP),
}));

const contain = (target: string, params: ActionRequest['params'] = {}): ActionRequest => ({
  type: 'edr.contain_host',
  target,
  params,
});
const release = (target: string): ActionRequest => ({ type: 'edr.release_host', target, params: {} });
const isolateCalls = (machine: string) =>
  stub.callsTo(`${DEFENDER_MACHINES_PATH}/${machine}/isolate`).filter((c) => c.status === 201);

async function releaseAll() {
  stub.reset();
  for (const id of stub.isolated())
    await enforce(engine.decide(release(id === SERVER ? 'fs-01' : 'fin-lt-042')), connectors);
  stub.reset();
}

describe('Defender for Endpoint: Entra ID tokens', () => {
  beforeEach(releaseAll);

  it('signs in with client credentials for the Defender API scope, the secret not recorded', async () => {
    const fresh = connectorsWith();
    await enforce(engine.decide(contain('fin-lt-042')), fresh);
    const [token, ...more] = stub.callsTo(stub.tokenPath);
    expect(more).toHaveLength(0);
    expect(token).toMatchObject({
      method: 'POST',
      status: 200,
      body: {
        grant_type: 'client_credentials',
        client_id: stub.clientId,
        client_secret: '[REDACTED]',
        scope: 'https://api.securitycenter.microsoft.com/.default',
      },
    });
  });

  it('keeps the token, and renews it before it expires', async () => {
    const fresh = connectorsWith({}, { tokenRefreshMarginMs: 300_000 });
    await enforce(engine.decide(contain('fin-lt-042')), fresh);
    await enforce(engine.decide(release('fin-lt-042')), fresh);
    expect(stub.callsTo(stub.tokenPath)).toHaveLength(1);
    now += (3599 - 301) * 1000; // just outside the 5-minute margin
    await enforce(engine.decide(contain('fin-lt-042')), fresh);
    expect(stub.callsTo(stub.tokenPath)).toHaveLength(1);
    now += 2_000; // inside it
    await enforce(engine.decide(release('fin-lt-042')), fresh);
    expect(stub.callsTo(stub.tokenPath)).toHaveLength(2);
  });

  it('on 401 from the API renews the token once and repeats the call', async () => {
    const fresh = connectorsWith();
    await enforce(engine.decide(contain('fs-01')), fresh);
    stub.revokeTokens();
    stub.reset();
    await enforce(engine.decide(release('fs-01')), fresh);
    expect(stub.calls.slice(0, 3).map((c) => [c.path === stub.tokenPath ? 'token' : c.path, c.status])).toEqual([
      [`${DEFENDER_MACHINES_PATH}/${SERVER}`, 401],
      ['token', 200],
      [`${DEFENDER_MACHINES_PATH}/${SERVER}`, 200],
    ]);
  });

  it.each([
    ['an unknown tenant (400)', { tenantId: 'no-such-tenant.example' }, /AADSTS90002/],
    ['an unknown app (400)', { clientId: '00000000-0000-0000-0000-000000000000' }, /AADSTS700016/],
    ['a wrong secret (401)', { clientSecret: 'wrong~secret~value~1234' }, /AADSTS7000215/],
  ])('refuses %s as a configuration error naming the connector', async (_, overrides, code) => {
    const error = await enforce(engine.decide(contain('fin-lt-042')), connectorsWith(overrides)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ type: 'IntegrationMisconfigured' });
    expect((error as Error).message).toContain('integrations.defender-endpoint');
    expect((error as Error).message).toMatch(code);
    expect((error as Error).message).not.toContain('wrong~secret~value~1234');
    expect((error as Error).message).not.toMatch(/Trace ID/);
    expect(stub.isolated().size).toBe(0);
  });
});

describe('Defender for Endpoint: which machine', () => {
  beforeEach(releaseAll);

  it('the inventory machine ID first: no name lookup', async () => {
    const decision = engine.decide(contain('fs-01'));
    expect(decision.enforcementPoint).toBe(ID);
    const result = await enforce(decision, connectors);
    expect(result.details).toMatchObject({ machineId: SERVER, action: 'Isolate', isolationType: 'Full' });
    expect(stub.callsTo(DEFENDER_MACHINES_PATH).filter((c) => c.path === DEFENDER_MACHINES_PATH)).toHaveLength(0);
    expect(stub.isolated()).toEqual(new Set([SERVER]));
  });

  it.each([['fin-lt-042'], ['fin-lt-042.corp.example.net'], ['FIN-LT-042'], ['10.30.5.42']])(
    '%s: the machine seen most recently of that name, not a longer name or an older record',
    async (target) => {
      const result = await enforce(engine.decide(contain(target)), connectors);
      expect(result.details).toMatchObject({ machineId: LAPTOP, computerDnsName: 'fin-lt-042.corp.example.net' });
      expect(stub.isolated()).toEqual(new Set([LAPTOP]));
    },
  );

  it('an address not in the inventory, in a zone whose EDR is Defender: found by its last IP', async () => {
    const decision = engine.decide(contain('10.30.1.10'));
    expect(decision.target.assetId).toBe('fs-01'); // the inventory knows it: its machine ID is used
    stub.addMachine({ id: 'b'.repeat(40), computerDnsName: 'kiosk-3.corp.example.net', lastIpAddress: '10.30.7.3' });
    const unlisted = engine.decide(contain('10.30.7.3'));
    expect(unlisted.enforcementPoint).toBe(ID);
    await enforce(unlisted, connectors);
    expect(stub.isolated()).toEqual(new Set(['b'.repeat(40)]));
    expect(stub.callsTo(DEFENDER_MACHINES_PATH).find((c) => c.path === DEFENDER_MACHINES_PATH)?.query).toEqual({
      $filter: "lastIpAddress eq '10.30.7.3'",
    });
    await enforce(engine.decide(release('10.30.7.3')), connectors);
  });

  it('looks names up with the documented startswith filter on computerDnsName', async () => {
    await enforce(engine.decide(contain('fin-lt-042')), connectors);
    expect(stub.callsTo(DEFENDER_MACHINES_PATH).find((c) => c.path === DEFENDER_MACHINES_PATH)?.query).toEqual({
      $filter: "startswith(computerDnsName,'fin-lt-042')",
    });
  });

  it('an inventory machine ID Defender does not know is not found (IntegrationRejected)', async () => {
    const parsed = configSchema.parse({
      ...baseConfig(),
      assets: [{ ...baseConfig().assets[1], edr: { [ID]: 'c'.repeat(40) } }],
      integrations: { [ID]: integration() },
    });
    const error = await enforce(new PolicyEngine(parsed).decide(contain('fs-01')), connectors).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'IntegrationRejected' });
    expect((error as Error).message).toMatch(/not found at defender-endpoint.*was not found/);
  });
});

describe('Defender for Endpoint: isolation', () => {
  beforeEach(releaseAll);

  it('sends the comment and the isolation type (params.isolationType, default Full)', async () => {
    await enforce(
      engine.decide(contain('fin-lt-042', { comment: 'Ransomware alert 42', isolationType: 'selective' })),
      connectors,
    );
    expect(isolateCalls(LAPTOP).map((c) => c.body)).toEqual([
      { Comment: 'Ransomware alert 42', IsolationType: 'Selective' },
    ]);
    await enforce(engine.decide(release('fin-lt-042')), connectors);
    const unisolate = stub.callsTo(`${DEFENDER_MACHINES_PATH}/${LAPTOP}/unisolate`)[0];
    expect(unisolate?.body).toMatchObject({ Comment: expect.stringContaining('edr.release_host') as unknown });
  });

  it('refuses an isolation type Defender does not have', async () => {
    const error = await enforce(engine.decide(contain('fin-lt-042', { isolationType: 'Partial' })), connectors).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ type: 'IntegrationRejected' });
    expect((error as Error).message).toMatch(/Full or Selective/);
    expect(stub.calls).toHaveLength(0);
  });

  it('a pending isolation is an isolation in place (observe), and a second request is not sent', async () => {
    const pending = await startDefenderEndpointStub({
      initialActionStatus: 'Pending',
      machines: [{ id: LAPTOP, computerDnsName: 'fin-lt-042.corp.example.net' }],
    });
    try {
      const parsed = configSchema.parse({
        ...baseConfig(),
        integrations: {
          [ID]: {
            baseUrl: pending.url,
            loginUrl: pending.url,
            tenantId: pending.tenantId,
            clientId: pending.clientId,
            clientSecret: pending.clientSecret,
          },
        },
      });
      const own = new Connectors(parsed.integrations, { [ID]: { retry: FAST_RETRY } });
      const decision = engine.decide(contain('fin-lt-042'));
      await enforce(decision, own);
      const found = await observe(decision, own, { ledgerKey: 'k', startedAt: new Date() });
      expect(found?.details).toMatchObject({ observed: { isolated: true, pending: true } });
      const again = await enforce(decision, own);
      expect(again.details).toMatchObject({ alreadyInPlace: true });
      expect(pending.callsTo(`${DEFENDER_MACHINES_PATH}/${LAPTOP}/isolate`)).toHaveLength(1);
      // Failed and cancelled isolations changed nothing.
      for (const a of pending.actions) a.status = 'Failed';
      expect(await observe(decision, own, { ledgerKey: 'k', startedAt: new Date() })).toBeUndefined();
    } finally {
      await pending.close();
    }
  });

  it('a concurrent request already pending (400 ActiveRequestAlreadyExists): read again, in place', async () => {
    stub.failNext(
      400,
      1,
      {},
      {
        path: `${DEFENDER_MACHINES_PATH}/${LAPTOP}/isolate`,
        body: { error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress', target: 'x' } },
      },
    );
    // Another request (an analyst's) lands between our pre-change read and our isolate.
    const read = stub.holdNext({ path: DEFENDER_MACHINE_ACTIONS_PATH });
    const attempt = enforce(engine.decide(contain('fin-lt-042')), connectors);
    await read.received;
    stub.actions.push({
      id: 'other-request',
      type: 'Isolate',
      scope: 'Full',
      requestor: 'analyst@example.net',
      requestorComment: 'by hand',
      status: 'Pending',
      machineId: LAPTOP,
      computerDnsName: 'fin-lt-042.corp.example.net',
      creationDateTimeUtc: new Date(Date.now() + 1000).toISOString(),
      lastUpdateDateTimeUtc: new Date().toISOString(),
      relatedFileInfo: null,
    });
    read.release();
    const result = await attempt;
    expect(result.details).toMatchObject({ alreadyInPlace: true, observed: { isolated: true, pending: true } });
    expect(stub.callsTo(`${DEFENDER_MACHINES_PATH}/${LAPTOP}/isolate`).map((c) => c.status)).toEqual([400]);
    stub.actions.splice(
      stub.actions.findIndex((a) => a.id === 'other-request'),
      1,
    );
  });

  it('reads the machine actions of that machine, isolate and unisolate only', async () => {
    await enforce(engine.decide(contain('fs-01')), connectors);
    expect(stub.callsTo(DEFENDER_MACHINE_ACTIONS_PATH)[0]?.query).toEqual({
      $filter: `machineId eq '${SERVER}' and (type eq 'Isolate' or type eq 'Unisolate')`,
    });
  });
});
