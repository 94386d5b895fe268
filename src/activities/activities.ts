import type { InterlockActivities } from '../engine/contracts';
import { createActionActivities } from './action-activities';
import { createApprovalActivities } from './approval-activities';
import { createAuditActivities } from './audit-activities';
import { createAuditWriter, type ActivityDeps } from './activity-support';
import { createDecisionActivities } from './decision-activities';
import { createNotificationActivities } from './notification-activities';

export type { ActivityDeps } from './activity-support';
export type { InterlockActivities } from '../engine/contracts';

/**
 * Every activity: the only code that does I/O on behalf of workflows, assembled here for the
 * worker. Each is idempotent — audit writes by idempotency key, enforcement through the action
 * ledger. The signatures are the contract in src/engine/contracts.ts.
 */
export function createActivities(deps: ActivityDeps): InterlockActivities {
  const writer = createAuditWriter(deps);
  const { executeDecided, ...actions } = createActionActivities(deps, writer);
  return {
    ...createAuditActivities(writer),
    ...createNotificationActivities(deps, writer),
    ...createDecisionActivities(deps, writer, executeDecided),
    ...actions,
    ...createApprovalActivities(deps, writer),
  };
}
