/**
 * The rules added to the policy engine beyond the foundation: the action catalog (rule 4),
 * accounts judged by their host, change freeze and maintenance windows (rule 13),
 * break-glass at the execution gate (rule 11) and the blast-radius limit (rule 14, PostgreSQL).
 */
import type { Pool } from 'pg';
import { ACTION_CATALOG, ACTION_TYPES, NEVER_AUTOMATED_LEVELS, type ActionRequest } from '../../src/actions/catalog';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { BlastRadiusStore, countsAgainstBlastRadius, overBlastRadius } from '../../src/policy/blast-radius';
import { checkExecution } from '../../src/policy/execution-gate';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { exampleConfig } from '../support/example-config';
import { createTestDatabase } from '../support/pg';

const config = exampleConfig();
const engine = new PolicyEngine(config);
const act = (type: ActionRequest['type'], target: string, params: ActionRequest['params'] = {}): ActionRequest => ({
  type,
  target,
  params,
});
const RULE_4_ACTIONS = [
  'ot.restart_device',
  'ot.stop_device',
  'ot.change_mode',
  'ot.download_logic',
  'ot.quarantine_host',
  'ot.active_scan',
] as const;

describe('action catalog', () => {
  it('declares effect, target kind, executor and allowed Purdue levels for every action', () => {
    for (const type of ACTION_TYPES) {
      const spec = ACTION_CATALOG[type];
      expect(['read-only', 'reversible', 'irreversible']).toContain(spec.effect);
      expect(['host', 'ip', 'account']).toContain(spec.targets);
      expect(spec.allowedPurdueLevels.length).toBeGreaterThan(0);
      if ('compensation' in spec) expect(ACTION_TYPES).toContain(spec.compensation);
    }
  });

  it('never allows restart/stop/mode change/logic download/quarantine/scan or EDR containment on levels 0-2', () => {
    for (const type of [...RULE_4_ACTIONS, 'edr.contain_host'] as const) {
      for (const level of NEVER_AUTOMATED_LEVELS) expect(ACTION_CATALOG[type].allowedPurdueLevels).not.toContain(level);
    }
  });
});

describe('rule 4: never automated on levels 0-2', () => {
  it('only recommends OT device operations on a PLC or an unknown target, whatever the zone mode', () => {
    for (const type of RULE_4_ACTIONS) {
      for (const target of ['plc-7', '10.20.77.1', '192.0.2.99']) {
        expect(engine.decide(act(type, target))).toMatchObject({
          outcome: 'recommend',
          rule: 'rule-4-never-automated-ot',
        });
      }
    }
    // EDR containment of a level-1 host is "quarantine on an OT host".
    expect(engine.decide(act('edr.contain_host', 'plc-7'))).toMatchObject({ rule: 'rule-4-never-automated-ot' });
  });

  it('still refuses SIS targets first (rule 5), and gates OT device operations above level 2', () => {
    expect(engine.decide(act('ot.quarantine_host', 'sis-1'))).toMatchObject({ rule: 'rule-5-safety-system' });
    expect(engine.decide(act('ot.restart_device', 'eng-ws-03'))).toMatchObject({ outcome: 'approve' });
  });

  it('never passes the execution gate, even with approvals or break-glass', () => {
    const decision = engine.decide(act('ot.stop_device', 'plc-7'));
    const evidence = {
      approvedDigest: decision.actionDigest,
      votes: [
        { operatorId: 'omar', decision: 'approve' as const },
        { operatorId: 'grace', decision: 'approve' as const },
      ],
      breakGlass: { operatorId: 'victor', justification: 'the line is about to overpressure, stop it now' },
    };
    expect(checkExecution(decision, evidence, config.operators).allowed).toBe(false);
  });
});

describe('accounts (identity.disable_account)', () => {
  it('is automatic for an account seen on an IT host in an auto zone (rule 2)', () => {
    const decision = engine.decide(act('identity.disable_account', 'jdoe', { host: 'fin-lt-042' }));
    expect(decision).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it', target: { ref: 'jdoe', zone: 'corp' } });
    expect(decision.compensation).toBe('identity.enable_account');
  });

  it('needs approval for an account seen on an OT host, or with no host (unknown is OT)', () => {
    expect(engine.decide(act('identity.disable_account', 'jdoe', { host: 'eng-ws-03' }))).toMatchObject({
      outcome: 'approve',
    });
    expect(engine.decide(act('identity.disable_account', 'jdoe'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-1-unknown-is-ot',
    });
  });
});

describe('rule 13: change freeze and maintenance windows', () => {
  const frozen = new PolicyEngine({
    ...config,
    zones: config.zones.map((z) => (z.id === 'line1-cell' || z.id === 'corp' ? { ...z, changeFreeze: true } : z)),
  });

  it('a freeze raises the approval requirement by one, for OT and IT alike', () => {
    expect(frozen.decide(act('firewall.quarantine_ip', 'plc-7'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-13-change-freeze',
      approval: { approvals: 3 },
    });
    expect(frozen.decide(act('edr.contain_host', 'fin-lt-042'))).toMatchObject({
      outcome: 'approve',
      rule: 'rule-13-change-freeze',
      approval: { approvals: 1 },
    });
  });

  it('a maintenance window is reported with its change ticket but never relaxes approvals', () => {
    const inside = new Date('2026-11-29T01:00:00Z');
    const decision = engine.decide(act('firewall.quarantine_ip', 'plc-7'), inside);
    expect(decision).toMatchObject({
      outcome: 'approve',
      rule: 'rule-7-dual-approval',
      approval: { approvals: 2 },
      maintenanceWindow: { id: 'mw-2026-11-line1', changeTicket: 'CHG0042117' },
    });
    expect(engine.decide(act('firewall.quarantine_ip', 'plc-7'), new Date('2026-12-01T00:00:00Z'))).not.toHaveProperty(
      'maintenanceWindow',
    );
  });
});

describe('rule 11: break-glass at the execution gate', () => {
  const decision = engine.decide(act('firewall.quarantine_ip', 'plc-7', { ip: '10.30.5.42' }));
  const forced = (operatorId: string, justification: string, digest = decision.actionDigest) => ({
    approvedDigest: digest,
    votes: [],
    breakGlass: { operatorId, justification },
  });

  it('lets a break-glass operator with a written justification force an OT change, flagged as such', () => {
    expect(
      checkExecution(decision, forced('victor', 'pressure rising on line 1, block the writer now'), config.operators),
    ).toEqual({ allowed: true, breakGlass: true });
  });

  it('refuses without the role, without a real justification, for another action, or for an SIS', () => {
    expect(
      checkExecution(decision, forced('omar', 'pressure rising on line 1, block it'), config.operators).allowed,
    ).toBe(false);
    expect(checkExecution(decision, forced('victor', 'urgent'), config.operators).allowed).toBe(false);
    expect(
      checkExecution(decision, forced('victor', 'pressure rising, block it', 'a'.repeat(64)), config.operators).allowed,
    ).toBe(false);
    const sis = engine.decide(act('firewall.quarantine_ip', 'sis-1'));
    expect(
      checkExecution(sis, forced('victor', 'the SIS is being attacked right now', sis.actionDigest), config.operators)
        .allowed,
    ).toBe(false);
  });
});

describe('rule 14: blast radius (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url);
    await runMigrations(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const slot = (workflowId: string, step: string) => ({
    key: `${workflowId}:${step}`,
    workflowId,
    actionType: 'edr.contain_host',
    target: step,
  });

  it('grants at most perRun per run and perHour overall, exactly, under concurrency; a key reserves once', async () => {
    const store = new BlastRadiusStore(pool, { perRun: 2, perHour: 5 });
    const perRun = await Promise.all(['a', 'b', 'c', 'd'].map((s) => store.reserve(slot('run-1', s))));
    expect(perRun.filter((r) => r.granted)).toHaveLength(2);
    expect(perRun.find((r) => !r.granted)).toMatchObject({ limit: 'perRun', count: 2 });
    const granted = perRun.findIndex((r) => r.granted);
    expect(await store.reserve(slot('run-1', ['a', 'b', 'c', 'd'][granted] ?? ''))).toEqual({ granted: true });

    const storm = await Promise.all(Array.from({ length: 10 }, (_, i) => store.reserve(slot(`storm-${i}`, 'contain'))));
    expect(storm.filter((r) => r.granted)).toHaveLength(3);
    expect(storm.find((r) => !r.granted)).toMatchObject({ limit: 'perHour', count: 5 });
    // An hour later the slots are free again.
    expect(await store.reserve(slot('later', 'contain'), new Date(Date.now() + 3_600_000 + 1000))).toEqual({
      granted: true,
    });
  });

  it('turns an automatic containment past the limit into an approval under rule 14', () => {
    const auto = engine.decide(act('edr.contain_host', 'fin-lt-042'));
    expect(countsAgainstBlastRadius(auto)).toBe(true);
    expect(countsAgainstBlastRadius(engine.decide(act('task.create', 'fin-lt-042')))).toBe(false);
    const gated = overBlastRadius(
      auto,
      { granted: false, limit: 'perHour', count: 20 },
      config.policy.blastRadius,
      config,
    );
    expect(gated).toMatchObject({
      outcome: 'approve',
      rule: 'rule-14-blast-radius',
      actionDigest: auto.actionDigest,
      approval: { approvals: 1, roles: config.policy.itApproverRoles },
    });
    expect(checkExecution(gated, { votes: [] }, config.operators).allowed).toBe(false);
  });
});
