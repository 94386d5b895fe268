import { CONNECTOR_MANIFESTS } from '../../integrations/registry';
import { ACTION_CATALOG, INTENT_ACTIONS, type ActionRequest, type ActionSpec } from '../actions/catalog';
import type { EnforcementPointConfig, InterlockConfig, PreAuthorizedAction } from '../config/schema';
import { chooseConnector } from './connector-choice';
import { actionDigest } from './digest';
import { Inventory } from './inventory';
import type {
  ContainmentChoice,
  PolicyDecision,
  PolicyOutcome,
  PreAuthorization,
  ResolvedTarget,
  TimeBox,
} from './types';

export type PolicyConfig = Pick<
  InterlockConfig,
  'zones' | 'assets' | 'policy' | 'integrations' | 'maintenanceWindows'
> &
  Partial<Pick<InterlockConfig, 'enforcementPoints'>>;

/** A firewall connector's partition (VDOM, vsys) and quarantine time box, from its configuration. */
interface FirewallFacts {
  scope: string;
  expiresAfterMs: number;
  mechanism: string;
}

/** Rule 6: where an intent action is enforced, or why nowhere. */
type ContainmentPlan =
  | { choice: ContainmentChoice; point: EnforcementPointConfig; toward: ResolvedTarget }
  | { choice?: undefined; toward?: ResolvedTarget; why: string };

/** Every rule name a decision can carry (docs/policy.md). */
export const POLICY_RULES = [
  'rule-1-unknown-is-ot',
  'rule-2-auto-it',
  'rule-3-ot-change-needs-approval',
  'rule-3-pre-authorized',
  'rule-4-never-automated-ot',
  'rule-5-safety-system',
  'rule-6-containment-order',
  'rule-7-dual-approval',
  'rule-8-approval-expired',
  'rule-9-fail-safe',
  'rule-11-break-glass',
  'rule-12-zone-mode',
  'rule-13-change-freeze',
  'rule-14-blast-radius',
  'read-only',
] as const;

/**
 * The one place that decides whether an action may run (ot-safety.md). Every action —
 * whatever the playbook says — is decided here before it runs, and decided again by the
 * execution gate right before the integration is called.
 */
export class PolicyEngine {
  readonly inventory: Inventory;

  constructor(private readonly config: PolicyConfig) {
    this.inventory = new Inventory(config);
  }

  /** `now` only matters for maintenance windows (rule 13). */
  decide(action: ActionRequest, now: Date = new Date()): PolicyDecision {
    const spec: ActionSpec = ACTION_CATALOG[action.type];
    const target = this.resolveTarget(action, spec);
    const plan = isIntent(action) ? this.planContainment(action, target) : undefined;
    const affected = [target, ...this.extraAffected(action, target, spec, plan)];
    const connector = this.connectorOf(spec, plan, action, target);
    const enforcementPoint = this.enforcementPoint(plan, connector);
    const timeBox = this.timeBox(action, plan, connector);
    const digest = actionDigest(
      action,
      spec.targets === 'account' ? action.target : (target.assetId ?? target.ref),
      enforcementPoint,
    );
    const window = this.maintenanceWindow(target, now);
    const decide = (
      outcome: PolicyOutcome,
      rule: string,
      reason: string,
      approvals = 0,
      roles: string[] = [],
      preAuthorizations?: PreAuthorization[],
    ): PolicyDecision => ({
      outcome,
      rule,
      reason,
      target,
      affected,
      action,
      actionDigest: digest,
      enforcementPoint,
      ...(window === undefined ? {} : { maintenanceWindow: window }),
      ...(spec.compensation === undefined ? {} : { compensation: spec.compensation }),
      ...(timeBox === undefined ? {} : { timeBox }),
      ...(plan?.choice === undefined ? {} : { containment: plan.choice }),
      ...(preAuthorizations === undefined ? {} : { preAuthorizations }),
      ...(outcome === 'approve'
        ? {
            approval: {
              approvals,
              roles,
              ttlMs: this.config.policy.approvalTtl,
              escalateAfterMs: this.config.policy.escalateAfter,
            },
          }
        : {}),
    });

    const safety = affected.find((t) => t.safetySystem);
    if (safety !== undefined) {
      return decide(
        'refuse',
        'rule-5-safety-system',
        `${describe(safety)} is a safety instrumented system: no action may target it`,
      );
    }
    // Rule 4: judged on the device acted on; an unknown level may be the cell, so it counts as 0-2.
    if (target.purdueLevel === undefined || !spec.allowedPurdueLevels.includes(target.purdueLevel)) {
      if (!spec.allowedPurdueLevels.includes(0)) {
        return decide(
          'recommend',
          'rule-4-never-automated-ot',
          `${action.type} is never executed on ${describe(target)}: a task for people, even with approval`,
        );
      }
    }
    if (spec.effect === 'read-only') return decide('auto', 'read-only', 'the action changes nothing');
    if (plan !== undefined && plan.choice === undefined) {
      return decide('recommend', 'rule-6-containment-order', `${action.type}: ${plan.why}; a task for people`);
    }

    const ot = affected.filter((t) => t.domain === 'ot');
    const frozen = affected.find((t) => t.zone !== undefined && this.inventory.zone(t.zone)?.changeFreeze === true);
    if (ot.length === 0) {
      const notAuto = affected.find((t) => t.mode !== 'auto');
      if (notAuto === undefined || notAuto.mode === 'approve') {
        if (frozen !== undefined) {
          return decide(
            'approve',
            'rule-13-change-freeze',
            `zone ${frozen.zone ?? '?'} is under a change freeze: approval required`,
            1,
            this.config.policy.itApproverRoles,
          );
        }
        if (notAuto === undefined) {
          return decide(
            'auto',
            'rule-2-auto-it',
            `${describe(target)} is IT in an auto zone: automatic containment allowed`,
          );
        }
        return decide(
          'approve',
          'rule-12-zone-mode',
          `zone ${notAuto.zone ?? '?'} is in approve mode`,
          1,
          this.config.policy.itApproverRoles,
        );
      }
      return decide(
        'recommend',
        'rule-12-zone-mode',
        `zone ${notAuto.zone ?? '?'} is in ${notAuto.mode} mode: propose, never execute`,
      );
    }

    const restricted = ot.find((t) => t.mode === 'monitor' || t.mode === 'recommend');
    if (restricted !== undefined) {
      return decide(
        'recommend',
        'rule-12-zone-mode',
        `zone ${restricted.zone ?? '?'} is in ${restricted.mode} mode: propose, never execute`,
      );
    }
    // Rule 3 exception: the exact action is on each OT zone's signed pre-authorized catalog (never under a freeze).
    const preAuthorizations = frozen === undefined ? this.preAuthorized(action, ot, now) : undefined;
    if (preAuthorizations !== undefined) {
      const who = preAuthorizations.map((p) => `${p.zone}: ${p.approvedBy.join(' + ')}, ${p.ticket}`).join('; ');
      return decide(
        'auto',
        'rule-3-pre-authorized',
        `${action.type} is pre-authorized for ${describe(target)} (${who})`,
        0,
        [],
        preAuthorizations,
      );
    }
    const roles = this.config.policy.otApproverRoles;
    const dual = ot.find(
      (t) => t.criticality !== undefined && this.config.policy.dualApprovalFor.some((c) => c === t.criticality),
    );
    const unknown = ot.find((t) => !t.known);
    const first = ot[0] as ResolvedTarget;
    const [rule, reason, approvals] =
      dual !== undefined
        ? [
            'rule-7-dual-approval',
            `${describe(dual)} is OT with ${dual.criticality ?? '?'} criticality: two OT approvers required`,
            2,
          ]
        : unknown !== undefined
          ? [
              'rule-1-unknown-is-ot',
              `${describe(unknown)} is not in the inventory: treated as OT, approval required`,
              1,
            ]
          : ['rule-3-ot-change-needs-approval', `${describe(first)} is OT: a change needs an OT approver`, 1];
    if (frozen !== undefined) {
      // Rule 13: a freeze raises the requirement by one approver.
      return decide(
        'approve',
        'rule-13-change-freeze',
        `zone ${frozen.zone ?? '?'} is under a change freeze: ${approvals + 1} OT approvers required (${rule})`,
        approvals + 1,
        roles,
      );
    }
    return decide('approve', rule, reason, approvals, roles);
  }

  /** An account is judged by the host it was seen on (params.host); without one it is unknown, i.e. OT. */
  private resolveTarget(action: ActionRequest, spec: ActionSpec): ResolvedTarget {
    if (spec.targets !== 'account') return this.inventory.resolve(action.target);
    const host = action.params['host'];
    const seenOn = this.inventory.resolve(typeof host === 'string' && host !== '' ? host : action.target);
    const { assetId: _assetId, ...rest } = seenOn;
    return { ...rest, ref: action.target, ...(seenOn.assetId === undefined ? {} : { hostAssetId: seenOn.assetId }) };
  }

  /** Segments an action affects beyond its target, e.g. the address a firewall rule blocks. */
  private extraAffected(
    action: ActionRequest,
    target: ResolvedTarget,
    spec: ActionSpec,
    plan: ContainmentPlan | undefined,
  ): ResolvedTarget[] {
    if (plan !== undefined) {
      // Rule 6: judged by where the traffic went and by the DMZ/conduit firewall changed (rule 3: OT).
      const extra = plan.toward === undefined ? [] : [plan.toward];
      return plan.choice === undefined ? extra : [...extra, this.pointSegment(plan.point, plan.choice)];
    }
    if (spec.targets === 'account') return [];
    const ip = action.params['ip'];
    if (typeof ip === 'string' && ip !== '' && !target.ips?.includes(ip)) return [this.inventory.resolve(ip)];
    return [];
  }

  /** The connector that carries the action out: the enforcement point's (rule 6), else the chosen one. */
  private connectorOf(
    spec: ActionSpec,
    plan: ContainmentPlan | undefined,
    action: ActionRequest,
    target: ResolvedTarget,
  ): string | undefined {
    if (plan !== undefined) return plan.choice?.integration;
    const zone = target.zone === undefined ? undefined : this.inventory.zone(target.zone);
    return chooseConnector(spec, action, target, this.config.integrations, zone);
  }

  /** The connector and where it applies (a firewall's VDOM or vsys): part of the action digest. */
  private enforcementPoint(plan: ContainmentPlan | undefined, connector: string | undefined): string {
    if (plan !== undefined) {
      return plan.choice === undefined
        ? 'none'
        : `${plan.choice.integration}:${plan.choice.vdom}@${plan.choice.enforcementPointId}`;
    }
    const facts = connector === undefined ? undefined : this.firewallFacts(connector);
    return facts === undefined ? (connector ?? 'none') : `${connector}:${facts.scope}`;
  }

  /** A firewall connector's partition and time box: its configuration, else its manifest's defaults. */
  private firewallFacts(connector: string): FirewallFacts | undefined {
    const enforcement = CONNECTOR_MANIFESTS.find((m) => m.id === connector)?.enforcement;
    if (enforcement === undefined) return undefined;
    const config = (this.config.integrations as Readonly<Record<string, unknown>>)[connector] as
      Readonly<Record<string, unknown>> | undefined;
    const scope = config?.[enforcement.scope.configKey];
    const expiry = config?.[enforcement.timeBox.configKey];
    return {
      scope: typeof scope === 'string' ? scope : enforcement.scope.default,
      expiresAfterMs: typeof expiry === 'number' ? expiry : enforcement.timeBox.defaultMs,
      mechanism: enforcement.timeBox.mechanism,
    };
  }

  /**
   * Rule 6: where an intent action is enforced — a deny at the IT side of the IT/OT DMZ, else a
   * narrow deny on the zone conduit, protecting the zone the traffic reached (params.toward).
   * remote.end_sessions (the order's middle step: cut what the source already has open) picks
   * its point the same way, so a playbook's contain.source then remote.end_sessions act on the
   * same firewall: no new session once blocked, then none left open. Nothing is ever enforced
   * inline inside levels 0-2 (the configuration refuses such enforcement points).
   */
  private planContainment(action: ActionRequest, source: ResolvedTarget): ContainmentPlan {
    const towardRef = action.params['toward'];
    if (typeof towardRef !== 'string' || towardRef === '')
      return { why: 'params.toward (where the traffic went) is missing' };
    const toward = this.inventory.resolve(towardRef);
    if (toward.zone === undefined) return { toward, why: `${towardRef} is in no known zone: no enforcement point` };
    const blockedIp = source.ips?.[0];
    if (blockedIp === undefined) return { toward, why: `${source.ref} has no known address to deny` };
    const points = (this.config.enforcementPoints ?? []).filter((p) => p.protects.includes(toward.zone as string));
    const point = points.find((p) => p.side === 'it-dmz') ?? points.find((p) => p.side === 'conduit');
    if (point === undefined) return { toward, why: `no enforcement point protects zone ${toward.zone}` };
    return {
      point,
      toward,
      choice: {
        enforcementPointId: point.id,
        side: point.side,
        integration: point.integration,
        vdom: point.vdom ?? this.firewallFacts(point.integration)?.scope ?? 'root',
        protectedZone: toward.zone,
        blockedIp,
      },
    };
  }

  /** The firewall an intent action changes, as a segment: always OT (rule 3: DMZ and conduit rules). */
  private pointSegment(point: EnforcementPointConfig, choice: ContainmentChoice): ResolvedTarget {
    const zone = this.inventory.zone(point.zone ?? choice.protectedZone);
    return {
      ref: point.id,
      zone: zone?.id ?? choice.protectedZone,
      purdueLevel: zone?.purdueLevel,
      kind: 'firewall',
      safetySystem: false,
      known: true,
      domain: 'ot',
      mode: zone?.mode === 'auto' || zone === undefined ? 'approve' : zone.mode,
      edr: {},
    };
  }

  /**
   * Rule 10: firewall quarantines lapse on their own, after the connector's time box (FortiGate
   * ban expiry, PAN-OS tag timeout) or params.expirySeconds.
   */
  private timeBox(
    action: ActionRequest,
    plan: ContainmentPlan | undefined,
    connector: string | undefined,
  ): TimeBox | undefined {
    if (
      action.type !== 'firewall.quarantine_ip' &&
      action.type !== 'firewall.extend_quarantine' &&
      action.type !== 'contain.source'
    )
      return undefined;
    if (plan !== undefined && plan.choice === undefined) return undefined;
    // An unconfigured firewall: the first registered one's defaults (the step fails as not configured).
    const facts =
      (connector === undefined ? undefined : this.firewallFacts(connector)) ??
      this.firewallFacts(CONNECTOR_MANIFESTS.find((m) => m.enforcement !== undefined)?.id ?? '');
    if (facts === undefined) return undefined;
    const seconds = action.params['expirySeconds'];
    const expiresAfterMs = typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : facts.expiresAfterMs;
    return {
      expiresAfterMs,
      mechanism: facts.mechanism,
      extendWith: action.type === 'contain.source' ? 'contain.source' : 'firewall.extend_quarantine',
    };
  }

  /**
   * Rule 3 exception: every OT segment the action affects is covered by its zone's pre-authorized
   * catalog. Unknown segments never are; a criticality needing dual approval (rule 7) is covered
   * only by an entry marked `dual` (the configuration requires two approvers for it).
   */
  private preAuthorized(action: ActionRequest, ot: ResolvedTarget[], now: Date): PreAuthorization[] | undefined {
    const found = new Map<string, PreAuthorization>();
    for (const segment of ot) {
      if (!segment.known || segment.zone === undefined) return undefined;
      const zone = this.inventory.zone(segment.zone);
      if (zone === undefined) return undefined;
      const needsDual =
        segment.criticality !== undefined && this.config.policy.dualApprovalFor.some((c) => c === segment.criticality);
      const entry = (zone.preAuthorized ?? []).find(
        (e) => coversSegment(e, action, segment, now) && (!needsDual || e.dual),
      );
      if (entry === undefined) return undefined;
      found.set(`${zone.id}:${entry.ticket}`, {
        zone: zone.id,
        approvedBy: entry.approvedBy,
        ticket: entry.ticket,
        dual: entry.dual,
      });
    }
    return found.size === 0 ? undefined : [...found.values()];
  }

  /** Rule 13: the listed maintenance window covering the target now (its zone, and its asset if listed). */
  private maintenanceWindow(target: ResolvedTarget, now: Date): { id: string; changeTicket?: string } | undefined {
    const at = now.getTime();
    const window = this.config.maintenanceWindows.find(
      (w) =>
        w.zone === target.zone &&
        (w.assets.length === 0 || (target.assetId !== undefined && w.assets.includes(target.assetId))) &&
        Date.parse(w.start) <= at &&
        at < Date.parse(w.end),
    );
    if (window === undefined) return undefined;
    return { id: window.id, ...(window.changeTicket === undefined ? {} : { changeTicket: window.changeTicket }) };
  }
}

function isIntent(action: ActionRequest): boolean {
  return (INTENT_ACTIONS as readonly string[]).includes(action.type);
}

/** A pre-authorized entry covers exactly its action, its listed targets and, if given, exactly its parameters. */
function coversSegment(entry: PreAuthorizedAction, action: ActionRequest, segment: ResolvedTarget, now: Date): boolean {
  if (entry.action !== action.type) return false;
  if (entry.until !== undefined && now.getTime() >= Date.parse(entry.until)) return false;
  if (entry.targets !== undefined && !entry.targets.includes(segment.assetId ?? segment.ref)) return false;
  if (entry.params === undefined) return true;
  const wanted = entry.params;
  const keys = Object.keys(action.params);
  return keys.length === Object.keys(wanted).length && keys.every((k) => wanted[k] === action.params[k]);
}

function describe(target: ResolvedTarget): string {
  const name = target.assetId ?? target.ref;
  const where =
    target.zone !== undefined
      ? ` (zone ${target.zone}, Purdue ${target.purdueLevel ?? '?'})`
      : ' (not in the inventory)';
  return `${name}${where}`;
}
