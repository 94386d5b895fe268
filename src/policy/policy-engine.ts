import { ACTION_CATALOG, type ActionRequest, type ActionSpec } from '../actions/catalog';
import type { InterlockConfig } from '../config/schema';
import { actionDigest } from './digest';
import { Inventory } from './inventory';
import type { PolicyDecision, PolicyOutcome, ResolvedTarget } from './types';

export type PolicyConfig = Pick<InterlockConfig, 'zones' | 'assets' | 'policy' | 'integrations' | 'maintenanceWindows'>;

/** Every rule name a decision can carry (README "Policy"). */
export const POLICY_RULES = [
  'rule-1-unknown-is-ot',
  'rule-2-auto-it',
  'rule-3-ot-change-needs-approval',
  'rule-4-never-automated-ot',
  'rule-5-safety-system',
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
    const affected = [target, ...this.extraAffected(action, target, spec)];
    const enforcementPoint = this.enforcementPoint(spec);
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
  private extraAffected(action: ActionRequest, target: ResolvedTarget, spec: ActionSpec): ResolvedTarget[] {
    if (spec.targets === 'account') return [];
    const ip = action.params['ip'];
    if (typeof ip === 'string' && ip !== '' && !target.ips?.includes(ip)) return [this.inventory.resolve(ip)];
    return [];
  }

  private enforcementPoint(spec: ActionSpec): string {
    if (spec.integration === 'fortigate') return `fortigate:${this.config.integrations.fortigate?.vdom ?? 'root'}`;
    return spec.integration;
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

function describe(target: ResolvedTarget): string {
  const name = target.assetId ?? target.ref;
  const where =
    target.zone !== undefined
      ? ` (zone ${target.zone}, Purdue ${target.purdueLevel ?? '?'})`
      : ' (not in the inventory)';
  return `${name}${where}`;
}
