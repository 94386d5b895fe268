/**
 * S1 (the shipped playbook s1-ransomware-office-laptop, unchanged) against the real stack with
 * Microsoft Defender for Endpoint and SentinelOne as the EDR instead of CrowdStrike: one laptop
 * is SentinelOne's by its agent ID in the inventory, another is Defender's as its zone's default
 * EDR (found by host name). Each alert isolates its host at that vendor's stub, automatically
 * under rule 2, with the connector as the enforcement point in the audit trail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/types';
import {
  DEFENDER_MACHINES_PATH,
  startDefenderEndpointStub,
  type DefenderEndpointStub,
} from '../../integrations/defender-endpoint/defender-endpoint.stub';
import {
  SENTINELONE_DISCONNECT_PATH,
  startSentinelOneStub,
  type SentinelOneStub,
} from '../../integrations/sentinelone/sentinelone.stub';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH } from '../stubs';
import { OKTA_USERS_PATH, startOktaStub, type OktaStub } from '../../integrations/okta/okta.stub';
import { auditOf } from '../support/e2e';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

const AUDIT_TIMEOUT_MS = 30_000;
const OKTA_TOKEN = 'okta-test-api-token';
const S1_AGENT = '1873004533482129416';
const MDE_MACHINE = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';
const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

let stack: Stack;
let defender: DefenderEndpointStub;
let sentinelone: SentinelOneStub;
let okta: OktaStub;

beforeAll(async () => {
  [defender, sentinelone, okta] = await Promise.all([
    startDefenderEndpointStub({
      machines: [{ id: MDE_MACHINE, computerDnsName: 'fin-lt-077.corp.example.net', lastIpAddress: '10.30.5.77' }],
    }),
    startSentinelOneStub({
      agents: [{ id: S1_AGENT, computerName: 'FIN-LT-042', networkStatus: 'connected', ips: ['10.30.5.42'] }],
    }),
    startOktaStub({ apiToken: OKTA_TOKEN }),
  ]);
  stack = await startStack({
    configure: (config) => {
      const c = config as Record<string, unknown> & {
        zones: { id: string; edr?: string }[];
        assets: { id: string; edr?: Record<string, string> }[];
        integrations: Record<string, unknown>;
      };
      // No CrowdStrike: the two other EDRs, and Okta for the playbook's second step.
      delete c.integrations['crowdstrike'];
      c.integrations['defender-endpoint'] = {
        baseUrl: defender.url,
        loginUrl: defender.url,
        tenantId: defender.tenantId,
        clientId: defender.clientId,
        clientSecret: defender.clientSecret,
        timeout: '5s',
      };
      c.integrations['sentinelone'] = { baseUrl: sentinelone.url, apiToken: sentinelone.apiToken, timeout: '5s' };
      c.integrations['okta'] = { baseUrl: okta.url, apiToken: OKTA_TOKEN, timeout: '5s' };
      const corp = c.zones.find((z) => z.id === 'corp');
      if (corp !== undefined) corp.edr = 'defender-endpoint';
      const laptop = c.assets.find((a) => a.id === 'fin-lt-042');
      if (laptop !== undefined) laptop.edr = { sentinelone: S1_AGENT };
      c.assets.push({
        id: 'fin-lt-077',
        hostnames: ['fin-lt-077', 'fin-lt-077.corp.example.net'],
        ips: ['10.30.5.77'],
        zone: 'corp',
        kind: 'laptop',
        criticality: 'low',
      } as (typeof c.assets)[number]);
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([defender?.close(), sentinelone?.close(), okta?.close()]);
});

/** The S1 Splunk alert about another host (its own search ID: its own incident). */
function alertAbout(host: string): string {
  const alert = JSON.parse(SPLUNK_SAMPLE) as { result: Record<string, string>; sid: string };
  alert.result['dest_host'] = host;
  alert.sid = `${alert.sid}-${host}`;
  return JSON.stringify(alert);
}

async function runS1(body: string): Promise<AuditRecord[]> {
  const response = await stack.webhook('splunk', body);
  expect(response.status).toBe(202);
  const { incidentId } = (await response.json()) as { incidentId: string };
  return auditOf(
    stack,
    incidentId,
    (records) => records.some((r) => r.eventType === 'playbook.completed'),
    AUDIT_TIMEOUT_MS,
  );
}

function containment(records: AuditRecord[]) {
  const decided = records.find((r) => r.eventType === 'policy.decided' && r.stepId === 'contain-host');
  const executed = records.find((r) => r.eventType === 'action.executed' && r.action?.type === 'edr.contain_host');
  return { decided, executed };
}

describe('S1 with SentinelOne: the asset has a SentinelOne agent ID', () => {
  it('disconnects the laptop from the network at SentinelOne, automatically under rule 2', async () => {
    const records = await runS1(SPLUNK_SAMPLE);
    const { decided, executed } = containment(records);
    expect(decided?.decision).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it' });
    expect(executed?.decision?.rule).toBe('rule-2-auto-it');
    expect(executed?.action?.enforcementPoint).toBe('sentinelone');
    // The audit keeps the pre-change read (rule 10) and the connector's summary.
    expect(executed?.details).toMatchObject({ preChange: { agentId: S1_AGENT, networkStatus: 'connected' } });
    expect(executed?.result).toMatchObject({
      status: 'succeeded',
      detail: 'sentinelone disconnect requested for fin-lt-042',
    });
    expect(sentinelone.callsTo(SENTINELONE_DISCONNECT_PATH).map((c) => c.body)).toEqual([
      { filter: { ids: [S1_AGENT] } },
    ]);
    expect(sentinelone.disconnected()).toEqual(new Set([S1_AGENT]));
    expect(stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH)).toHaveLength(0);
    expect(okta.suspended.has('jdoe')).toBe(true);
    expect(okta.callsTo(`${OKTA_USERS_PATH}/jdoe/lifecycle/suspend`).length).toBeGreaterThan(0);
    expect(records.some((r) => r.eventType.startsWith('approval.'))).toBe(false);
    expect(JSON.stringify(records)).not.toContain(sentinelone.apiToken);
  });
});

describe('S1 with Defender for Endpoint: the zone default EDR, found by host name', () => {
  it('isolates the laptop at Defender, automatically under rule 2', async () => {
    const records = await runS1(alertAbout('fin-lt-077'));
    const { decided, executed } = containment(records);
    expect(decided?.decision).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it' });
    expect(executed?.decision?.rule).toBe('rule-2-auto-it');
    expect(executed?.action?.enforcementPoint).toBe('defender-endpoint');
    expect(executed?.details).toMatchObject({ preChange: { machineId: MDE_MACHINE, isolated: false } });
    expect(executed?.result?.detail).toMatch(/^defender-endpoint isolate requested for fin-lt-077 \(machine action /);
    const isolate = defender.callsTo(`${DEFENDER_MACHINES_PATH}/${MDE_MACHINE}/isolate`);
    expect(isolate).toHaveLength(1);
    // The playbook's comment names the incident and the alert.
    expect(isolate[0]?.body).toEqual({
      Comment: expect.stringMatching(/^Interlock incident .*: ransomware alert /) as unknown,
      IsolationType: 'Full',
    });
    expect(defender.isolated()).toEqual(new Set([MDE_MACHINE]));
    expect(sentinelone.callsTo(SENTINELONE_DISCONNECT_PATH)).toHaveLength(1); // only the first laptop's
    expect(records.some((r) => r.eventType.startsWith('approval.'))).toBe(false);
    expect(JSON.stringify(records)).not.toContain(defender.clientSecret);
  });
});
