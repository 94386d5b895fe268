import { writeAnchor } from '../audit/anchor';
import type { AuditStore } from '../audit/audit-store';
import { pruneAudit } from '../audit/retention';
import type { InterlockConfig } from '../config/schema';
import type { MaintenanceActivities } from '../engine/contracts';
import { RawBodyStore } from '../intake/raw-body-store';
import type { Logger } from '../logging';
import type { Pool } from 'pg';

/**
 * Audit maintenance, run by the worker's Temporal Schedules (src/worker/maintenance-schedules.ts)
 * rather than cron. Pruning runs as the service role through the SECURITY DEFINER function of
 * migration 9: the worker holds no owner credentials. The same run removes the raw webhook bodies
 * last received before their retention (migration 10's function), first: they hold personal
 * data, and go even when the audit chain refuses pruning.
 */
export function createMaintenanceActivities(deps: {
  config: Pick<InterlockConfig, 'audit' | 'intake' | 'temporal'>;
  pool: Pool;
  audit: Pick<AuditStore, 'head'>;
  log: Pick<Logger, 'info'>;
}): MaintenanceActivities {
  return {
    async pruneAuditRecords() {
      const raw = await RawBodyStore.fromConfig(deps.pool, deps.config).prune();
      deps.log.info({ pruned: raw.pruned, cutoff: raw.cutoff }, 'raw webhook bodies pruned');
      const result = await pruneAudit(deps.pool, { retentionMs: deps.config.audit.retention, asService: true });
      deps.log.info(
        { pruned: result.pruned, cutoff: result.cutoff, checkpoint: result.checkpoint?.seq },
        result.pruned > 0 ? 'audit records pruned' : 'no audit record older than the retention',
      );
      return {
        pruned: result.pruned,
        cutoff: result.cutoff,
        rawBodiesPruned: raw.pruned,
        ...(result.checkpoint === undefined ? {} : { checkpointSeq: result.checkpoint.seq }),
      };
    },
    async anchorAuditHead() {
      const targets = deps.config.audit.anchor;
      if (targets === undefined) throw new Error('audit.anchor is not configured');
      const head = await deps.audit.head();
      const anchor = { seq: head.seq, hash: head.hash, at: new Date().toISOString() };
      await writeAnchor(targets, anchor);
      return anchor;
    },
  };
}
