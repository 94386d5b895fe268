import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import {
  FortiGateClient,
  IntegrationError,
  type EnforcementClients,
  type FortiGateConfig,
  type JiraClient,
  type TaskResult,
} from '../../integrations';
import type { NewTask } from '../../integrations';
import type { PolicyDecision } from '../policy/types';

export interface EnforcementResult {
  summary: string;
  details: Record<string, unknown>;
}

/** One enforcement call: its action-ledger key (Jira labels derive from it) and its abort signal. */
export interface EnforcementCall {
  ledgerKey?: string;
  /** Abandons the call when it aborts: a deadline, or the activity being cancelled. */
  signal?: AbortSignal;
}

function notConfigured(integration: string): never {
  throw ApplicationFailure.nonRetryable(`integration ${integration} is not configured`, 'IntegrationNotConfigured');
}

/**
 * The Jira label that marks the task created under a ledger key: a JQL search for it is how
 * a retry after an interrupted attempt finds the task instead of creating a second one.
 */
export function ledgerLabel(ledgerKey: string): string {
  return `interlock-${createHash('sha256').update(ledgerKey).digest('hex').slice(0, 32)}`;
}

/** Settles like `work`, or rejects (as a retryable timeout) as soon as `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  const abandoned = () =>
    new IntegrationError(
      `vendor call abandoned: ${signal.reason instanceof Error ? signal.reason.message : 'aborted'}`,
      {
        integration: 'interlock',
        kind: 'timeout',
        retryable: true,
      },
    );
  if (signal.aborted) return Promise.reject(abandoned());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Rule 10: the address's quarantine state before the change, recorded with the result (and so
 * in the audit). A failed read does not hold up containment; it is recorded as unknown.
 */
async function preChangeState(
  client: FortiGateClient,
  ip: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  try {
    return { ...(await client.banState(ip, signalOption(signal))) };
  } catch (error) {
    return { ip, unknown: error instanceof Error ? error.message : String(error) };
  }
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

/** A positive whole number of seconds from params.expirySeconds (rule 10 time box), if given. */
function expirySeconds(decision: PolicyDecision): number | undefined {
  const value = decision.action.params['expirySeconds'];
  return typeof value === 'number' ? value : undefined;
}

/** The FortiGate client for the VDOM an enforcement point names (rule 6); the configured one by default. */
function fortigateFor(vdom: string, clients: EnforcementClients, config: FortiGateConfig | undefined): FortiGateClient {
  const client = clients.fortigate ?? notConfigured('fortigate');
  if (config === undefined || config.vdom === vdom) return client;
  return new FortiGateClient({ ...config, vdom });
}

/** The CrowdStrike client and the target's agent ID. */
function crowdstrikeTarget(decision: PolicyDecision, clients: EnforcementClients) {
  const client = clients.crowdstrike ?? notConfigured('crowdstrike');
  const { target } = decision;
  const deviceId = target.edr['crowdstrike'];
  if (deviceId === undefined) {
    throw ApplicationFailure.nonRetryable(
      `${target.assetId ?? target.ref} has no CrowdStrike agent ID in the inventory`,
      'IntegrationRejected',
    );
  }
  return { client, deviceId };
}

/** The address a firewall action acts on: params.ip, else the target's first address. */
function firewallIp(decision: PolicyDecision): string {
  const { action, target } = decision;
  const param = action.params['ip'];
  const ip = typeof param === 'string' && param !== '' ? param : target.ips?.[0];
  if (ip === undefined)
    throw ApplicationFailure.nonRetryable(`no IP address to act on for ${target.ref}`, 'IntegrationRejected');
  return ip;
}

/** Where and how a firewall action bans or releases: the client, the address, the ban's lifetime. */
function firewallChange(decision: PolicyDecision, clients: EnforcementClients, config?: FortiGateConfig) {
  const { action } = decision;
  switch (action.type) {
    case 'contain.source':
    case 'release.source': {
      // Rule 6: the engine picked the enforcement point; the decision carries it (and its digest binds it).
      const choice = decision.containment;
      if (choice === undefined)
        throw ApplicationFailure.nonRetryable(`${action.type}: no enforcement point was chosen`, 'IntegrationRejected');
      return {
        client: fortigateFor(choice.vdom, clients, config),
        ip: choice.blockedIp,
        ban: action.type === 'contain.source',
        expiry: expirySeconds(decision),
        choice,
      };
    }
    case 'firewall.extend_quarantine':
      return {
        client: clients.fortigate ?? notConfigured('fortigate'),
        ip: firewallIp(decision),
        ban: true,
        expiry: expirySeconds(decision),
      };
    default:
      return {
        client: clients.fortigate ?? notConfigured('fortigate'),
        ip: firewallIp(decision),
        ban: action.type === 'firewall.quarantine_ip',
        expiry: undefined,
      };
  }
}

/** Clock skew tolerated between Interlock and the firewall when comparing ban expiry times. */
const EXPIRY_SKEW_SECONDS = 60;

/**
 * Calls the integration that enforces a decided action. Permanent failures are not retried.
 * `fortigateConfig` lets an enforcement point on another VDOM get its own client.
 */
export async function enforce(
  decision: PolicyDecision,
  clients: EnforcementClients,
  fortigateConfig?: FortiGateConfig,
  call: EnforcementCall = {},
): Promise<EnforcementResult> {
  const { action, target } = decision;
  const options = signalOption(call.signal);
  try {
    switch (action.type) {
      case 'edr.contain_host':
      case 'edr.release_host': {
        const { client, deviceId } = crowdstrikeTarget(decision, clients);
        const result =
          action.type === 'edr.contain_host'
            ? await client.containHost(deviceId, options)
            : await client.liftContainment(deviceId, options);
        return {
          summary: `crowdstrike ${result.action} accepted for ${target.assetId ?? target.ref}`,
          details: { ...result },
        };
      }
      case 'firewall.quarantine_ip':
      case 'firewall.release_ip':
      case 'firewall.extend_quarantine':
      case 'contain.source':
      case 'release.source': {
        const change = firewallChange(decision, clients, fortigateConfig);
        const before = await preChangeState(change.client, change.ip, call.signal);
        const result = change.ban
          ? await change.client.quarantineIp(change.ip, change.expiry, options)
          : await change.client.releaseIp(change.ip, options);
        if (change.choice !== undefined) {
          const { choice } = change;
          return {
            summary: `fortigate ${result.action} of ${result.ip} at ${choice.enforcementPointId} (${choice.side}, vdom ${result.vdom})`,
            details: {
              ...result,
              enforcementPointId: choice.enforcementPointId,
              side: choice.side,
              preChange: before,
            },
          };
        }
        return {
          summary:
            action.type === 'firewall.extend_quarantine'
              ? `fortigate quarantine of ${result.ip} extended by ${result.expirySeconds ?? '?'}s on vdom ${result.vdom}`
              : `fortigate ${result.action} of ${result.ip} on vdom ${result.vdom}`,
          details: { ...result, preChange: before },
        };
      }
      case 'identity.disable_account':
      case 'identity.enable_account': {
        const client = clients.okta ?? notConfigured('identity (okta)');
        const result =
          action.type === 'identity.disable_account'
            ? await client.disableAccount(action.target, options)
            : await client.enableAccount(action.target, options);
        return { summary: `okta ${result.action} of account ${result.account}`, details: { ...result } };
      }
      case 'task.create':
      case 'ot.restart_device':
      case 'ot.stop_device':
      case 'ot.change_mode':
      case 'ot.download_logic':
      case 'ot.quarantine_host':
      case 'ot.active_scan': {
        // The engine never operates an OT device itself: an approved OT action is a task for people.
        const client = clients.jira ?? notConfigured('ticketing (jira)');
        const task = await client.createTask(taskFor(decision, undefined, call.ledgerKey), options);
        return finishTask(client, decision, task, options, 'created');
      }
      default: {
        const unknownType: never = action.type;
        throw ApplicationFailure.nonRetryable(
          `no enforcement for action ${String(unknownType)}`,
          'IntegrationNotConfigured',
        );
      }
    }
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

/**
 * The pre-change read after an interrupted attempt: the result when the decided change is
 * already in place at the vendor (so it is not made again), undefined when it is not.
 * `startedAt` is when the interrupted attempt recorded its intent.
 */
export async function observe(
  decision: PolicyDecision,
  clients: EnforcementClients,
  fortigateConfig: FortiGateConfig | undefined,
  call: EnforcementCall & { startedAt: Date },
): Promise<EnforcementResult | undefined> {
  const { action, target } = decision;
  const name = target.assetId ?? target.ref;
  const options = signalOption(call.signal);
  const found = (summary: string, details: Record<string, unknown>): EnforcementResult => ({
    summary: `${summary}: found in place after an interrupted attempt, not requested again`,
    details: { ...details, recovered: true },
  });
  try {
    switch (action.type) {
      case 'edr.contain_host':
      case 'edr.release_host': {
        const { client, deviceId } = crowdstrikeTarget(decision, clients);
        const { status } = await client.containmentState(deviceId, options);
        const contain = action.type === 'edr.contain_host';
        // Falcon reports a containment it accepted as pending until the sensor applies it.
        const inPlace = contain
          ? status === 'contained' || status === 'containment_pending'
          : status === 'normal' || status === 'lift_containment_pending';
        if (!inPlace) return undefined;
        const verb = contain ? 'contain' : 'lift_containment';
        return found(`crowdstrike ${verb} of ${name} (status ${status})`, {
          deviceId,
          action: verb,
          observed: { status },
        });
      }
      case 'firewall.quarantine_ip':
      case 'firewall.release_ip':
      case 'firewall.extend_quarantine':
      case 'contain.source':
      case 'release.source': {
        const change = firewallChange(decision, clients, fortigateConfig);
        const state = await change.client.banState(change.ip, options);
        if (!change.ban) {
          if (state.banned) return undefined;
          return found(`fortigate release of ${state.ip} on vdom ${change.client.vdom}`, {
            ip: state.ip,
            action: 'release',
            vdom: change.client.vdom,
            observed: { ...state },
          });
        }
        // A ban made by the interrupted attempt ends no earlier than its start plus its lifetime;
        // an older, shorter ban is not the change this action makes.
        const expiry = change.expiry ?? change.client.defaultExpirySeconds;
        const wanted = Math.floor(call.startedAt.getTime() / 1000) + expiry - EXPIRY_SKEW_SECONDS;
        if (!state.banned || (state.expires !== undefined && state.expires < wanted)) return undefined;
        return found(`fortigate quarantine of ${state.ip} on vdom ${change.client.vdom}`, {
          ip: state.ip,
          action: 'quarantine',
          vdom: change.client.vdom,
          expirySeconds: expiry,
          observed: { ...state },
          ...(change.choice === undefined
            ? {}
            : { enforcementPointId: change.choice.enforcementPointId, side: change.choice.side }),
        });
      }
      case 'identity.disable_account':
      case 'identity.enable_account': {
        const client = clients.okta ?? notConfigured('identity (okta)');
        const { status } = await client.accountState(action.target, options);
        const disable = action.type === 'identity.disable_account';
        if (status !== (disable ? 'SUSPENDED' : 'ACTIVE')) return undefined;
        const verb = disable ? 'suspend' : 'unsuspend';
        return found(`okta ${verb} of account ${action.target} (status ${status})`, {
          account: action.target,
          action: verb,
          observed: { status },
        });
      }
      case 'task.create':
      case 'ot.restart_device':
      case 'ot.stop_device':
      case 'ot.change_mode':
      case 'ot.download_logic':
      case 'ot.quarantine_host':
      case 'ot.active_scan': {
        const client = clients.jira ?? notConfigured('ticketing (jira)');
        if (call.ledgerKey === undefined) return undefined;
        const task = await client.findTaskByLabel(ledgerLabel(call.ledgerKey), options);
        if (task === undefined) return undefined;
        const finished = await finishTask(client, decision, task, options, 'found');
        return { ...finished, details: { ...finished.details, recovered: true } };
      }
      default: {
        const unknownType: never = action.type;
        throw ApplicationFailure.nonRetryable(
          `no enforcement for action ${String(unknownType)}`,
          'IntegrationNotConfigured',
        );
      }
    }
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

/**
 * A task created (or found after an interrupted attempt), closed at once inside a maintenance
 * window when its step asks for it (rule 13).
 */
async function finishTask(
  client: JiraClient,
  decision: PolicyDecision,
  task: TaskResult,
  options: { signal?: AbortSignal },
  how: 'created' | 'found',
): Promise<EnforcementResult> {
  const { action } = decision;
  const window = decision.maintenanceWindow;
  const note = how === 'found' ? ': found in place after an interrupted attempt, not created again' : '';
  if (action.type === 'task.create' && action.params['closeInMaintenanceWindow'] === true && window) {
    if (!task.closed)
      await client.closeTask(
        task.key,
        `Expected inside maintenance window ${window.id}${window.changeTicket === undefined ? '' : ` (change ${window.changeTicket})`}: closed by Interlock.`,
        options,
      );
    return {
      summary: `jira task ${task.key} ${how} and closed: inside maintenance window ${window.id}${note}`,
      details: { ...task, closed: true, maintenanceWindow: window },
    };
  }
  return { summary: `jira task ${task.key} ${how}${note}`, details: { ...task } };
}

/**
 * A recommendation's task (rules 4, 12), created once per ledger key; `observeTask` finds it
 * after an interrupted attempt.
 */
export async function createTask(
  jira: JiraClient,
  task: NewTask,
  call: EnforcementCall & { ledgerKey: string },
): Promise<TaskResult> {
  try {
    const labels = [...(task.labels ?? []), ledgerLabel(call.ledgerKey)];
    return await jira.createTask({ ...task, labels }, signalOption(call.signal));
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

export async function observeTask(
  jira: JiraClient,
  call: EnforcementCall & { ledgerKey: string },
): Promise<TaskResult | undefined> {
  try {
    return await jira.findTaskByLabel(ledgerLabel(call.ledgerKey), signalOption(call.signal));
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

function permanentAsNonRetryable(error: unknown): unknown {
  if (error instanceof IntegrationError && !error.retryable)
    return ApplicationFailure.nonRetryable(error.message, 'IntegrationRejected');
  return error;
}

/** The ticket for a decided action: what people are asked to do, about which asset, and why. */
export function taskFor(decision: PolicyDecision, note?: string, ledgerKey?: string): NewTask {
  const { action, target } = decision;
  const name = target.assetId ?? target.ref;
  const param = (key: string) => (typeof action.params[key] === 'string' ? action.params[key] : undefined);
  const summary = param('summary') ?? `${action.type} on ${name}`;
  const lines = [
    param('description') ?? '',
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
