import { counter, gauge } from './registry';

/**
 * The raw webhook bodies an API process holds while PostgreSQL does not take them
 * (src/intake/raw-body-store.ts). A body never delays or refuses its alert, so these series are
 * the only sign that bodies wait or are lost.
 */
const waiting = gauge(
  'interlock_raw_bodies_waiting',
  'Raw webhook bodies held in this process until PostgreSQL takes them (the backlog)',
);
const waitingBytes = gauge(
  'interlock_raw_bodies_waiting_bytes',
  'Bytes of the raw webhook bodies held in this process until PostgreSQL takes them',
);
const dropped = counter(
  'interlock_raw_bodies_dropped_total',
  'Raw webhook bodies never stored (their alerts are): backlog_full (over its byte cap) or too_old (waited past its age limit)',
  ['reason'],
);
dropped.inc({ reason: 'backlog_full' }, 0);
dropped.inc({ reason: 'too_old' }, 0);

export type RawBodyDropReason = 'backlog_full' | 'too_old';

export const RawBodyMetrics = {
  /** A body joined (bytes > 0) or left (bytes < 0) the backlog. */
  backlogChanged(bodies: number, bytes: number): void {
    waiting.inc(bodies);
    waitingBytes.inc(bytes);
  },
  dropped(reason: RawBodyDropReason): void {
    dropped.inc({ reason });
  },
};
