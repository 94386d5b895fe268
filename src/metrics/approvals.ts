import type { Pool } from 'pg';
import { counter, gauge } from './registry';

/** The zone label of an approval whose target is in no configured zone. */
export const OTHER_ZONE = 'other';

const requested = counter(
  'interlock_approvals_requested_total',
  'Approval requests opened, by the zone of the action target',
  ['zone'],
);
const decided = counter(
  'interlock_approval_votes_total',
  'Approval votes recorded, by channel (api, slack, ...) and decision (approve, reject)',
  ['channel', 'decision'],
);
const expired = counter(
  'interlock_approvals_expired_total',
  'Approval requests that expired without a decision (the action is not taken)',
  ['zone'],
);

/** Approval metrics of the worker, which records requests, votes and expiries. */
export class ApprovalMetrics {
  private readonly zones: ReadonlySet<string>;

  constructor(zones: Iterable<string>) {
    this.zones = new Set(zones);
  }

  zoneLabel(zone: string | undefined): string {
    return zone !== undefined && this.zones.has(zone) ? zone : OTHER_ZONE;
  }

  requested(zone: string | undefined): void {
    requested.inc({ zone: this.zoneLabel(zone) });
  }

  /** `channel`: api, slack, cli or console (ApprovalChannel; metrics import nothing from the rest of src/). */
  voted(channel: 'api' | 'slack' | 'cli' | 'console', decision: 'approve' | 'reject'): void {
    decided.inc({ channel, decision });
  }

  expired(zone: string | undefined): void {
    expired.inc({ zone: this.zoneLabel(zone) });
  }

  /**
   * Pending approvals by zone and the oldest one's age, read from the approvals table when
   * scraped (a request past its expiry is not pending). One query sets both gauges.
   */
  collectPendingFrom(pool: Pool): void {
    pendingSource = { pool, metrics: this, zones: [...this.zones, OTHER_ZONE] };
    if (pendingRegistered) return;
    pendingRegistered = true;
    // Both gauges are collected concurrently in a scrape: they share one query.
    let inflight: Promise<void> | undefined;
    const refresh = (): Promise<void> =>
      (inflight ??= readPending().finally(() => {
        inflight = undefined;
      }));
    const pending = gauge(
      'interlock_approvals_pending',
      'Approval requests waiting for a decision, by zone',
      ['zone'],
      refresh,
    );
    const oldestAge = gauge(
      'interlock_approvals_pending_oldest_age_seconds',
      'Age of the oldest approval request waiting for a decision, by zone (0 when none)',
      ['zone'],
      refresh,
    );
    async function readPending(): Promise<void> {
      if (pendingSource === undefined) return;
      const { pool: from, metrics, zones } = pendingSource;
      const rows = await pendingByZone(from);
      const count = new Map<string, number>(zones.map((zone) => [zone, 0]));
      const oldest = new Map<string, number>(zones.map((zone) => [zone, 0]));
      for (const row of rows) {
        const zone = metrics.zoneLabel(row.zone ?? undefined);
        count.set(zone, (count.get(zone) ?? 0) + row.pending);
        oldest.set(zone, Math.max(oldest.get(zone) ?? 0, row.oldest));
      }
      for (const [zone, value] of count) pending.set({ zone }, value);
      for (const [zone, value] of oldest) oldestAge.set({ zone }, value);
    }
  }
}

let pendingSource: { pool: Pool; metrics: ApprovalMetrics; zones: string[] } | undefined;
let pendingRegistered = false;

interface PendingRow {
  zone: string | null;
  pending: number;
  oldest: number;
}

async function pendingByZone(pool: Pool): Promise<PendingRow[]> {
  const { rows } = await pool.query<PendingRow>(
    `SELECT target->>'zone' AS zone, count(*)::int AS pending,
       extract(epoch FROM now() - min(created_at))::float8 AS oldest
     FROM approvals WHERE status = 'pending' AND expires_at > now() GROUP BY 1`,
  );
  return rows;
}
