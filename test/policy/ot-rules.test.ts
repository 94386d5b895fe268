/**
 * Rules 3 (pre-authorized catalog per zone), 6 (containment order of preference) and 10
 * (time-boxed changes, extension as a new action) — policy engine, execution gate, config
 * validation, and enforcement against the FortiGate stub.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { actionSpec } from '../../src/actions/catalog';
import { enforce } from '../../src/activities/enforcement';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { checkExecution } from '../../src/policy/execution-gate';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Connectors } from '../../integrations';
import { startFortiGateStub, type FortiGateStub } from '../../integrations/fortigate/fortigate.stub';

const OPERATORS = [
  { id: 'alice', name: 'Alice', roles: ['soc-analyst'] },
  { id: 'omar', name: 'Omar', roles: ['ot-engineer'] },
  { id: 'grace', name: 'Grace', roles: ['ot-engineer', 'shift-lead'] },
  { id: 'victor', name: 'Victor', roles: ['safety-owner', 'break-glass'] },
];

type RawConfig = Record<string, unknown> & { zones?: Record<string, unknown>[] };

function baseConfig(): RawConfig {
  return {
    operators: OPERATORS,
    zones: [
      { id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] },
      { id: 'dmz', purdueLevel: 3.5, mode: 'approve', cidrs: ['10.15.0.0/16'] },
      { id: 'eng', purdueLevel: 3, mode: 'approve', cidrs: ['10.10.0.0/16'] },
      { id: 'line1-cell', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] },
    ],
    assets: [
      { id: 'fin-lt-042', ips: ['10.30.5.42'], zone: 'corp', kind: 'laptop', criticality: 'low' },
      { id: 'hist-1', ips: ['10.15.0.8'], zone: 'dmz', kind: 'historian', criticality: 'medium' },
      { id: 'eng-ws-03', ips: ['10.10.4.17'], zone: 'eng', kind: 'ews', criticality: 'high' },
      { id: 'plc-7', ips: ['10.20.1.7'], zone: 'line1-cell', kind: 'plc', criticality: 'high' },
      { id: 'sis-1', ips: ['10.20.9.1'], zone: 'line1-cell', kind: 'sis', criticality: 'safety', safetySystem: true },
    ],
    enforcementPoints: [
      {
        id: 'fw-cell',
        kind: 'firewall',
        integration: 'fortigate',
        protects: ['line1-cell'],
        side: 'conduit',
        zone: 'eng',
      },
      {
        id: 'fw-dmz',
        kind: 'firewall',
        integration: 'fortigate',
        vdom: 'ot-dmz',
        protects: ['line1-cell', 'eng'],
        side: 'it-dmz',
        zone: 'dmz',
      },
    ],
    integrations: {
      fortigate: { baseUrl: 'http://127.0.0.1:9', apiKey: 'fgkey', vdom: 'root', banExpiry: '2h' },
    },
  };
}

/** The base configuration with `preAuthorized` entries per zone and other overrides. */
function configWith(
  preAuthorized: Record<string, unknown[]> = {},
  overrides: Partial<RawConfig> = {},
  zonePatch: Record<string, Record<string, unknown>> = {},
): InterlockConfig {
  const raw = { ...baseConfig(), ...overrides };
  raw.zones = (raw.zones ?? []).map((z) => ({
    ...z,
    ...(preAuthorized[z['id'] as string] === undefined ? {} : { preAuthorized: preAuthorized[z['id'] as string] }),
    ...zonePatch[z['id'] as string],
  }));
  return configSchema.parse(raw);
}

const quarantine = (target: string, params: ActionRequest['params'] = {}): ActionRequest => ({
  type: 'firewall.quarantine_ip',
  target,
  params,
});
const containSource = (source: string, toward: string, extra: ActionRequest['params'] = {}): ActionRequest => ({
  type: 'contain.source',
  target: source,
  params: { toward, ...extra },
});

describe('rule 3 exception: the OT-signed pre-authorized catalog per zone', () => {
  const grace = { action: 'firewall.quarantine_ip', approvedBy: 'grace', ticket: 'CHG-1001' };

  it('runs the exact pre-authorized action without a new approval, naming who signed it off', () => {
    const engine = new PolicyEngine(configWith({ eng: [grace] }));
    const decision = engine.decide(quarantine('10.10.9.9'));
    expect(decision).toMatchObject({
      outcome: 'auto',
      rule: 'rule-3-pre-authorized',
      preAuthorizations: [{ zone: 'eng', approvedBy: ['grace'], ticket: 'CHG-1001', dual: false }],
    });
    expect(decision.reason).toContain('grace');
    expect(checkExecution(decision, { votes: [] }, OPERATORS)).toEqual({ allowed: true });
    // Another action on the same zone is not covered.
    expect(engine.decide({ type: 'edr.contain_host', target: '10.10.9.9', params: {} })).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
    });
  });

  it('needs an entry in every OT zone the action touches', () => {
    // Quarantining a DMZ address on behalf of the eng zone touches both.
    const engine = new PolicyEngine(configWith({ eng: [grace] }));
    expect(engine.decide(quarantine('10.10.9.9', { ip: '10.15.0.8' }))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
    });
    const both = new PolicyEngine(configWith({ eng: [grace], dmz: [{ ...grace, ticket: 'CHG-1002' }] }));
    expect(both.decide(quarantine('10.10.9.9', { ip: '10.15.0.8' })).preAuthorizations).toEqual([
      { zone: 'eng', approvedBy: ['grace'], ticket: 'CHG-1001', dual: false },
      { zone: 'dmz', approvedBy: ['grace'], ticket: 'CHG-1002', dual: false },
    ]);
  });

  it('covers only the exact parameters and targets listed, and lapses at `until`', () => {
    const engine = new PolicyEngine(
      configWith({
        eng: [
          { ...grace, targets: ['eng-ws-03'], params: { ip: '10.10.4.17' }, dual: true, approvedBy: ['grace', 'omar'] },
        ],
        dmz: [{ ...grace, until: '2026-01-01T00:00:00Z' }],
      }),
    );
    expect(engine.decide(quarantine('eng-ws-03', { ip: '10.10.4.17' })).rule).toBe('rule-3-pre-authorized');
    expect(engine.decide(quarantine('eng-ws-03', { ip: '10.10.4.17', expirySeconds: 60 })).rule).toBe(
      'rule-7-dual-approval',
    );
    // The same parameters on a target not listed (an unlisted eng address): not covered.
    expect(engine.decide(quarantine('10.10.9.9', { ip: '10.10.4.17' })).rule).toBe('rule-7-dual-approval');
    expect(engine.decide(quarantine('hist-1'), new Date('2025-12-31T23:00:00Z')).rule).toBe('rule-3-pre-authorized');
    expect(engine.decide(quarantine('hist-1'), new Date('2026-01-01T00:00:00Z')).rule).toBe(
      'rule-3-ot-change-needs-approval',
    );
  });

  it('never relaxes dual approval unless the entry is dual with two approvers', () => {
    const single = new PolicyEngine(configWith({ eng: [grace] }));
    expect(single.decide(quarantine('eng-ws-03'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-7-dual-approval',
      approval: { approvals: 2 },
    });
    const dual = new PolicyEngine(configWith({ eng: [{ ...grace, approvedBy: ['grace', 'omar'], dual: true }] }));
    expect(dual.decide(quarantine('eng-ws-03'))).toMatchObject({
      outcome: 'auto',
      rule: 'rule-3-pre-authorized',
      preAuthorizations: [{ approvedBy: ['grace', 'omar'], dual: true }],
    });
  });

  it('never applies to safety systems, rule-4 actions, change freezes, unknown targets or restricted zones', () => {
    const all = { ...grace, approvedBy: ['grace', 'omar'], dual: true };
    const engine = new PolicyEngine(configWith({ 'line1-cell': [all], eng: [all] }));
    expect(engine.decide(quarantine('sis-1')).rule).toBe('rule-5-safety-system');
    expect(engine.decide({ type: 'ot.restart_device', target: 'plc-7', params: {} }).rule).toBe(
      'rule-4-never-automated-ot',
    );
    expect(engine.decide(quarantine('192.0.2.1')).rule).toBe('rule-1-unknown-is-ot');
    const frozen = new PolicyEngine(configWith({ eng: [all] }, {}, { eng: { changeFreeze: true } }));
    expect(frozen.decide(quarantine('10.10.9.9'))).toMatchObject({ outcome: 'approve', rule: 'rule-13-change-freeze' });
    const recommend = new PolicyEngine(configWith({ eng: [all] }, {}, { eng: { mode: 'recommend' } }));
    expect(recommend.decide(quarantine('10.10.9.9'))).toMatchObject({
      outcome: 'recommend',
      rule: 'rule-12-zone-mode',
    });
  });

  it('is validated: OT approvers only, two for dual, OT zones only, no rule-4 action, no extension', () => {
    const issues = (preAuthorized: Record<string, unknown[]>) => {
      const raw = baseConfig();
      raw.zones = (raw.zones ?? []).map((z) => ({ ...z, preAuthorized: preAuthorized[z['id'] as string] ?? [] }));
      const result = configSchema.safeParse(raw);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ eng: [grace] })).toEqual([]);
    expect(issues({ eng: [{ ...grace, approvedBy: 'alice' }] })).toEqual([
      'zones.2.preAuthorized.0.approvedBy.0: "alice" holds no OT approver role (ot-engineer)',
    ]);
    expect(issues({ eng: [{ ...grace, approvedBy: 'nobody' }] })).toEqual([
      'zones.2.preAuthorized.0.approvedBy.0: unknown operator "nobody"',
    ]);
    expect(issues({ eng: [{ ...grace, dual: true }] })).toEqual([
      'zones.2.preAuthorized.0.approvedBy: dual: true needs two distinct approvers',
    ]);
    expect(issues({ corp: [grace] })).toEqual([
      'zones.0.preAuthorized.0.action: pre-authorization is for OT zones (Purdue level 0-3.5)',
    ]);
    expect(issues({ 'line1-cell': [{ ...grace, action: 'ot.stop_device' }] })).toEqual([
      'zones.3.preAuthorized.0.action: ot.stop_device is never executed on Purdue level 1 (rule 4)',
    ]);
    expect(issues({ eng: [{ ...grace, action: 'firewall.extend_quarantine' }] })).toEqual([
      'zones.2.preAuthorized.0.action: extending a time-boxed change needs a new approval (rule 10)',
    ]);
    expect(issues({ eng: [{ ...grace, ticket: '' }] })).toHaveLength(1);
  });
});

describe('rule 6: containment order of preference (contain.source)', () => {
  it('denies at the IT side of the DMZ first, carrying the enforcement point in the decision and digest', () => {
    const engine = new PolicyEngine(configWith());
    const decision = engine.decide(containSource('fin-lt-042', 'plc-7'));
    expect(decision).toMatchObject({
      outcome: 'approve',
      rule: 'rule-7-dual-approval',
      enforcementPoint: 'fortigate:ot-dmz@fw-dmz',
      containment: {
        enforcementPointId: 'fw-dmz',
        side: 'it-dmz',
        vdom: 'ot-dmz',
        protectedZone: 'line1-cell',
        blockedIp: '10.30.5.42',
      },
      compensation: 'release.source',
    });
    // The DMZ firewall change is itself judged: it is OT (rule 3).
    expect(decision.affected.map((t) => [t.ref, t.domain])).toEqual([
      ['fin-lt-042', 'it'],
      ['plc-7', 'ot'],
      ['fw-dmz', 'ot'],
    ]);
    // A medium-criticality destination: one OT approver.
    expect(engine.decide(containSource('10.30.1.1', '10.20.77.1'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
      approval: { approvals: 1, roles: ['ot-engineer'] },
    });
  });

  it('falls back to a conduit deny, and the digest changes with the enforcement point (approvals void)', () => {
    const dmzFirst = new PolicyEngine(configWith());
    const conduitOnly = new PolicyEngine(
      configWith({}, { enforcementPoints: (baseConfig()['enforcementPoints'] as unknown[]).slice(0, 1) }),
    );
    const action = containSource('fin-lt-042', '10.20.77.1');
    const viaDmz = dmzFirst.decide(action);
    const viaConduit = conduitOnly.decide(action);
    expect(viaConduit).toMatchObject({
      enforcementPoint: 'fortigate:root@fw-cell',
      containment: { enforcementPointId: 'fw-cell', side: 'conduit' },
    });
    expect(viaConduit.actionDigest).not.toBe(viaDmz.actionDigest);
    const votes = [{ operatorId: 'omar', decision: 'approve' as const }];
    expect(checkExecution(viaConduit, { approvedDigest: viaDmz.actionDigest, votes }, OPERATORS)).toMatchObject({
      allowed: false,
    });
    expect(checkExecution(viaConduit, { approvedDigest: viaConduit.actionDigest, votes }, OPERATORS)).toEqual({
      allowed: true,
    });
  });

  it('recommends (a task) when no point outside levels 0-2 protects the zone; break-glass cannot force it', () => {
    const engine = new PolicyEngine(configWith({}, { enforcementPoints: [] }));
    const decision = engine.decide(containSource('fin-lt-042', 'plc-7'));
    expect(decision).toMatchObject({
      outcome: 'recommend',
      rule: 'rule-6-containment-order',
      enforcementPoint: 'none',
    });
    expect(decision.containment).toBeUndefined();
    expect(
      checkExecution(
        decision,
        {
          approvedDigest: decision.actionDigest,
          votes: [],
          breakGlass: { operatorId: 'victor', justification: 'pressure rising on line 1: block it now' },
        },
        OPERATORS,
      ),
    ).toMatchObject({ allowed: false });
    expect(new PolicyEngine(configWith()).decide(containSource('fin-lt-042', '')).rule).toBe(
      'rule-6-containment-order',
    );
  });

  it('refuses containment of traffic toward a safety system (rule 5 first)', () => {
    expect(new PolicyEngine(configWith()).decide(containSource('fin-lt-042', 'sis-1'))).toMatchObject({
      outcome: 'refuse',
      rule: 'rule-5-safety-system',
    });
  });

  it('releases at the same point it contained, so the saga undoes exactly its own block', () => {
    const engine = new PolicyEngine(configWith());
    const release = engine.decide({ type: 'release.source', target: 'fin-lt-042', params: { toward: 'plc-7' } });
    expect(release.containment).toEqual(engine.decide(containSource('fin-lt-042', 'plc-7')).containment);
    expect(actionSpec('contain.source').compensation).toBe('release.source');
  });

  it('refuses configuration that puts an enforcement point inline inside levels 0-2', () => {
    const raw = baseConfig();
    raw['enforcementPoints'] = [
      {
        id: 'fw-x',
        kind: 'firewall',
        integration: 'fortigate',
        protects: ['nowhere'],
        side: 'conduit',
        zone: 'line1-cell',
      },
    ];
    const result = configSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'enforcementPoints.0.protects.0: unknown zone "nowhere"',
      'enforcementPoints.0.zone: never inline inside levels 0-2 (rule 6): an enforcement point sits at level 3 or above',
    ]);
  });
});

describe('rule 10: time-boxed changes; extending is a new, policy-checked action', () => {
  it('records the time box of firewall bans, and how to extend them', () => {
    const engine = new PolicyEngine(configWith());
    expect(engine.decide(quarantine('10.10.9.9')).timeBox).toEqual({
      expiresAfterMs: 7_200_000,
      mechanism: 'fortigate banned-IP expiry',
      extendWith: 'firewall.extend_quarantine',
    });
    expect(engine.decide(containSource('fin-lt-042', 'plc-7', { expirySeconds: 600 })).timeBox).toMatchObject({
      expiresAfterMs: 600_000,
      extendWith: 'contain.source',
    });
    expect(engine.decide({ type: 'edr.contain_host', target: 'fin-lt-042', params: {} }).timeBox).toBeUndefined();
  });

  it('an extension on OT needs approval, bound to its new duration; on IT in an auto zone it runs', () => {
    const engine = new PolicyEngine(
      configWith({ eng: [{ action: 'firewall.quarantine_ip', approvedBy: 'grace', ticket: 'C' }] }),
    );
    const extend = (expirySeconds: number): ActionRequest => ({
      type: 'firewall.extend_quarantine',
      target: '10.10.9.9',
      params: { expirySeconds },
    });
    const hour = engine.decide(extend(3600));
    expect(hour).toMatchObject({ outcome: 'approve', rule: 'rule-3-ot-change-needs-approval' });
    expect(hour.timeBox?.expiresAfterMs).toBe(3_600_000);
    expect(engine.decide(extend(7200)).actionDigest).not.toBe(hour.actionDigest);
    expect(
      engine.decide({ type: 'firewall.extend_quarantine', target: 'fin-lt-042', params: { expirySeconds: 60 } }),
    ).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it' });
  });
});

describe('enforcement at the chosen point (FortiGate stub)', () => {
  let stub: FortiGateStub;
  beforeAll(async () => {
    stub = await startFortiGateStub({ vdoms: ['root', 'ot-dmz'] });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('bans the source on the enforcement point VDOM with the time box, and extends bans on request', async () => {
    const config = configWith();
    const fortigate = {
      ...(config.integrations.fortigate as NonNullable<InterlockConfig['integrations']['fortigate']>),
    };
    fortigate.baseUrl = stub.url;
    fortigate.apiKey = stub.apiKey;
    const engine = new PolicyEngine({ ...config, integrations: { fortigate } });
    const clients = new Connectors({ fortigate });

    const contained = await enforce(engine.decide(containSource('fin-lt-042', 'plc-7')), clients);
    expect(contained.summary).toBe('fortigate quarantine of 10.30.5.42 at fw-dmz (it-dmz, vdom ot-dmz)');
    expect(stub.banned.get('ot-dmz/10.30.5.42')).toEqual({ vdom: 'ot-dmz', expiry: 7200 });
    expect(stub.isBanned('10.30.5.42', 'root')).toBe(false);

    await enforce(
      engine.decide({ type: 'firewall.extend_quarantine', target: '10.10.9.9', params: { expirySeconds: 600 } }),
      clients,
    );
    expect(stub.banned.get('root/10.10.9.9')).toEqual({ vdom: 'root', expiry: 600 });

    await enforce(
      engine.decide({ type: 'release.source', target: 'fin-lt-042', params: { toward: 'plc-7' } }),
      clients,
    );
    expect(stub.isBanned('10.30.5.42', 'ot-dmz')).toBe(false);
  });
});
