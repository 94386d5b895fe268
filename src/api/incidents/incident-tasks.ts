/**
 * The tasks for people an incident created (rule 4 recommendations, task.create steps), with
 * their current state read back from the ticketing connector, so whoever reads the incident sees
 * whether each was done. Reads are bounded in time; a failed or slow read shows the state unknown.
 */
import type { Connectors, TicketingClient } from '../../../integrations';
import { PEOPLE_ACTIONS } from '../../actions/catalog';
import type { AuditRecord } from '../../audit/types';

export interface IncidentTask {
  /** The ticket's key, e.g. SEC-12 or INC0010001. */
  key: string;
  /** The ticketing connector that holds it, e.g. jira, servicenow. */
  connector: string;
  /** The audit record that reports it: a recommendation's task.created or an executed task.create. */
  seq: number;
  time: string;
  eventType: string;
  stepId?: string;
  actionType?: string;
  /** done / open as the ticketing tool says now; unknown when it could not be read (see `reason`). */
  status: 'done' | 'open' | 'unknown';
  /** The tool's own word for the state (e.g. Resolved, In Progress), when it gives one. */
  state?: string;
  reason?: string;
}

type TaskRef = Omit<IncidentTask, 'status' | 'state' | 'reason'>;

const TICKET_ACTIONS: ReadonlySet<string> = new Set(['task.create', ...PEOPLE_ACTIONS]);
/** Each read's deadline: the incident view must not wait on a slow ticketing tool. */
export const TASK_READ_TIMEOUT_MS = 3_000;
/** At most this many tasks are read per request; the rest show unknown. */
const MAX_READS = 25;

/** The tasks the audit records report, oldest first (one per ticket). */
export function tasksIn(records: readonly AuditRecord[], defaultConnector: string | undefined): TaskRef[] {
  const tasks = new Map<string, TaskRef>();
  for (const r of records) {
    const key = r.details?.['taskKey'];
    if (typeof key !== 'string' || key === '') continue;
    let connector: string | undefined;
    if (r.eventType === 'task.created') {
      const named = r.details?.['connector'];
      connector = typeof named === 'string' ? named : defaultConnector;
    } else if (r.eventType === 'action.executed' && r.action !== undefined && TICKET_ACTIONS.has(r.action.type)) {
      connector = r.action.enforcementPoint.split(':', 1)[0];
    }
    if (connector === undefined || connector === '' || tasks.has(`${connector}/${key}`)) continue;
    tasks.set(`${connector}/${key}`, {
      key,
      connector,
      seq: r.seq,
      time: r.time,
      eventType: r.eventType,
      ...(r.stepId !== undefined && { stepId: r.stepId }),
      ...(r.action !== undefined && { actionType: r.action.type }),
    });
  }
  return [...tasks.values()];
}

function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function stateOf(
  task: TaskRef,
  connectors: Connectors,
  timeoutMs: number,
): Promise<Pick<IncidentTask, 'status' | 'state' | 'reason'>> {
  const configured = connectors.get(task.connector);
  if (configured === undefined) return { status: 'unknown', reason: `integration ${task.connector} is not configured` };
  const client = configured.client as Partial<TicketingClient>;
  if (typeof client.readTask !== 'function')
    return { status: 'unknown', reason: `integration ${task.connector} cannot read tasks back` };
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const ticket = await deadline(client.readTask(task.key, { signal }), timeoutMs);
    if (ticket === undefined) return { status: 'unknown', reason: `${task.connector} has no task ${task.key}` };
    return { status: ticket.closed ? 'done' : 'open', ...(ticket.state !== undefined && { state: ticket.state }) };
  } catch (error) {
    // Vendor errors carry no secrets (integrations/http.ts scrubs them).
    return { status: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The incident's tasks with their state as the ticketing tools report it now. */
export async function incidentTasks(
  records: readonly AuditRecord[],
  connectors: Connectors,
  timeoutMs: number = TASK_READ_TIMEOUT_MS,
): Promise<IncidentTask[]> {
  const tasks = tasksIn(records, connectors.ticketing()?.id);
  return Promise.all(
    tasks.map(async (task, index) => ({
      ...task,
      ...(index < MAX_READS
        ? await stateOf(task, connectors, timeoutMs)
        : { status: 'unknown' as const, reason: `only the first ${MAX_READS} tasks are read` }),
    })),
  );
}
