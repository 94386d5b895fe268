import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../engine/contracts';

/**
 * Audit maintenance, started by Temporal Schedules the worker keeps in step with the
 * configuration (src/worker/maintenance-schedules.ts). A failed run is retried by its
 * activity's policy, then by the next scheduled run; Temporal keeps each run's outcome.
 */
const { pruneAuditRecords, anchorAuditHead } = proxyActivities<MaintenanceActivities>({
  // Pruning a large backlog may take minutes (one transaction under the chain lock).
  startToCloseTimeout: '30m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

/** Removes audit records older than `audit.retention`, leaving a retention checkpoint. */
export async function auditPruneWorkflow(): Promise<Awaited<ReturnType<MaintenanceActivities['pruneAuditRecords']>>> {
  return pruneAuditRecords();
}

/** Anchors the audit chain head outside the database (`audit.anchor`). */
export async function auditAnchorWorkflow(): Promise<Awaited<ReturnType<MaintenanceActivities['anchorAuditHead']>>> {
  return anchorAuditHead();
}
