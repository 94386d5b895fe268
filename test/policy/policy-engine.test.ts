import type { ActionRequest } from '../../src/actions/catalog';
import { exampleConfig } from '../support/example-config';
import { checkExecution } from '../../src/policy/execution-gate';
import { PolicyEngine } from '../../src/policy/policy-engine';

const config = exampleConfig();
const engine = new PolicyEngine(config);
const contain = (target: string): ActionRequest => ({ type: 'edr.contain_host', target, params: {} });
const quarantine = (target: string, params: ActionRequest['params'] = {}): ActionRequest => ({
  type: 'firewall.quarantine_ip',
  target,
  params,
});

describe('inventory resolution (rule 1)', () => {
  it('finds assets by ID, hostname (any case) and IP', () => {
    for (const ref of ['fin-lt-042', 'FIN-LT-042.corp.example.net', '10.30.5.42']) {
      expect(engine.inventory.resolve(ref)).toMatchObject({
        assetId: 'fin-lt-042',
        zone: 'corp',
        purdueLevel: 4,
        domain: 'it',
        known: true,
      });
    }
  });

  it('places an unlisted IP by its zone CIDR', () => {
    expect(engine.inventory.resolve('10.20.77.1')).toMatchObject({
      zone: 'line1-cell',
      purdueLevel: 1,
      domain: 'ot',
      known: true,
    });
    expect(engine.inventory.resolve('10.30.99.9')).toMatchObject({ zone: 'corp', domain: 'it', mode: 'auto' });
  });

  it('treats anything it cannot place as OT', () => {
    expect(engine.inventory.resolve('192.0.2.1')).toMatchObject({ known: false, domain: 'ot', mode: 'approve' });
    expect(engine.inventory.resolve('mystery-host')).toMatchObject({ known: false, domain: 'ot' });
  });
});

describe('decisions', () => {
  it('runs IT containment in an auto zone automatically (rule 2)', () => {
    expect(engine.decide(contain('fin-lt-042'))).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it' });
  });

  it('requires two OT approvers for high-criticality OT assets (rule 7)', () => {
    for (const target of ['plc-7', 'eng-ws-03', '10.20.1.7']) {
      expect(engine.decide(quarantine(target))).toMatchObject({
        outcome: 'approve',
        rule: 'rule-7-dual-approval',
        approval: { approvals: 2, roles: ['ot-engineer'], ttlMs: 30 * 60_000 },
      });
    }
  });

  it('requires one OT approver for unknown targets (rule 1) and unlisted OT addresses (rule 3)', () => {
    expect(engine.decide(quarantine('192.0.2.1'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-1-unknown-is-ot',
      approval: { approvals: 1 },
    });
    expect(engine.decide(quarantine('10.15.3.3'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
      approval: { approvals: 1 },
    });
  });

  it('judges an action by every segment it affects: an IT target blocking an OT address is gated', () => {
    expect(engine.decide(quarantine('fin-lt-042', { ip: '10.20.1.7' }))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-7-dual-approval',
    });
    expect(engine.decide(quarantine('plc-7', { ip: '10.30.5.42' }))).toMatchObject({ outcome: 'approve' });
  });

  it('refuses anything touching a safety instrumented system, however it is named (rule 5)', () => {
    for (const action of [contain('sis-1'), quarantine('10.20.9.1'), quarantine('fin-lt-042', { ip: '10.20.9.1' })]) {
      expect(engine.decide(action)).toMatchObject({ outcome: 'refuse', rule: 'rule-5-safety-system' });
    }
  });

  it('never executes in monitor or recommend zones (rule 12)', () => {
    const strict = new PolicyEngine({
      ...config,
      zones: config.zones.map((z) =>
        z.id === 'line1-cell'
          ? { ...z, mode: 'recommend' as const }
          : z.id === 'corp'
            ? { ...z, mode: 'monitor' as const }
            : z,
      ),
    });
    expect(strict.decide(quarantine('plc-7'))).toMatchObject({ outcome: 'recommend', rule: 'rule-12-zone-mode' });
    expect(strict.decide(contain('fin-lt-042'))).toMatchObject({ outcome: 'recommend', rule: 'rule-12-zone-mode' });
  });

  it('binds the digest to the exact action (rule 8)', () => {
    const base = engine.decide(quarantine('plc-7', { ip: '10.30.5.42' })).actionDigest;
    expect(engine.decide(quarantine('plc-7', { ip: '10.30.5.42' })).actionDigest).toBe(base);
    expect(engine.decide(quarantine('10.20.1.7', { ip: '10.30.5.42' })).actionDigest).toBe(base); // same asset, other name
    expect(engine.decide(quarantine('plc-7', { ip: '10.30.5.43' })).actionDigest).not.toBe(base);
    expect(
      engine.decide({ type: 'firewall.release_ip', target: 'plc-7', params: { ip: '10.30.5.42' } }).actionDigest,
    ).not.toBe(base);
  });
});

describe('execution gate', () => {
  const dual = engine.decide(quarantine('plc-7'));
  const vote = (operatorId: string, decision: 'approve' | 'reject' = 'approve') => ({ operatorId, decision });

  it('lets auto decisions through and stops refusals and recommendations', () => {
    expect(checkExecution(engine.decide(contain('fin-lt-042')), { votes: [] }, config.operators)).toEqual({
      allowed: true,
    });
    expect(checkExecution(engine.decide(contain('sis-1')), { votes: [] }, config.operators).allowed).toBe(false);
  });

  it('requires enough distinct approvers who hold a required role, for this exact digest', () => {
    const evidence = { approvedDigest: dual.actionDigest, votes: [vote('omar'), vote('grace')] };
    expect(checkExecution(dual, evidence, config.operators)).toEqual({ allowed: true });
    expect(checkExecution(dual, { ...evidence, votes: [vote('omar'), vote('omar')] }, config.operators).allowed).toBe(
      false,
    );
    expect(checkExecution(dual, { ...evidence, votes: [vote('omar'), vote('alice')] }, config.operators).allowed).toBe(
      false,
    );
    expect(
      checkExecution(
        dual,
        { ...evidence, votes: [vote('omar'), vote('grace'), vote('victor', 'reject')] },
        config.operators,
      ).allowed,
    ).toBe(false);
    expect(checkExecution(dual, { ...evidence, approvedDigest: 'f'.repeat(64) }, config.operators).allowed).toBe(false);
    expect(checkExecution(dual, { votes: evidence.votes }, config.operators).allowed).toBe(false);
  });

  it('voids a vote whose operator has since lost the role', () => {
    const demoted = config.operators.map((o) => (o.id === 'grace' ? { ...o, roles: ['shift-lead'] } : o));
    expect(
      checkExecution(dual, { approvedDigest: dual.actionDigest, votes: [vote('omar'), vote('grace')] }, demoted)
        .allowed,
    ).toBe(false);
  });
});
