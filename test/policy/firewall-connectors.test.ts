/**
 * Rules 6 and 10 for every firewall connector: an enforcement point names any registered
 * firewall connector (FortiGate VDOM or PAN-OS vsys), the time box is that connector's own
 * (FortiGate ban expiry, PAN-OS tag timeout), and remote.end_sessions is enforced at the point
 * the engine picks for the source, like contain.source.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';

const PANOS = { baseUrl: 'http://127.0.0.1:9', apiKey: 'pankey', vsys: 'vsys3', quarantineTimeout: '45m' };
const FORTIGATE = { baseUrl: 'http://127.0.0.1:9', apiKey: 'fgkey', vdom: 'root', banExpiry: '2h' };

function config(integrations: Record<string, unknown>, points: Record<string, unknown>[]): InterlockConfig {
  return configSchema.parse({
    operators: [{ id: 'omar', name: 'Omar', roles: ['ot-engineer'] }],
    zones: [
      { id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] },
      { id: 'dmz', purdueLevel: 3.5, mode: 'approve', cidrs: ['10.15.0.0/16'] },
      { id: 'line1-cell', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] },
    ],
    assets: [
      { id: 'fin-lt-042', ips: ['10.30.5.42'], zone: 'corp', kind: 'laptop', criticality: 'low' },
      { id: 'plc-7', ips: ['10.20.1.7'], zone: 'line1-cell', kind: 'plc', criticality: 'high' },
    ],
    enforcementPoints: points,
    integrations,
  });
}

const point = (integration: string, extra: Record<string, unknown> = {}) => ({
  id: 'fw-dmz',
  kind: 'firewall',
  integration,
  protects: ['line1-cell'],
  side: 'it-dmz',
  zone: 'dmz',
  ...extra,
});

const intent = (type: ActionRequest['type'], params: ActionRequest['params'] = {}): ActionRequest => ({
  type,
  target: 'fin-lt-042',
  params: { toward: 'plc-7', ...params },
});

describe('firewall connectors at enforcement points', () => {
  it('accepts any registered firewall connector, and only those', () => {
    expect(() => config({ panos: PANOS }, [point('panos')])).not.toThrow();
    expect(() => config({}, [point('okta')])).toThrow(/must be a firewall connector \(fortigate, panos/);
    expect(() => config({}, [point('checkpoint')])).toThrow(/must be a firewall connector/);
  });

  it('enforces contain.source on PAN-OS at the vsys of the point, else the configured vsys, with its tag timeout', () => {
    const configured = new PolicyEngine(config({ panos: PANOS }, [point('panos')])).decide(intent('contain.source'));
    expect(configured).toMatchObject({
      enforcementPoint: 'panos:vsys3@fw-dmz',
      containment: { integration: 'panos', vdom: 'vsys3', enforcementPointId: 'fw-dmz', blockedIp: '10.30.5.42' },
      timeBox: {
        expiresAfterMs: 45 * 60_000,
        mechanism: 'panos registered-IP tag timeout',
        extendWith: 'contain.source',
      },
    });
    const named = new PolicyEngine(config({ panos: PANOS }, [point('panos', { vdom: 'vsys2' })])).decide(
      intent('contain.source', { expirySeconds: 600 }),
    );
    expect(named).toMatchObject({
      enforcementPoint: 'panos:vsys2@fw-dmz',
      containment: { vdom: 'vsys2' },
      timeBox: { expiresAfterMs: 600_000 },
    });
    // Not configured: the connector's defaults (the step then fails as not configured).
    expect(new PolicyEngine(config({}, [point('panos')])).decide(intent('contain.source'))).toMatchObject({
      enforcementPoint: 'panos:vsys1@fw-dmz',
      timeBox: { expiresAfterMs: 3_600_000, mechanism: 'panos registered-IP tag timeout' },
    });
  });

  it('keeps FortiGate points, digests and time boxes as they were', () => {
    const decision = new PolicyEngine(config({ fortigate: FORTIGATE }, [point('fortigate')])).decide(
      intent('contain.source'),
    );
    expect(decision).toMatchObject({
      enforcementPoint: 'fortigate:root@fw-dmz',
      timeBox: { expiresAfterMs: 7_200_000, mechanism: 'fortigate banned-IP expiry' },
    });
  });

  it('time-boxes a direct quarantine with the chosen connector’s own mechanism', () => {
    const panosOnly = new PolicyEngine(config({ panos: PANOS }, []));
    const quarantine: ActionRequest = { type: 'firewall.quarantine_ip', target: 'plc-7', params: { ip: '10.30.5.42' } };
    expect(panosOnly.decide(quarantine)).toMatchObject({
      enforcementPoint: 'panos:vsys3',
      timeBox: { expiresAfterMs: 45 * 60_000, mechanism: 'panos registered-IP tag timeout' },
    });
    const both = new PolicyEngine(config({ fortigate: FORTIGATE, panos: PANOS }, []));
    expect(both.decide(quarantine)).toMatchObject({ enforcementPoint: 'fortigate:root' });
    expect(both.decide({ ...quarantine, params: { ...quarantine.params, connector: 'panos' } })).toMatchObject({
      enforcementPoint: 'panos:vsys3',
      timeBox: { mechanism: 'panos registered-IP tag timeout' },
    });
    expect(new PolicyEngine(config({}, [])).decide(quarantine)).toMatchObject({
      enforcementPoint: 'firewall',
      timeBox: { expiresAfterMs: 3_600_000, mechanism: 'fortigate banned-IP expiry' },
    });
  });

  it.each(['fortigate', 'panos'])(
    'ends the source’s sessions (%s) at the point contain.source uses, policy-checked, without a time box',
    (integration) => {
      const engine = new PolicyEngine(config({ fortigate: FORTIGATE, panos: PANOS }, [point(integration)]));
      const end = engine.decide(intent('remote.end_sessions'));
      const contain = engine.decide(intent('contain.source'));
      expect(end.containment).toEqual(contain.containment);
      expect(end.enforcementPoint).toBe(contain.enforcementPoint);
      expect(end.actionDigest).not.toBe(contain.actionDigest);
      // Toward a high-criticality PLC through an OT firewall: two OT approvers, as for the block.
      expect(end).toMatchObject({ outcome: 'approve', rule: 'rule-7-dual-approval' });
      expect(end.timeBox).toBeUndefined();
      expect(end.compensation).toBeUndefined();
    },
  );

  it('recommends (rule 6) ending sessions when no point protects the zone reached', () => {
    const decision = new PolicyEngine(config({ panos: PANOS }, [])).decide(intent('remote.end_sessions'));
    expect(decision).toMatchObject({
      outcome: 'recommend',
      rule: 'rule-6-containment-order',
      enforcementPoint: 'none',
    });
  });
});
