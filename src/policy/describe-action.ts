/**
 * Every catalog action in words a plant engineer reads, with the technical form beside it:
 * "block 10.10.8.23 at the Fortinet FortiGate fw-dmz that protects rtu-3 (zone substation)"
 * next to "contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-dmz". Used where people
 * are asked or told about an action: the Slack approval message, the approval emails and the
 * approvals API. Pure (no I/O), but it reads the connector registry for titles, so it stays out
 * of workflow code (notifications are formatted in activities and the API).
 *
 * The values come from playbooks and alerts (untrusted): callers escape for their medium.
 */
import { CONNECTOR_MANIFESTS } from '../../integrations/registry';
import type { AuditTarget } from '../audit/types';
import { isActionType, type ActionType } from '../actions/catalog';
import type { ContainmentChoice } from './types';

/** What is described: a policy decision, or an approval row with its audited enforcement point. */
export interface DescribableAction {
  action: { type: string; target: string; params: Readonly<Record<string, string | number | boolean>> };
  /** The target as the inventory resolved it (asset, zone, kind), when known. */
  target?: Partial<AuditTarget> | null | undefined;
  /** e.g. crowdstrike, fortigate:root, fortigate:root@fw-dmz, jira; `none` or absent when unknown. */
  enforcementPoint?: string | undefined;
  /** Rule 6: the point an intent action is enforced at (a policy decision has it). */
  containment?: ContainmentChoice | undefined;
  /** Rule 10: how long the change lasts before it lapses on its own. */
  timeBox?: { expiresAfterMs: number } | undefined;
}

export interface ActionDescription {
  /** For people: what happens, to what, where. */
  text: string;
  /** The exact form: action type, target, parameters → enforcement point. */
  technical: string;
}

const MAX_VALUE = 120;

function clip(value: string | number | boolean): string {
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

interface Point {
  connector?: string;
  title?: string;
  scope?: string;
  pointId?: string;
}

/** `connector[:scope][@pointId]`, with the connector's product name from the registry. */
function pointOf(enforcementPoint: string | undefined, containment: ContainmentChoice | undefined): Point {
  if (containment !== undefined) {
    return {
      connector: containment.integration,
      title: titleOf(containment.integration),
      scope: containment.vdom,
      pointId: containment.enforcementPointId,
    };
  }
  if (enforcementPoint === undefined || enforcementPoint === '' || enforcementPoint === 'none') return {};
  const [head = '', pointId] = enforcementPoint.split('@', 2);
  const [connector = '', scope] = head.split(':', 2);
  return {
    connector,
    title: titleOf(connector),
    ...(scope !== undefined && scope !== '' && { scope }),
    ...(pointId !== undefined && pointId !== '' && { pointId }),
  };
}

function titleOf(connector: string): string {
  return CONNECTOR_MANIFESTS.find((m) => m.id === connector)?.title ?? connector;
}

/** "rtu-3 (rtu, zone substation-1)", "10.10.8.23 (not in the inventory)". */
function thing(input: DescribableAction): string {
  const t = input.target ?? undefined;
  const name = clip(t?.assetId ?? input.action.target);
  if (t === undefined || t.known === false) return `${name} (not in the inventory)`;
  const about = [t.kind, t.zone === undefined ? undefined : `zone ${t.zone}`].filter((p) => p !== undefined);
  return about.length === 0 ? name : `${name} (${about.join(', ')})`;
}

/** The address a firewall action blocks: params.ip, else the target's first address, else the target. */
function addressOf(input: DescribableAction): string {
  const ip = input.action.params['ip'];
  if (typeof ip === 'string' && ip !== '') return clip(ip);
  if (input.containment !== undefined) return input.containment.blockedIp;
  return clip(input.target?.ips?.[0] ?? input.action.target);
}

/** The asset named by the target, when the address is not that name ("10.0.0.5, laptop-7"). */
function addressWithName(input: DescribableAction): string {
  const address = addressOf(input);
  const name = input.target?.assetId;
  return name === undefined || name === address ? address : `${address} (${clip(name)})`;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = ms / 3_600_000;
  if (hours < 48) return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
  return `${Math.round(hours / 24)} days`;
}

function firewall(point: Point): string {
  const title = point.title ?? 'firewall';
  return `the ${title}${point.pointId === undefined ? '' : ` ${point.pointId}`}`;
}

/** "that protects rtu-3 (zone substation-1)" for an intent action. */
function protecting(input: DescribableAction): string {
  const toward = input.action.params['toward'];
  const zone = input.containment?.protectedZone;
  const what = typeof toward === 'string' && toward !== '' ? clip(toward) : undefined;
  if (what === undefined) return zone === undefined ? '' : ` that protects zone ${zone}`;
  return ` that protects ${what}${zone === undefined ? '' : ` (zone ${zone})`}`;
}

function at(point: Point, fallback: string): string {
  return point.title ?? fallback;
}

function account(input: DescribableAction): string {
  const host = input.action.params['host'];
  const seen = typeof host === 'string' && host !== '' ? `, seen on ${clip(host)}` : '';
  return `${clip(input.action.target)}${seen}`;
}

function peopleTask(point: Point, what: string): string {
  return `ask people to ${what} — a ticket in ${at(point, 'the ticketing tool')}; Interlock never does this itself`;
}

function alertId(input: DescribableAction): string {
  return clip(input.action.params['alertId'] ?? input.action.target);
}

const PHRASES: Record<ActionType, (input: DescribableAction, point: Point) => string> = {
  'edr.contain_host': (i, p) =>
    `cut ${thing(i)} off the network with ${at(p, 'its EDR')} (it keeps talking only to the EDR console)`,
  'edr.release_host': (i, p) => `reconnect ${thing(i)} to the network (lift the ${at(p, 'EDR')} isolation)`,
  'firewall.quarantine_ip': (i, p) =>
    `block ${addressWithName(i)} at ${firewall(p)}${p.scope === undefined ? '' : ` (${p.scope})`}` +
    (i.timeBox === undefined ? '' : ` for ${duration(i.timeBox.expiresAfterMs)}, then it lapses`),
  'firewall.release_ip': (i, p) => `unblock ${addressWithName(i)} at ${firewall(p)}`,
  'firewall.extend_quarantine': (i, p) => {
    const seconds = i.action.params['expirySeconds'];
    const longer = typeof seconds === 'number' ? ` for ${duration(seconds * 1000)} more` : ' for longer';
    return `keep ${addressWithName(i)} blocked at ${firewall(p)}${longer}`;
  },
  'contain.source': (i, p) =>
    `block ${addressWithName(i)} at ${firewall(p)}${protecting(i)}` +
    (i.timeBox === undefined ? '' : ` for ${duration(i.timeBox.expiresAfterMs)}, then it lapses`),
  'release.source': (i, p) => `unblock ${addressWithName(i)} at ${firewall(p)}${protecting(i)}`,
  'remote.end_sessions': (i, p) => `end the open sessions from ${addressWithName(i)} at ${firewall(p)}${protecting(i)}`,
  'identity.disable_account': (i, p) =>
    `disable the account ${account(i)} at ${at(p, 'the identity provider')} (the person cannot sign in)`,
  'identity.enable_account': (i, p) => `re-enable the account ${account(i)} at ${at(p, 'the identity provider')}`,
  'identity.revoke_sessions': (i, p) =>
    `sign the account ${account(i)} out everywhere (revoke its sessions at ${at(p, 'the identity provider')})`,
  'task.create': (i, p) => {
    const summary = i.action.params['summary'];
    return `open a ticket in ${at(p, 'the ticketing tool')} about ${thing(i)}${
      typeof summary === 'string' ? `: “${clip(summary)}”` : ''
    } (changes nothing on it)`;
  },
  'sensor.acknowledge_alert': (i, p) =>
    `mark alert ${alertId(i)} as acknowledged on ${at(p, 'the OT sensor')} (changes nothing in the plant)`,
  'sensor.close_alert': (i, p) => `close alert ${alertId(i)} on ${at(p, 'the OT sensor')}`,
  'sensor.learn_alert': (i, p) =>
    `teach ${at(p, 'the OT sensor')} that what alert ${alertId(i)} saw is normal, so it stops alerting on it`,
  'intel.lookup': (i, p) => `look up ${clip(i.action.target)} at ${at(p, 'threat intelligence')} (reads only)`,
  'ot.restart_device': (i, p) => peopleTask(p, `restart ${thing(i)}`),
  'ot.stop_device': (i, p) => peopleTask(p, `stop ${thing(i)}`),
  'ot.change_mode': (i, p) => {
    const mode = i.action.params['mode'];
    return peopleTask(p, `switch ${thing(i)} to ${typeof mode === 'string' ? `${clip(mode)} mode` : 'another mode'}`);
  },
  'ot.download_logic': (i, p) => peopleTask(p, `download logic or firmware to ${thing(i)}`),
  'ot.quarantine_host': (i, p) => peopleTask(p, `isolate ${thing(i)} on its own network`),
  'ot.active_scan': (i, p) => peopleTask(p, `actively scan ${thing(i)}`),
};

/** The action type of every description: a test checks each catalog action has one. */
export const DESCRIBED_ACTIONS = Object.keys(PHRASES) as ActionType[];

export function technicalForm(input: DescribableAction): string {
  const params = Object.entries(input.action.params)
    .filter(([name]) => name !== 'connector' && name !== 'description')
    .map(([name, value]) => ` ${name}=${clip(value)}`)
    .join('');
  const point =
    input.enforcementPoint === undefined || input.enforcementPoint === '' ? '' : ` → ${input.enforcementPoint}`;
  return `${input.action.type} ${clip(input.action.target)}${params}${point}`;
}

export function describeAction(input: DescribableAction): ActionDescription {
  const technical = technicalForm(input);
  const type = input.action.type;
  if (!isActionType(type)) return { text: `${clip(type)} on ${clip(input.action.target)}`, technical };
  return { text: PHRASES[type](input, pointOf(input.enforcementPoint, input.containment)), technical };
}

/** "block 10.10.8.23 at … (contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-dmz)" */
export function describeActionLine(input: DescribableAction): string {
  const { text, technical } = describeAction(input);
  return `${text} (${technical})`;
}
