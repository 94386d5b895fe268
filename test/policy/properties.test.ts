/**
 * Property-based test of the policy engine and the execution gate together, over random
 * inventories (zones with random Purdue levels, modes and freezes; assets with random kinds,
 * criticalities and safety flags), random actions and targets, and random approval evidence.
 * The oracle below is computed from the generated inventory, not from the engine.
 */
import fc from 'fast-check';
import {
  ACTION_CATALOG,
  ACTION_TYPES,
  INTENT_ACTIONS,
  type ActionRequest,
  type ActionType,
  type ActionSpec,
} from '../../src/actions/catalog';
import { ASSET_KINDS, CRITICALITIES, configSchema, type InterlockConfig } from '../../src/config/schema';
import { BREAK_GLASS_ROLE, checkExecution, type ApprovalEvidence } from '../../src/policy/execution-gate';
import { PolicyEngine } from '../../src/policy/policy-engine';

const LEVELS = [0, 1, 2, 3, 3.5, 4, 5] as const;
const OPERATORS = [
  { id: 'soc', name: 'SOC', roles: ['soc-analyst'] },
  { id: 'ot1', name: 'OT 1', roles: ['ot-engineer'] },
  { id: 'ot2', name: 'OT 2', roles: ['ot-engineer', 'shift-lead'] },
  { id: 'bg', name: 'Break glass', roles: ['safety-owner', BREAK_GLASS_ROLE] },
  { id: 'bg-ot', name: 'Break glass OT', roles: ['ot-engineer', BREAK_GLASS_ROLE] },
];

type PreAuthorizedEntry = { action: ActionType; dual: boolean; ticket: string };

const zoneArb = (id: string) =>
  fc.constantFrom(...LEVELS).chain((purdueLevel) =>
    fc.record({
      id: fc.constant(id),
      purdueLevel: fc.constant(purdueLevel),
      mode:
        purdueLevel >= 4
          ? fc.constantFrom('monitor', 'recommend', 'approve', 'auto')
          : fc.constantFrom('monitor', 'recommend', 'approve'),
      changeFreeze: fc.boolean(),
      // Rule 3 exception: only what the configuration accepts (OT zones, no rule-4 or extend actions).
      preAuthorized:
        purdueLevel >= 4
          ? fc.constant<PreAuthorizedEntry[]>([])
          : fc.array<PreAuthorizedEntry>(
              fc.record({
                action: fc.constantFrom(
                  ...ACTION_TYPES.filter(
                    (t) =>
                      t !== 'firewall.extend_quarantine' &&
                      (ACTION_CATALOG[t].allowedPurdueLevels as readonly number[]).includes(purdueLevel),
                  ),
                ),
                dual: fc.boolean(),
                ticket: fc.constant('CHG-1'),
              }),
              { maxLength: 5 },
            ),
    }),
  );

const enforcementPointsArb = fc.array(
  fc.record({
    protects: fc.subarray(['z0', 'z1', 'z2'], { minLength: 1 }),
    side: fc.constantFrom('it-dmz', 'conduit'),
  }),
  { maxLength: 3 },
);

const inventoryArb = fc
  .record({
    zones: fc.tuple(zoneArb('z0'), zoneArb('z1'), zoneArb('z2')),
    assets: fc.array(
      fc.record({
        zone: fc.constantFrom('z0', 'z1', 'z2'),
        kind: fc.constantFrom(...ASSET_KINDS),
        criticality: fc.constantFrom(...CRITICALITIES),
        safetySystem: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    dualApprovalFor: fc.subarray([...CRITICALITIES]),
    enforcementPoints: enforcementPointsArb,
  })
  .map(({ zones, assets, dualApprovalFor, enforcementPoints }) =>
    configSchema.parse({
      operators: OPERATORS,
      zones: zones.map((z) => ({
        ...z,
        cidrs: [],
        preAuthorized: z.preAuthorized.map((e) => ({ ...e, approvedBy: e.dual ? ['ot1', 'ot2'] : ['ot2'] })),
      })),
      enforcementPoints: enforcementPoints.map((p, i) => ({
        ...p,
        id: `fw${i}`,
        kind: 'firewall',
        integration: 'fortigate',
      })),
      assets: assets.map((a, i) => ({ ...a, id: `a${i}`, hostnames: [`host-${i}`], ips: [`192.168.0.${i + 1}`] })),
      policy: { dualApprovalFor, otApproverRoles: ['ot-engineer'] },
    }),
  );

const scenarioArb = inventoryArb.chain((config) => {
  const refs = config.assets.flatMap((a) => [a.id, a.hostnames[0] ?? a.id, a.ips[0] ?? a.id]);
  const ref = fc.oneof(fc.constantFrom(...refs), fc.constantFrom('unknown-host', '203.0.113.9'));
  return fc.record({
    config: fc.constant(config),
    action: fc.record({
      type: fc.constantFrom(...ACTION_TYPES),
      target: ref,
      params: fc.oneof(
        fc.constant({}),
        ref.map((ip) => ({ ip })),
        ref.map((host) => ({ host })),
        ref.map((toward) => ({ toward })),
      ),
    }),
    votes: fc.uniqueArray(
      fc.record({
        operatorId: fc.constantFrom(...OPERATORS.map((o) => o.id)),
        decision: fc.constantFrom('approve', 'reject'),
      }),
      { maxLength: 4 },
    ),
    digestMatches: fc.boolean(),
    breakGlass: fc.option(
      fc.record({
        operatorId: fc.constantFrom(...OPERATORS.map((o) => o.id)),
        justification: fc.constantFrom('', 'now', 'pressure rising on line 1: block the writer immediately'),
      }),
      { nil: undefined },
    ),
  });
});

function isIntent(action: ActionRequest): boolean {
  return (INTENT_ACTIONS as readonly string[]).includes(action.type);
}

/** The oracle's own view of what an action affects, straight from the generated inventory. */
function affectedAssets(config: InterlockConfig, action: ActionRequest) {
  const find = (ref: unknown) =>
    typeof ref === 'string'
      ? config.assets.find((a) => a.id === ref || a.hostnames.includes(ref) || a.ips.includes(ref))
      : undefined;
  const spec: ActionSpec = ACTION_CATALOG[action.type];
  if (isIntent(action)) return [find(action.target), find(action.params['toward'])];
  if (spec.targets === 'account') {
    const host = action.params['host'];
    return [find(typeof host === 'string' ? host : action.target)];
  }
  const ip = action.params['ip'];
  return typeof ip === 'string' ? [find(action.target), find(ip)] : [find(action.target)];
}

describe('policy engine + execution gate (property-based)', () => {
  /** Executions the gate let through, by outcome: proves the property is not vacuous. */
  const allowed = { auto: 0, approve: 0, recommend: 0, refuse: 0 };
  let allowedPreAuthorized = 0;

  it('never executes a safety-system action, a rule-4 action on levels 0-2, or an OT change without the required approvals', () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, action, votes, digestMatches, breakGlass }) => {
        const engine = new PolicyEngine(config);
        const decision = engine.decide(action);
        const evidence: ApprovalEvidence = {
          votes,
          ...(digestMatches ? { approvedDigest: decision.actionDigest } : { approvedDigest: '0'.repeat(64) }),
          ...(breakGlass === undefined ? {} : { breakGlass }),
        };
        const gate = checkExecution(decision, evidence, config.operators);
        if (!gate.allowed) return;
        allowed[decision.outcome] += 1;

        const spec: ActionSpec = ACTION_CATALOG[action.type];
        const assets = affectedAssets(config, action);
        const level = (a: (typeof assets)[number]) =>
          a === undefined ? undefined : config.zones.find((z) => z.id === a.zone)?.purdueLevel;
        // Rule 5: nothing touching a safety system ever runs.
        expect(assets.some((a) => a !== undefined && (a.safetySystem || a.kind === 'sis'))).toBe(false);
        // Rule 4: device operations never run on levels 0-2 or where the level is unknown.
        if (!spec.allowedPurdueLevels.includes(0)) {
          const primary = level(assets[0]);
          expect(primary !== undefined && primary >= 3).toBe(true);
        }
        // Rules 3, 7: an OT-affecting change needs its approvals (or a valid break-glass).
        const ot = assets.filter((a) => a === undefined || (level(a) ?? 0) < 4);
        const toward = isIntent(action) ? assets[1] : undefined;
        if (isIntent(action)) {
          // Rule 6: an intent runs only at a listed point guarding the zone reached, the DMZ's IT side first.
          const guarding = (config.enforcementPoints ?? []).filter(
            (p) => toward !== undefined && p.protects.includes(toward.zone),
          );
          const preferred = guarding.find((p) => p.side === 'it-dmz') ?? guarding.find((p) => p.side === 'conduit');
          expect(preferred).toBeDefined();
          expect(decision.containment?.enforcementPointId).toBe(preferred?.id);
        }
        // The firewall an intent changes is itself OT (rule 3), judged by the zone it guards.
        const segments = [
          ...ot.map((a) => (a === undefined ? undefined : { id: a.id, zone: a.zone, criticality: a.criticality })),
          ...(toward === undefined ? [] : [{ id: undefined, zone: toward.zone, criticality: undefined }]),
        ];
        const frozen = assets.some((a) => a !== undefined && config.zones.find((z) => z.id === a.zone)?.changeFreeze);
        const preAuthorized =
          !frozen &&
          segments.length > 0 &&
          segments.every(
            (s) =>
              s !== undefined &&
              (config.zones.find((z) => z.id === s.zone)?.preAuthorized ?? []).some(
                (e) =>
                  e.action === action.type &&
                  (s.criticality === undefined || !config.policy.dualApprovalFor.includes(s.criticality) || e.dual),
              ),
          );
        if (preAuthorized) allowedPreAuthorized += 1;
        if (spec.effect !== 'read-only' && segments.length > 0 && !preAuthorized) {
          const forcedBy = OPERATORS.find((o) => o.id === breakGlass?.operatorId);
          const validBreakGlass =
            forcedBy !== undefined &&
            forcedBy.roles.includes(BREAK_GLASS_ROLE) &&
            (breakGlass?.justification.length ?? 0) >= 20 &&
            digestMatches;
          const approvers = new Set(
            votes
              .filter(
                (v) =>
                  v.decision === 'approve' &&
                  OPERATORS.find((o) => o.id === v.operatorId)?.roles.includes('ot-engineer'),
              )
              .map((v) => v.operatorId),
          );
          const dual = ot.some((a) => a !== undefined && config.policy.dualApprovalFor.includes(a.criticality));
          const approved =
            digestMatches && !votes.some((v) => v.decision === 'reject') && approvers.size >= (dual ? 2 : 1);
          expect(validBreakGlass || approved).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
    expect(allowed.auto).toBeGreaterThan(100);
    expect(allowed.approve).toBeGreaterThan(20);
    expect(allowedPreAuthorized).toBeGreaterThan(5);
  });
});
