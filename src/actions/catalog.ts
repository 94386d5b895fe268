/**
 * The action catalog: every action a playbook may name, what it changes, and how it is
 * undone. Pure data — imported by workflow code, policy and validation alike.
 */
export type ActionEffect = 'read-only' | 'reversible' | 'irreversible';

export const ACTION_TYPES = [
  'edr.contain_host',
  'edr.release_host',
  'firewall.quarantine_ip',
  'firewall.release_ip',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface ActionSpec {
  /** What the action changes. Policy treats anything but read-only as a change. */
  effect: ActionEffect;
  /** What `target` names: a host (asset ID, hostname or IP) or an IP address. */
  targets: 'host' | 'ip';
  /** Integration that enforces it, i.e. the enforcement point. */
  integration: 'crowdstrike' | 'fortigate';
  /** The action that undoes this one, if any. */
  compensation?: ActionType;
  description: string;
}

export const ACTION_CATALOG = {
  'edr.contain_host': {
    effect: 'reversible',
    targets: 'host',
    integration: 'crowdstrike',
    compensation: 'edr.release_host',
    description: 'Network-contain a host through its EDR agent (CrowdStrike Falcon).',
  },
  'edr.release_host': {
    effect: 'reversible',
    targets: 'host',
    integration: 'crowdstrike',
    compensation: 'edr.contain_host',
    description: 'Lift EDR network containment of a host.',
  },
  'firewall.quarantine_ip': {
    effect: 'reversible',
    targets: 'ip',
    integration: 'fortigate',
    compensation: 'firewall.release_ip',
    description: 'Quarantine an IP address on the firewall (FortiGate banned users, no config change).',
  },
  'firewall.release_ip': {
    effect: 'reversible',
    targets: 'ip',
    integration: 'fortigate',
    compensation: 'firewall.quarantine_ip',
    description: 'Remove an IP address from the firewall quarantine.',
  },
} as const satisfies Record<ActionType, ActionSpec>;

export function isActionType(value: string): value is ActionType {
  return Object.hasOwn(ACTION_CATALOG, value);
}

/** One concrete action: what to do, to what, with which parameters. */
export interface ActionRequest {
  type: ActionType;
  /** Asset ID, hostname or IP as written by the playbook (after templating). */
  target: string;
  params: Record<string, string | number | boolean>;
}
