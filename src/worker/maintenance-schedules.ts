import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleOptions } from '@temporalio/client';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';

/** One deployment per namespace (incident IDs are deterministic): fixed schedule IDs. */
export const PRUNE_SCHEDULE_ID = 'interlock-audit-prune';
export const ANCHOR_SCHEDULE_ID = 'interlock-audit-anchor';

/** What the configuration asks for: the schedules to have, and those to remove. */
export function maintenanceSchedules(config: Pick<InterlockConfig, 'audit' | 'temporal'>): {
  wanted: ScheduleOptions[];
  unwanted: string[];
} {
  const wanted: ScheduleOptions[] = [];
  const unwanted: string[] = [];
  const { pruneAt, anchor } = config.audit;
  if (pruneAt === 'off') unwanted.push(PRUNE_SCHEDULE_ID);
  else {
    const [hour, minute] = pruneAt.split(':').map(Number);
    wanted.push({
      scheduleId: PRUNE_SCHEDULE_ID,
      spec: { calendars: [{ hour: hour ?? 3, minute: minute ?? 0, comment: 'daily, UTC (audit.pruneAt)' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'auditPruneWorkflow',
        workflowId: PRUNE_SCHEDULE_ID,
        taskQueue: config.temporal.taskQueue,
      },
      // A worker down at the time still prunes once it is back, the same day.
      policies: { catchupWindow: '1 day' },
    });
  }
  if (anchor === undefined) unwanted.push(ANCHOR_SCHEDULE_ID);
  else
    wanted.push({
      scheduleId: ANCHOR_SCHEDULE_ID,
      spec: { intervals: [{ every: anchor.every }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'auditAnchorWorkflow',
        workflowId: ANCHOR_SCHEDULE_ID,
        taskQueue: config.temporal.taskQueue,
      },
      policies: { catchupWindow: anchor.every },
    });
  return { wanted, unwanted };
}

/**
 * Creates or updates the audit maintenance schedules to match the configuration, at every
 * worker start (idempotent: replicas starting together converge on the same schedules), and
 * deletes the ones the configuration turned off.
 */
export async function ensureMaintenanceSchedules(
  client: Client,
  config: Pick<InterlockConfig, 'audit' | 'temporal'>,
  log: Pick<Logger, 'info'>,
): Promise<void> {
  const { wanted, unwanted } = maintenanceSchedules(config);
  for (const options of wanted) {
    try {
      await client.schedule.create(options);
      log.info({ scheduleId: options.scheduleId }, 'audit maintenance schedule created');
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
        state: { paused: previous.state.paused, note: previous.state.note },
      }));
    }
  }
  for (const scheduleId of unwanted) {
    try {
      await client.schedule.getHandle(scheduleId).delete();
      log.info({ scheduleId }, 'audit maintenance schedule removed (turned off in the configuration)');
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
}
