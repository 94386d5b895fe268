/**
 * Helpers connectors share when carrying out catalog actions: reading the decided action's
 * parameters, the ledger label of a ticket, the ticket text for people.
 */
import { createHash } from 'node:crypto';
import type { PolicyDecision } from '../src/policy/types';
import type { ActionCall, ActionHandler, ActionResult, Ticket, TicketingClient } from './connector';
import { IntegrationError } from './http';

/** The axios part of a call: its abort signal. */
export function signalOption(call: Pick<ActionCall, 'signal'>): { signal?: AbortSignal } {
  return call.signal === undefined ? {} : { signal: call.signal };
}

/** A call the decided action cannot make (a missing agent ID or address): a clear, permanent failure. */
export function rejected(integration: string, message: string): IntegrationError {
  return new IntegrationError(`${integration}: ${message}`, { integration, kind: 'invalid-input', retryable: false });
}

/** A string parameter of the decided action, if given and not empty. */
export function stringParam(decision: PolicyDecision, key: string): string | undefined {
  const value = decision.action.params[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A positive whole number of seconds from params.expirySeconds (rule 10 time box), if given. */
export function expirySeconds(decision: PolicyDecision): number | undefined {
  const value = decision.action.params['expirySeconds'];
  return typeof value === 'number' ? value : undefined;
}

/** The address a firewall action acts on: params.ip, else the target's first address. */
export function firewallIp(integration: string, decision: PolicyDecision): string {
  const ip = stringParam(decision, 'ip') ?? decision.target.ips?.[0];
  if (ip === undefined) throw rejected(integration, `no IP address to act on for ${decision.target.ref}`);
  return ip;
}

/**
 * What a firewall action changes, whatever the vendor: for an intent action (rule 6) the
 * enforcement point the engine picked (its partition: FortiGate VDOM, PAN-OS vsys) and the source
 * address it blocks; otherwise the configured partition (`partition` undefined) and the action's
 * address. `block` says whether the address is blocked or released; `expiry` is the time box the
 * action asks for, in seconds (undefined: the connector's default).
 */
export function firewallChange(integration: string, decision: PolicyDecision) {
  const { action } = decision;
  if (action.type === 'contain.source' || action.type === 'release.source' || action.type === 'remote.end_sessions') {
    // The decision carries the point the engine picked (and its digest binds it).
    const choice = decision.containment;
    if (choice === undefined) throw rejected(integration, `${action.type}: no enforcement point was chosen`);
    return {
      partition: choice.vdom as string | undefined,
      ip: choice.blockedIp,
      block: action.type === 'contain.source',
      expiry: expirySeconds(decision),
      choice,
    };
  }
  return {
    partition: undefined,
    ip: firewallIp(integration, decision),
    block: action.type !== 'firewall.release_ip',
    expiry: action.type === 'firewall.extend_quarantine' ? expirySeconds(decision) : undefined,
    choice: undefined,
  };
}

/** Rule 10: a pre-change read recorded with the result; a failed read is recorded as unknown. */
export async function preChangeRead(ip: string, read: () => Promise<object>): Promise<Record<string, unknown>> {
  try {
    return { ...(await read()) };
  } catch (error) {
    return { ip, unknown: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The label that marks the ticket created under a ledger key: a search for it is how a retry
 * after an interrupted attempt finds the ticket instead of creating a second one.
 */
export function ledgerLabel(ledgerKey: string): string {
  return `interlock-${createHash('sha256').update(ledgerKey).digest('hex').slice(0, 32)}`;
}

/** What a ledger label looks like: a ticketing client that stores it in its own field finds it among the labels. */
export const LEDGER_LABEL_PATTERN = /^interlock-[0-9a-f]{32}$/;

export interface TicketText {
  summary: string;
  description: string;
  labels: string[];
}

/** The ticket for a decided action: what people are asked to do, about which asset, and why. */
export function taskFor(decision: PolicyDecision, note?: string, ledgerKey?: string): TicketText {
  const { action, target } = decision;
  const name = target.assetId ?? target.ref;
  const summary = stringParam(decision, 'summary') ?? `${action.type} on ${name}`;
  const lines = [
    stringParam(decision, 'description') ?? '',
    note ?? '',
    `Action: ${action.type} on ${name}` +
      (target.zone === undefined
        ? ' (not in the inventory)'
        : ` (zone ${target.zone}, Purdue ${target.purdueLevel ?? '?'})`),
    `Policy: ${decision.outcome} (${decision.rule}): ${decision.reason}`,
    `Action digest: ${decision.actionDigest}`,
  ];
  return {
    summary,
    description: lines.filter((l) => l !== '').join('\n'),
    labels: [decision.rule, ...(ledgerKey === undefined ? [] : [ledgerLabel(ledgerKey)])],
  };
}

/** The maintenance-window note of a task closed at once (rule 13), when its step asks for it. */
export function maintenanceClosure(decision: PolicyDecision): { id: string; comment: string } | undefined {
  const window = decision.maintenanceWindow;
  if (decision.action.type !== 'task.create' || decision.action.params['closeInMaintenanceWindow'] !== true)
    return undefined;
  if (window === undefined) return undefined;
  return {
    id: window.id,
    comment: `Expected inside maintenance window ${window.id}${window.changeTicket === undefined ? '' : ` (change ${window.changeTicket})`}: closed by Interlock.`,
  };
}

/**
 * The handler every ticketing connector uses for task.create and the people-only actions: the
 * ticket is created once per ledger key (labelled with it), found by that label after an
 * interrupted attempt, and closed at once inside a maintenance window when the step asks (rule 13).
 */
export function ticketHandler(integration: string): ActionHandler<TicketingClient> {
  const finish = async (
    client: TicketingClient,
    call: ActionCall,
    ticket: Ticket,
    how: 'created' | 'found',
  ): Promise<ActionResult> => {
    const closure = maintenanceClosure(call.decision);
    if (closure !== undefined) {
      if (!ticket.closed) await client.closeTask(ticket.key, closure.comment, signalOption(call));
      return {
        summary: `${integration} task ${ticket.key} ${how} and closed: inside maintenance window ${closure.id}`,
        details: { ...ticket, closed: true, maintenanceWindow: call.decision.maintenanceWindow },
      };
    }
    return { summary: `${integration} task ${ticket.key} ${how}`, details: { ...ticket } };
  };
  return {
    async execute(client, call) {
      const ticket = await client.createTask(taskFor(call.decision, undefined, call.ledgerKey), signalOption(call));
      return finish(client, call, ticket, 'created');
    },
    async observe(client, call) {
      if (call.ledgerKey === undefined) return undefined;
      const ticket = await client.findTaskByLabel(ledgerLabel(call.ledgerKey), signalOption(call));
      return ticket === undefined ? undefined : finish(client, call, ticket, 'found');
    },
  };
}
