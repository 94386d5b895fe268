import { ACTION_CATALOG, type ActionRequest, type ActionSpec } from '../actions/catalog';
import type { InterlockConfig } from '../config/schema';
import { actionDigest } from './digest';
import { Inventory } from './inventory';
import type { PolicyDecision, PolicyOutcome, ResolvedTarget } from './types';

/**
 * The one place that decides whether an action may run (ot-safety.md). Every action —
 * whatever the playbook says — is decided here before it runs, and decided again by the
 * execution gate right before the integration is called.
 */
export class PolicyEngine {
  readonly inventory: Inventory;

  constructor(private readonly config: Pick<InterlockConfig, 'zones' | 'assets' | 'policy' | 'integrations'>) {
    this.inventory = new Inventory(config);
  }

  decide(action: ActionRequest): PolicyDecision {
    const spec: ActionSpec = ACTION_CATALOG[action.type];
    const target = this.inventory.resolve(action.target);
    const affected = [target, ...this.extraAffected(action, target)];
    const enforcementPoint = this.enforcementPoint(action);
    const digest = actionDigest(action, target.assetId ?? target.ref, enforcementPoint);
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
    if (spec.effect === 'read-only') return decide('auto', 'read-only', 'the action changes nothing');

    const ot = affected.filter((t) => t.domain === 'ot');
    if (ot.length === 0) {
      const notAuto = affected.find((t) => t.mode !== 'auto');
      if (notAuto === undefined) {
        return decide(
          'auto',
          'rule-2-auto-it',
          `${describe(target)} is IT in an auto zone: automatic containment allowed`,
        );
      }
      if (notAuto.mode === 'approve') {
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
    if (dual !== undefined) {
      return decide(
        'approve',
        'rule-7-dual-approval',
        `${describe(dual)} is OT with ${dual.criticality ?? '?'} criticality: two OT approvers required`,
        2,
        roles,
      );
    }
    const unknown = ot.find((t) => !t.known);
    if (unknown !== undefined) {
      return decide(
        'approve',
        'rule-1-unknown-is-ot',
        `${describe(unknown)} is not in the inventory: treated as OT, approval required`,
        1,
        roles,
      );
    }
    const first = ot[0] as ResolvedTarget;
    return decide(
      'approve',
      'rule-3-ot-change-needs-approval',
      `${describe(first)} is OT: a change needs an OT approver`,
      1,
      roles,
    );
  }

  /** Segments an action affects beyond its target, e.g. the address a firewall rule blocks. */
  private extraAffected(action: ActionRequest, target: ResolvedTarget): ResolvedTarget[] {
    const ip = action.params['ip'];
    if (typeof ip === 'string' && ip !== '' && !target.ips?.includes(ip)) return [this.inventory.resolve(ip)];
    return [];
  }

  private enforcementPoint(action: ActionRequest): string {
    const integration = ACTION_CATALOG[action.type].integration;
    if (integration === 'fortigate') return `fortigate:${this.config.integrations.fortigate?.vdom ?? 'root'}`;
    return integration;
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
