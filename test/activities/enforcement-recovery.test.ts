/**
 * The pre-change read after an interrupted attempt (enforcement.ts `observe`): for each vendor,
 * the change is "not in place" before the call and "in place" after it, found by reading the
 * vendor's state — so a retry does not make it twice. Real policy engine, vendor stubs.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, ledgerLabel, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Connectors, FortiGateConnection } from '../../integrations';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  FORTIGATE_ADD_USERS_PATH,
  FORTIGATE_CLEAR_USERS_PATH,
  startCrowdStrikeStub,
  startFortiGateStub,
  type CrowdStrikeStub,
  type FortiGateStub,
} from '../stubs';
import { JIRA_ISSUE_PATH, startJiraStub, type JiraStub } from '../../integrations/jira/jira.stub';
import { OKTA_USERS_PATH, startOktaStub, type OktaStub } from '../../integrations/okta/okta.stub';

const AGENT = '4c1f8e2a9b7d4e6f8a0b1c2d3e4f5a6b';
let crowdstrike: CrowdStrikeStub;
let fortigate: FortiGateStub;
let jira: JiraStub;
let okta: OktaStub;
let engine: PolicyEngine;
let clients: Connectors;

beforeAll(async () => {
  [crowdstrike, fortigate, jira, okta] = await Promise.all([
    startCrowdStrikeStub(),
    startFortiGateStub(),
    startJiraStub(),
    startOktaStub(),
  ]);
  const config = configSchema.parse({
    operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: 'alice-key-0123456789abcdef' }],
    zones: [{ id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] }],
    assets: [
      {
        id: 'fin-lt-042',
        hostnames: ['fin-lt-042'],
        ips: ['10.30.5.42'],
        zone: 'corp',
        kind: 'workstation',
        criticality: 'low',
        edr: { crowdstrike: AGENT },
      },
    ],
    integrations: {
      crowdstrike: {
        baseUrl: crowdstrike.url,
        clientId: crowdstrike.clientId,
        clientSecret: crowdstrike.clientSecret,
      },
      fortigate: { baseUrl: fortigate.url, apiKey: fortigate.apiKey },
      jira: {
        baseUrl: jira.url,
        email: 'interlock@example.net',
        apiToken: 'jira-test-api-token',
        projectKey: 'SEC',
      },
      okta: { baseUrl: okta.url, apiToken: 'okta-test-api-token' },
    },
  });
  engine = new PolicyEngine(config);
  clients = new Connectors(config.integrations);
});
afterAll(async () => {
  await Promise.all([crowdstrike.close(), fortigate.close(), jira.close(), okta.close()]);
});

/** Writes the vendor received for one action (its own reads not counted). */
const CASES: [string, ActionRequest, () => number][] = [
  [
    'CrowdStrike containment',
    { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
    () => crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length,
  ],
  [
    'CrowdStrike release',
    { type: 'edr.release_host', target: 'fin-lt-042', params: {} },
    () => crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).length,
  ],
  [
    'FortiGate quarantine',
    { type: 'firewall.quarantine_ip', target: '10.30.7.7', params: {} },
    () => fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).length,
  ],
  [
    'FortiGate release',
    { type: 'firewall.release_ip', target: '10.30.7.7', params: {} },
    () => fortigate.callsTo(FORTIGATE_CLEAR_USERS_PATH).length,
  ],
  [
    'Okta suspend',
    { type: 'identity.disable_account', target: 'jdoe', params: { host: 'fin-lt-042' } },
    () => okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith(OKTA_USERS_PATH)).length,
  ],
  [
    'Jira task',
    { type: 'task.create', target: 'fin-lt-042', params: { summary: 'Check fin-lt-042' } },
    () => jira.calls.filter((c) => c.method === 'POST' && c.path === JIRA_ISSUE_PATH).length,
  ],
];

describe('observe: is the change already in place?', () => {
  it.each(CASES)('%s: not before the call, found after it, and the call is not repeated', async (_, action, writes) => {
    const decision = engine.decide(action);
    const ledgerKey = `wf:run:${action.type}`;
    const startedAt = new Date();
    const call = { ledgerKey, startedAt };
    expect(await observe(decision, clients, call)).toBeUndefined();

    const before = writes();
    await enforce(decision, clients, { ledgerKey });
    expect(writes()).toBe(before + 1);

    const found = await observe(decision, clients, call);
    expect(found?.summary).toMatch(/found in place after an interrupted attempt, not (requested|created) again/);
    expect(found?.details).toMatchObject({ recovered: true });
    expect(writes()).toBe(before + 1);
  });

  it('a Jira task is found by the label of its ledger key, not by any other', async () => {
    const decision = engine.decide({ type: 'task.create', target: 'fin-lt-042', params: { summary: 'Other' } });
    await enforce(decision, clients, { ledgerKey: 'wf:run:one' });
    expect([...jira.issues.values()].at(-1)?.labels).toContain(ledgerLabel('wf:run:one'));
    const call = { ledgerKey: 'wf:run:two', startedAt: new Date() };
    expect(await observe(decision, clients, call)).toBeUndefined();
  });

  it('an older, shorter ban is not the quarantine an interrupted attempt was making', async () => {
    // A fifteen-minute ban, and an intent recorded ten minutes later: five minutes were left,
    // not the hour this action bans for.
    await (clients.get('fortigate')?.client as FortiGateConnection).forVdom().quarantineIp('10.30.8.8', 900);
    const decision = engine.decide({ type: 'firewall.quarantine_ip', target: '10.30.8.8', params: {} });
    const startedAt = new Date(Date.now() + 600_000);
    expect(await observe(decision, clients, { ledgerKey: 'k', startedAt })).toBeUndefined();
    // A ban as long as this action's, made after the intent: in place.
    await (clients.get('fortigate')?.client as FortiGateConnection).forVdom().quarantineIp('10.30.8.8');
    expect(await observe(decision, clients, { ledgerKey: 'k', startedAt: new Date() })).toMatchObject({
      details: { observed: { banned: true } },
    });
  });
});
