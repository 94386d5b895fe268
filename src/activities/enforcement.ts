import { ApplicationFailure } from '@temporalio/activity';
import {
  CONNECTOR_MANIFESTS,
  IntegrationError,
  ledgerLabel,
  type Connectors,
  type Ticket,
  type TicketingClient,
  type TicketText,
} from '../../integrations';
import { timeAction } from '../metrics/actions';
import type { PolicyDecision } from '../policy/types';

export { ledgerLabel, taskFor } from '../../integrations';

export interface EnforcementResult {
  summary: string;
  details: Record<string, unknown>;
  /** What later steps read as steps.<id>.result (connector.ts ActionResult.result). */
  result?: Record<string, unknown>;
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
 * Settles like `start()`, or rejects (as a retryable timeout) as soon as `signal` aborts. With
 * `signal` already aborted (its deadline passed while the ledger's intent was being recorded, e.g.
 * with PostgreSQL slow or restarting), the vendor call is not started at all: a call started and
 * then left behind would reject later with nobody listening, and an unhandled rejection ends
 * the worker process.
 */
export function untilAborted<T>(start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return start();
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
  const work = start();
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
 * Calls the connector that carries out a decided action: the one its enforcement point names
 * (integrations/runtime.ts). Permanent failures are not retried.
 */
export async function enforce(
  decision: PolicyDecision,
  connectors: Connectors,
  call: EnforcementCall = {},
): Promise<EnforcementResult> {
  const { connector, handler } = handlerFor(decision, connectors);
  try {
    return await timeAction(connector.definition.manifest.id, decision.action.type, () =>
      handler.execute(connector.client, { decision, ...call }),
    );
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

/**
 * The post-check after an interrupted attempt: the result when the decided change is already in
 * place at the vendor (so it is not made again), undefined when it is not — or when the connector
 * cannot tell (no post-check: the ledger then lets the action be made again only if the vendor
 * treats it idempotently). `startedAt` is when the interrupted attempt recorded its intent.
 */
export async function observe(
  decision: PolicyDecision,
  connectors: Connectors,
  call: EnforcementCall & { startedAt: Date },
): Promise<EnforcementResult | undefined> {
  const { connector, handler } = handlerFor(decision, connectors);
  if (handler.observe === undefined) return undefined;
  try {
    const found = await handler.observe(connector.client, { decision, ...call });
    if (found === undefined) return undefined;
    return {
      summary: `${found.summary}: found in place after an interrupted attempt, not requested again`,
      details: { ...found.details, recovered: true },
      ...(found.result === undefined ? {} : { result: found.result }),
    };
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

function handlerFor(decision: PolicyDecision, connectors: Connectors) {
  const connector = connectors.forDecision(decision);
  if (connector === undefined) {
    const named = decision.enforcementPoint.split(':', 1)[0] ?? decision.enforcementPoint;
    // The policy names a capability when no connector of it was configured: say which would do.
    const candidates = CONNECTOR_MANIFESTS.filter(
      (m) => m.capability === named || (named === 'people' && m.capability === 'ticketing'),
    ).filter((m) => m.actions.includes(decision.action.type));
    if (candidates.length > 0 && candidates.every((m) => m.id !== named))
      throw ApplicationFailure.nonRetryable(
        `integration ${named} (${candidates.map((m) => m.id).join(' or ')}) is not configured`,
        'IntegrationNotConfigured',
      );
    notConfigured(named);
  }
  const handler = connector.definition.actions[decision.action.type];
  if (handler === undefined)
    throw ApplicationFailure.nonRetryable(
      `integration ${connector.definition.manifest.id} cannot carry out ${decision.action.type}`,
      'IntegrationNotConfigured',
    );
  return { connector, handler };
}

/**
 * A recommendation's task (rules 4, 12), created once per ledger key; `observeTask` finds it
 * after an interrupted attempt.
 */
export async function createTask(
  ticketing: TicketingClient,
  task: TicketText,
  call: EnforcementCall & { ledgerKey: string },
): Promise<Ticket> {
  try {
    const labels = [...task.labels, ledgerLabel(call.ledgerKey)];
    return await ticketing.createTask({ ...task, labels }, signalOption(call.signal));
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

export async function observeTask(
  ticketing: TicketingClient,
  call: EnforcementCall & { ledgerKey: string },
): Promise<Ticket | undefined> {
  try {
    return await ticketing.findTaskByLabel(ledgerLabel(call.ledgerKey), signalOption(call.signal));
  } catch (error) {
    throw permanentAsNonRetryable(error);
  }
}

/**
 * A vendor's refusal that retrying cannot fix becomes a non-retryable failure: 401/403 as a
 * configuration error naming the integration (credentials or permissions), 404 as the unknown
 * device, address or account it is, anything else permanent as rejected.
 */
function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

function permanentAsNonRetryable(error: unknown): unknown {
  if (!(error instanceof IntegrationError) || error.retryable) return error;
  if (error.status === 401 || error.status === 403)
    return ApplicationFailure.nonRetryable(
      `integration ${error.integration} refused Interlock's credentials or permissions (HTTP ${error.status}): check integrations.${error.integration} and the API permissions in its docs page — ${error.message}`,
      'IntegrationMisconfigured',
    );
  if (error.status === 404)
    return ApplicationFailure.nonRetryable(
      `not found at ${error.integration}: ${error.message}`,
      'IntegrationRejected',
    );
  return ApplicationFailure.nonRetryable(error.message, 'IntegrationRejected');
}
