/**
 * SentinelOne: the EDR conformance suite, then what is its own — the API token header, finding
 * the agent by inventory ID, computer name (short or fully qualified) or local IP, and the
 * agent's networkStatus as the record of a disconnection in place or under way.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Connectors } from '../runtime';
import { describeConformance } from '../../test/connectors/conformance';
import { describeEdrConformance } from '../../test/connectors/edr-conformance';
import {
  SENTINELONE_AGENTS_PATH,
  SENTINELONE_CONNECT_PATH,
  SENTINELONE_DISCONNECT_PATH,
  startSentinelOneStub,
  type SentinelOneStub,
} from './sentinelone.stub';

const ID = 'sentinelone';
const LAPTOP = '1873004533482129416';
const SERVER = '1873004533482129999';
const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };

let stub: SentinelOneStub;
let logs: unknown[];
let engine: PolicyEngine;
let connectors: Connectors;

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

function connectorsWith(apiToken: string, baseUrl = stub.url) {
  const parsed = configSchema.parse({
    ...baseConfig(),
    integrations: { [ID]: { baseUrl, apiToken, timeout: '2s' } },
  });
  return new Connectors(parsed.integrations, {
    [ID]: { retry: FAST_RETRY, logger: { warn: (fields) => logs.push(fields) } },
  });
}

beforeAll(async () => {
  stub = await startSentinelOneStub({
    agents: [
      { id: LAPTOP, computerName: 'FIN-LT-042', networkStatus: 'connected', ips: ['10.30.5.42'] },
      // The host's record before a reinstall, decommissioned: never the one acted on.
      {
        id: '1873004533482120001',
        computerName: 'FIN-LT-042',
        networkStatus: 'connected',
        ips: ['10.30.5.42'],
        lastActiveDate: '2026-01-01T00:00:00Z',
        isDecommissioned: true,
      },
      { id: SERVER, computerName: 'fs-01', networkStatus: 'connected', ips: ['10.30.1.10'] },
      // Names and addresses that merely contain the ones looked up.
      { id: '1873004533482120420', computerName: 'FIN-LT-0420', networkStatus: 'connected', ips: ['10.30.5.4'] },
    ],
  });
  logs = [];
  const parsed = configSchema.parse({
    ...baseConfig(),
    integrations: { [ID]: { baseUrl: stub.url, apiToken: stub.apiToken } },
  });
  engine = new PolicyEngine(parsed);
  connectors = connectorsWith(stub.apiToken);
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  logs.length = 0;
});

describeConformance({
  connector: 'sentinelone',
  async start() {
    const own = await startSentinelOneStub({
      agents: [{ id: LAPTOP, computerName: 'FIN-LT-042', networkStatus: 'connected', ips: ['10.30.5.42'] }],
    });
    return { stub: own, config: { baseUrl: own.url, apiToken: own.apiToken }, secrets: [own.apiToken] };
  },
  action: { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
  configure: (raw) => {
    const laptop = raw.assets.find((a) => a['id'] === 'fin-lt-042');
    if (laptop !== undefined) laptop['edr'] = { [ID]: LAPTOP };
  },
  changePath: SENTINELONE_DISCONNECT_PATH,
  validatedRead: { path: SENTINELONE_AGENTS_PATH, via: 'observe', malformed: { data: 'nope' } },
});

describeEdrConformance('SentinelOne', () => ({
  id: ID,
  secret: stub.apiToken,
  stub,
  connectors,
  refusedConnectors: connectorsWith('eyJraWQiOiJ3cm9uZyJ9.wrong-token.c2VjcmV0'),
  logs,
  decide: (action) => engine.decide(action),
  host: 'fin-lt-042',
  unknownHost: 'ghost-07',
  containPath: SENTINELONE_DISCONNECT_PATH,
  readPath: SENTINELONE_AGENTS_PATH,
  malformedRead: { data: [{ id: LAPTOP, computerName: 'FIN-LT-042' }] },
  contained: () => stub.disconnected().has(LAPTOP),
}));

const agentReads = () => stub.calls.filter((c) => c.path === SENTINELONE_AGENTS_PATH);
const contain = (target: string): ActionRequest => ({ type: 'edr.contain_host', target, params: {} });
const release = (target: string): ActionRequest => ({ type: 'edr.release_host', target, params: {} });

describe('SentinelOne: agents and network quarantine', () => {
  beforeEach(() => {
    stub.reset();
    for (const agent of stub.agents.values()) agent.networkStatus = 'connected';
  });

  it('authenticates with the ApiToken scheme and disconnects by agent ID filter', async () => {
    const result = await enforce(engine.decide(contain('fin-lt-042')), connectors);
    expect(result.details).toMatchObject({ agentId: LAPTOP, action: 'disconnect', affected: 1 });
    expect(stub.callsTo(SENTINELONE_DISCONNECT_PATH).map((c) => c.body)).toEqual([{ filter: { ids: [LAPTOP] } }]);
    expect(stub.disconnected()).toEqual(new Set([LAPTOP]));
    // The recorded calls carry no credential; the stub accepted the ApiToken header.
    expect(stub.calls.every((c) => c.status === 200 && c.headers['authorization'] === undefined)).toBe(true);

    await enforce(engine.decide(release('fin-lt-042')), connectors);
    expect(stub.callsTo(SENTINELONE_CONNECT_PATH).map((c) => c.body)).toEqual([{ filter: { ids: [LAPTOP] } }]);
    expect(stub.disconnected().size).toBe(0);
  });

  it('the inventory agent ID first: looked up by ids, no name search', async () => {
    await enforce(engine.decide(contain('fs-01')), connectors);
    expect(agentReads().map((c) => c.query)).toEqual([{ ids: SERVER }]);
    expect(stub.disconnected()).toEqual(new Set([SERVER]));
  });

  it.each([['fin-lt-042'], ['fin-lt-042.corp.example.net'], ['10.30.5.42']])(
    '%s: the live agent of that name, not a longer name, a decommissioned record or a similar address',
    async (target) => {
      const result = await enforce(engine.decide(contain(target)), connectors);
      expect(result.details).toMatchObject({ agentId: LAPTOP });
      expect(stub.disconnected()).toEqual(new Set([LAPTOP]));
    },
  );

  it('an address not in the inventory, in a zone whose EDR is SentinelOne: found by its local IP', async () => {
    stub.addAgent({
      id: '1873004533482127003',
      computerName: 'KIOSK-3',
      networkStatus: 'connected',
      ips: ['10.30.7.3'],
    });
    // SentinelOne matches addresses as substrings: 10.30.7.3 also finds 10.30.7.30.
    stub.addAgent({
      id: '1873004533482127030',
      computerName: 'KIOSK-30',
      networkStatus: 'connected',
      ips: ['10.30.7.30'],
    });
    const decision = engine.decide(contain('10.30.7.3'));
    expect(decision.enforcementPoint).toBe(ID);
    await enforce(decision, connectors);
    expect(agentReads().map((c) => c.query)).toEqual([{ networkInterfaceInet__contains: '10.30.7.3' }]);
    expect(stub.disconnected()).toEqual(new Set(['1873004533482127003']));
  });

  it('looks names up by the short computer name', async () => {
    await enforce(engine.decide(contain('fin-lt-042.corp.example.net')), connectors);
    expect(agentReads()[0]?.query).toEqual({ computerName__contains: 'fin-lt-042' });
  });

  it('disconnecting counts as in place (observe) and is not requested again; connecting likewise', async () => {
    const transitional = await startSentinelOneStub({
      apiToken: stub.apiToken,
      transitional: true,
      agents: [{ id: LAPTOP, computerName: 'FIN-LT-042', networkStatus: 'connected', ips: ['10.30.5.42'] }],
    });
    const own = connectorsWith(stub.apiToken, transitional.url);
    const decision = engine.decide(contain('fin-lt-042'));
    await enforce(decision, own);
    expect(transitional.agents.get(LAPTOP)?.networkStatus).toBe('disconnecting');
    const found = await observe(decision, own, { ledgerKey: 'k', startedAt: new Date() });
    expect(found?.details).toMatchObject({ observed: { networkStatus: 'disconnecting' } });
    expect((await enforce(decision, own)).details).toMatchObject({ alreadyInPlace: true });
    expect(transitional.callsTo(SENTINELONE_DISCONNECT_PATH)).toHaveLength(1);

    transitional.settle();
    const undo = engine.decide(release('fin-lt-042'));
    await enforce(undo, own);
    expect(transitional.agents.get(LAPTOP)?.networkStatus).toBe('connecting');
    expect(await observe(undo, own, { ledgerKey: 'k', startedAt: new Date() })).toBeDefined();
    await transitional.close();
  });

  it('an action that affects no agent is re-read: a refusal unless the agent is already in that state', async () => {
    stub.failNext(200, 1, {}, { path: SENTINELONE_DISCONNECT_PATH, body: { data: { affected: 0 } } });
    const error = await enforce(engine.decide(contain('fs-01')), connectors).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'IntegrationRejected' });
    expect((error as Error).message).toMatch(/affected no agent \(status connected\)/);
  });
});
