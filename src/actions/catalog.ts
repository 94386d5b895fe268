/**
 * The action catalog: every action a playbook may name, what it changes, what it targets,
 * how it is undone, who carries it out and on which Purdue levels it may ever be executed.
 * Pure data — imported by workflow code, policy and validation alike.
 */
export type ActionEffect = 'read-only' | 'reversible' | 'irreversible';

export const ACTION_TYPES = [
  'edr.contain_host',
  'edr.release_host',
  'firewall.quarantine_ip',
  'firewall.release_ip',
  'firewall.extend_quarantine',
  'contain.source',
  'release.source',
  'remote.end_sessions',
  'identity.disable_account',
  'identity.enable_account',
  'identity.revoke_sessions',
  'task.create',
  'sensor.acknowledge_alert',
  'sensor.close_alert',
  'sensor.learn_alert',
  'intel.lookup',
  'ot.restart_device',
  'ot.stop_device',
  'ot.change_mode',
  'ot.download_logic',
  'ot.quarantine_host',
  'ot.active_scan',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/**
 * Who carries an action out: the connector of a capability (integrations/registry.ts: the policy
 * picks one connector per decision, and the action digest binds it), or people (a task through
 * the ticketing connector; the engine never does it itself).
 */
export type Executor = 'edr' | 'firewall' | 'identity' | 'ticketing' | 'ot-sensor' | 'enrichment' | 'people';

/** Every Purdue level the inventory knows (3.5 = IT/OT DMZ). */
export const ALL_PURDUE_LEVELS = [0, 1, 2, 3, 3.5, 4, 5] as const;
/** Rule 4: levels on which restart/stop, mode change, logic download, quarantine and scans are never executed. */
export const NEVER_AUTOMATED_LEVELS = [0, 1, 2] as const;
const ABOVE_CELL = [3, 3.5, 4, 5] as const;

/** Intent actions (rule 6): the playbook names what to contain, the engine picks where. */
export const INTENT_ACTIONS = ['contain.source', 'release.source', 'remote.end_sessions'] as const;

export interface ActionSpec {
  /** What the action changes. Policy treats anything but read-only as a change. */
  effect: ActionEffect;
  /**
   * What `target` names: a host (asset ID, hostname or IP), an IP address, or an account
   * (judged by the host in `params.host`: an account on an OT host is OT).
   */
  targets: 'host' | 'ip' | 'account';
  /** The enforcement point; `people` actions become tasks and are never executed by the engine. */
  integration: Executor;
  /** The action that undoes this one, if any (rule 10, saga rollback). */
  compensation?: ActionType;
  /** Purdue levels the action may ever be executed on; elsewhere it is only recommended (rule 4). */
  allowedPurdueLevels: readonly number[];
  /** Counts against the blast-radius limit when it runs automatically (rule 14). */
  containment: boolean;
  description: string;
}

export const ACTION_CATALOG = {
  'edr.contain_host': {
    effect: 'reversible',
    targets: 'host',
    integration: 'edr',
    compensation: 'edr.release_host',
    allowedPurdueLevels: ABOVE_CELL,
    containment: true,
    description:
      'Network-contain a host through its EDR agent (CrowdStrike Falcon, Microsoft Defender for Endpoint, SentinelOne: the asset’s EDR in the inventory, else its zone’s default).',
  },
  'edr.release_host': {
    effect: 'reversible',
    targets: 'host',
    integration: 'edr',
    compensation: 'edr.contain_host',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Lift EDR network containment of a host.',
  },
  'firewall.quarantine_ip': {
    effect: 'reversible',
    targets: 'ip',
    integration: 'firewall',
    compensation: 'firewall.release_ip',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: true,
    description:
      'Quarantine an IP address on the firewall, time-boxed and without a configuration change (FortiGate banned users, PAN-OS tag registration feeding a dynamic address group). The target names the segment the block protects; params.ip the address blocked.',
  },
  'firewall.release_ip': {
    effect: 'reversible',
    targets: 'ip',
    integration: 'firewall',
    compensation: 'firewall.quarantine_ip',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description: 'Remove an IP address from the firewall quarantine.',
  },
  'firewall.extend_quarantine': {
    effect: 'reversible',
    targets: 'ip',
    integration: 'firewall',
    compensation: 'firewall.release_ip',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Extend an existing firewall quarantine (rule 10: a time-boxed change is extended only as a new, policy-checked action). params.ip the address blocked, params.expirySeconds the new time box.',
  },
  'contain.source': {
    // Intent (rule 6): the engine picks the enforcement point, never inline inside levels 0-2.
    effect: 'reversible',
    targets: 'host',
    integration: 'firewall',
    compensation: 'release.source',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: true,
    description:
      'Contain the source of traffic into OT: the target is the source, params.toward the OT asset or address it reached. The engine picks the enforcement point (rule 6): a deny at the IT side of the IT/OT DMZ, else a narrow deny on the zone conduit.',
  },
  'release.source': {
    effect: 'reversible',
    targets: 'host',
    integration: 'firewall',
    compensation: 'contain.source',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Lift a contain.source block, at the enforcement point the engine picks for it (same as contain.source).',
  },
  'remote.end_sessions': {
    // Rule 6's middle step: cut what the source already has open before (or instead of) a block.
    effect: 'irreversible',
    targets: 'host',
    integration: 'firewall',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: true,
    description:
      'End the source’s active sessions (remote access included) at the enforcement point the engine picks, as for contain.source: the target is the source, params.toward the OT asset or address it reached. Sessions cannot be restored, only re-opened by their users.',
  },
  'identity.disable_account': {
    effect: 'reversible',
    targets: 'account',
    integration: 'identity',
    compensation: 'identity.enable_account',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: true,
    description:
      'Disable (suspend) a user account at the identity provider. params.host names the host it was seen on.',
  },
  'identity.enable_account': {
    effect: 'reversible',
    targets: 'account',
    integration: 'identity',
    compensation: 'identity.disable_account',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description: 'Re-enable a user account at the identity provider.',
  },
  'identity.revoke_sessions': {
    effect: 'irreversible',
    targets: 'account',
    integration: 'identity',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: true,
    description:
      'Revoke the account’s sign-in sessions and refresh tokens at the identity provider (it must sign in again). params.host names the host it was seen on.',
  },
  'task.create': {
    effect: 'read-only',
    targets: 'host',
    integration: 'ticketing',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Create a ticket for people about the target (params.summary, params.description). Changes nothing on the target. With params.closeInMaintenanceWindow it is closed at once, citing the change ticket, when the target is inside a listed maintenance window.',
  },
  'sensor.acknowledge_alert': {
    // The sensor's own bookkeeping: nothing in the plant or in what the sensor detects changes.
    effect: 'read-only',
    targets: 'host',
    integration: 'ot-sensor',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Acknowledge the OT sensor’s alert (params.alertId, the vendor’s alert ID) about the target asset (Nozomi, Defender for IoT).',
  },
  'sensor.close_alert': {
    effect: 'read-only',
    targets: 'host',
    integration: 'ot-sensor',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Close (handle) the OT sensor’s alert params.alertId about the target asset, without changing what the sensor considers normal.',
  },
  'sensor.learn_alert': {
    // Learning changes the sensor's baseline: what it will no longer report. An OT change (rule 3).
    effect: 'irreversible',
    targets: 'host',
    integration: 'ot-sensor',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Close the OT sensor’s alert params.alertId as learned (“handle and learn”): the sensor adds the behaviour to its baseline and stops reporting it — a change the policy gates like any other OT change.',
  },
  'intel.lookup': {
    effect: 'read-only',
    targets: 'host',
    integration: 'enrichment',
    allowedPurdueLevels: ALL_PURDUE_LEVELS,
    containment: false,
    description:
      'Look up an observable in threat intelligence (VirusTotal, MISP): the target is the file hash, IP, domain or URL; params.type (hash, ip, domain, url) when it cannot be told from the value. Changes nothing; the result is recorded and later steps read it (steps.<id>.result).',
  },
  'ot.restart_device': {
    effect: 'irreversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Restart an OT device. Never executed on levels 0-2 (rule 4): a task for people.',
  },
  'ot.stop_device': {
    effect: 'irreversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Stop an OT device or process. Never executed on levels 0-2 (rule 4): a task for people.',
  },
  'ot.change_mode': {
    effect: 'irreversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Change a controller mode (run/program/remote). Never executed on levels 0-2 (rule 4).',
  },
  'ot.download_logic': {
    effect: 'irreversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Download logic or firmware to a controller. Never executed on levels 0-2 (rule 4).',
  },
  'ot.quarantine_host': {
    effect: 'reversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Quarantine an OT host on its own network. Never executed on levels 0-2 (rule 4).',
  },
  'ot.active_scan': {
    // Active scans can crash fragile controllers: treated as a change, not as read-only.
    effect: 'irreversible',
    targets: 'host',
    integration: 'people',
    allowedPurdueLevels: ABOVE_CELL,
    containment: false,
    description: 'Actively scan an OT host or segment. Never executed on levels 0-2 (rule 4): a task for people.',
  },
} as const satisfies Record<ActionType, ActionSpec>;

/** Actions only people carry out (rule 4): an approved one becomes a task through the ticketing connector. */
export const PEOPLE_ACTIONS = [
  'ot.restart_device',
  'ot.stop_device',
  'ot.change_mode',
  'ot.download_logic',
  'ot.quarantine_host',
  'ot.active_scan',
] as const satisfies readonly ActionType[];

export function isActionType(value: string): value is ActionType {
  return Object.hasOwn(ACTION_CATALOG, value);
}

export function actionSpec(type: ActionType): ActionSpec {
  return ACTION_CATALOG[type];
}

/** One concrete action: what to do, to what, with which parameters. */
export interface ActionRequest {
  type: ActionType;
  /** Asset ID, hostname, IP or account as written by the playbook (after templating). */
  target: string;
  params: Record<string, string | number | boolean>;
}
