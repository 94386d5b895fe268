/**
 * Every catalog action in words for people, with the technical form beside it (issue 17).
 * A catalog action without its own words fails here.
 */
import { ACTION_TYPES, type ActionType } from '../../src/actions/catalog';
import { configSchema } from '../../src/config/schema';
import {
  DESCRIBED_ACTIONS,
  describeAction,
  describeActionLine,
  type DescribableAction,
} from '../../src/policy/describe-action';
import { PolicyEngine } from '../../src/policy/policy-engine';

const rtu = { ref: 'rtu-3', assetId: 'rtu-3', zone: 'substation', kind: 'rtu', purdueLevel: 1, known: true };
const laptop = {
  ref: '10.30.5.42',
  assetId: 'fin-lt-042',
  ips: ['10.30.5.42'],
  zone: 'corp',
  kind: 'laptop',
  known: true,
};
const unknownIp = { ref: '10.10.8.23', ips: ['10.10.8.23'], known: false };

/** One representative call per action type: what it is asked to do, and words the description must contain. */
const CASES: Record<ActionType, { input: DescribableAction; says: string[] }> = {
  'edr.contain_host': {
    input: {
      action: { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
      target: laptop,
      enforcementPoint: 'crowdstrike',
    },
    says: ['cut fin-lt-042 (laptop, zone corp) off the network', 'CrowdStrike Falcon'],
  },
  'edr.release_host': {
    input: {
      action: { type: 'edr.release_host', target: 'fin-lt-042', params: {} },
      target: laptop,
      enforcementPoint: 'sentinelone',
    },
    says: ['reconnect fin-lt-042', 'SentinelOne Singularity'],
  },
  'firewall.quarantine_ip': {
    input: {
      action: { type: 'firewall.quarantine_ip', target: '10.10.8.23', params: {} },
      target: unknownIp,
      enforcementPoint: 'fortigate:root',
      timeBox: { expiresAfterMs: 3_600_000 },
    },
    says: ['block 10.10.8.23 at the Fortinet FortiGate (root) for 1 h'],
  },
  'firewall.release_ip': {
    input: {
      action: { type: 'firewall.release_ip', target: '10.10.8.23', params: {} },
      target: unknownIp,
      enforcementPoint: 'panos:vsys1',
    },
    says: ['unblock 10.10.8.23 at the Palo Alto Networks PAN-OS'],
  },
  'firewall.extend_quarantine': {
    input: {
      action: { type: 'firewall.extend_quarantine', target: '10.10.8.23', params: { expirySeconds: 7200 } },
      target: unknownIp,
      enforcementPoint: 'fortigate:root',
    },
    says: ['keep 10.10.8.23 blocked at the Fortinet FortiGate for 2 h more'],
  },
  'contain.source': {
    input: {
      action: { type: 'contain.source', target: '10.10.8.23', params: { toward: 'rtu-3' } },
      target: unknownIp,
      enforcementPoint: 'fortigate:root@fw-dmz',
    },
    says: ['block 10.10.8.23 at the Fortinet FortiGate fw-dmz that protects rtu-3'],
  },
  'release.source': {
    input: {
      action: { type: 'release.source', target: '10.10.8.23', params: { toward: 'rtu-3' } },
      target: unknownIp,
      enforcementPoint: 'fortigate:root@fw-dmz',
    },
    says: ['unblock 10.10.8.23 at the Fortinet FortiGate fw-dmz that protects rtu-3'],
  },
  'remote.end_sessions': {
    input: {
      action: { type: 'remote.end_sessions', target: '10.10.8.23', params: { toward: 'rtu-3' } },
      target: unknownIp,
      enforcementPoint: 'fortigate:root@fw-dmz',
    },
    says: ['end the open sessions from 10.10.8.23', 'that protects rtu-3'],
  },
  'identity.disable_account': {
    input: {
      action: { type: 'identity.disable_account', target: 'jdoe@example.com', params: { host: 'eng-ws-03' } },
      enforcementPoint: 'okta',
    },
    says: ['disable the account jdoe@example.com, seen on eng-ws-03 at Okta'],
  },
  'identity.enable_account': {
    input: {
      action: { type: 'identity.enable_account', target: 'jdoe@example.com', params: {} },
      enforcementPoint: 'entra-id',
    },
    says: ['re-enable the account jdoe@example.com at Microsoft Entra ID'],
  },
  'identity.revoke_sessions': {
    input: {
      action: { type: 'identity.revoke_sessions', target: 'jdoe@example.com', params: {} },
      enforcementPoint: 'okta',
    },
    says: ['sign the account jdoe@example.com out everywhere'],
  },
  'task.create': {
    input: {
      action: { type: 'task.create', target: 'rtu-3', params: { summary: 'Check the RTU' } },
      target: rtu,
      enforcementPoint: 'jira',
    },
    says: ['open a ticket in Atlassian Jira about rtu-3 (rtu, zone substation): “Check the RTU”'],
  },
  'sensor.acknowledge_alert': {
    input: {
      action: { type: 'sensor.acknowledge_alert', target: 'rtu-3', params: { alertId: 'a-77' } },
      target: rtu,
      enforcementPoint: 'nozomi',
    },
    says: ['mark alert a-77 as acknowledged on Nozomi Networks'],
  },
  'sensor.close_alert': {
    input: {
      action: { type: 'sensor.close_alert', target: 'rtu-3', params: { alertId: 'a-77' } },
      target: rtu,
      enforcementPoint: 'defender-iot',
    },
    says: ['close alert a-77 on Microsoft Defender for IoT'],
  },
  'sensor.learn_alert': {
    input: {
      action: { type: 'sensor.learn_alert', target: 'rtu-3', params: { alertId: 'a-77' } },
      target: rtu,
      enforcementPoint: 'nozomi',
    },
    says: ['teach Nozomi Networks', 'alert a-77', 'normal'],
  },
  'intel.lookup': {
    input: { action: { type: 'intel.lookup', target: '10.10.8.23', params: {} }, enforcementPoint: 'virustotal' },
    says: ['look up 10.10.8.23 at VirusTotal (reads only)'],
  },
  'ot.restart_device': {
    input: {
      action: { type: 'ot.restart_device', target: 'rtu-3', params: {} },
      target: rtu,
      enforcementPoint: 'servicenow',
    },
    says: ['ask people to restart rtu-3 (rtu, zone substation)', 'ServiceNow', 'never does this itself'],
  },
  'ot.stop_device': {
    input: { action: { type: 'ot.stop_device', target: 'rtu-3', params: {} }, target: rtu, enforcementPoint: 'jira' },
    says: ['ask people to stop rtu-3'],
  },
  'ot.change_mode': {
    input: {
      action: { type: 'ot.change_mode', target: 'rtu-3', params: { mode: 'program' } },
      target: rtu,
      enforcementPoint: 'jira',
    },
    says: ['ask people to switch rtu-3 (rtu, zone substation) to program mode'],
  },
  'ot.download_logic': {
    input: {
      action: { type: 'ot.download_logic', target: 'rtu-3', params: {} },
      target: rtu,
      enforcementPoint: 'jira',
    },
    says: ['ask people to download logic or firmware to rtu-3'],
  },
  'ot.quarantine_host': {
    input: {
      action: { type: 'ot.quarantine_host', target: 'rtu-3', params: {} },
      target: rtu,
      enforcementPoint: 'jira',
    },
    says: ['ask people to isolate rtu-3'],
  },
  'ot.active_scan': {
    input: { action: { type: 'ot.active_scan', target: 'rtu-3', params: {} }, target: rtu, enforcementPoint: 'jira' },
    says: ['ask people to actively scan rtu-3'],
  },
};

describe('actions in words for people', () => {
  it('describes every catalog action in its own words', () => {
    expect([...DESCRIBED_ACTIONS].sort()).toEqual([...ACTION_TYPES].sort());
    expect(Object.keys(CASES).sort()).toEqual([...ACTION_TYPES].sort());
  });

  it.each(ACTION_TYPES)('%s', (type) => {
    const { input, says } = CASES[type];
    const { text, technical } = describeAction(input);
    for (const words of says) expect(text).toContain(words);
    // The technical form beside it: the exact type, target and enforcement point.
    expect(technical.startsWith(`${type} ${input.action.target}`)).toBe(true);
    expect(technical.endsWith(`→ ${input.enforcementPoint}`)).toBe(true);
  });

  it('puts both on one line, parameters in the technical form', () => {
    expect(describeActionLine(CASES['contain.source'].input)).toBe(
      'block 10.10.8.23 at the Fortinet FortiGate fw-dmz that protects rtu-3 ' +
        '(contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-dmz)',
    );
  });

  it('describes a real policy decision: the point the engine chose and the zone it protects', () => {
    const config = configSchema.parse({
      operators: [{ id: 'omar', name: 'Omar', roles: ['ot-engineer'] }],
      zones: [
        { id: 'eng', purdueLevel: 3, mode: 'approve', cidrs: ['10.10.0.0/16'] },
        { id: 'substation', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] },
      ],
      assets: [{ id: 'rtu-3', ips: ['10.20.1.3'], zone: 'substation', kind: 'rtu', criticality: 'high' }],
      enforcementPoints: [
        {
          id: 'fw-sub',
          kind: 'firewall',
          integration: 'fortigate',
          protects: ['substation'],
          side: 'conduit',
          zone: 'eng',
        },
      ],
      integrations: { fortigate: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', vdom: 'root', banExpiry: '2h' } },
    });
    const decision = new PolicyEngine(config).decide({
      type: 'contain.source',
      target: '10.10.8.23',
      params: { toward: 'rtu-3' },
    });
    expect(describeAction(decision).text).toMatch(
      /^block 10\.10\.8\.23 at the Fortinet FortiGate fw-sub that protects rtu-3 \(zone substation\)/,
    );
    expect(describeAction(decision).technical).toBe('contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-sub');
  });

  it('keeps untrusted values short and on one line', () => {
    const { text } = describeAction({
      action: { type: 'task.create', target: 'x', params: { summary: `a\nb ${'y'.repeat(500)}` } },
      enforcementPoint: 'jira',
    });
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(300);
  });
});
