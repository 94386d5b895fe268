import { counter, gauge } from './registry';

/**
 * Copies: identical re-deliveries of an alert this API had Temporal accept moments before
 * (src/api/webhooks/copy-ledger.ts). `ledger`: answered once recorded in PostgreSQL's copy
 * ledger, forwarded to the incident about a second later; `temporal`: sent through Temporal as
 * any delivery, because the ledger did not take them in time (PostgreSQL down or slow).
 */
const copies = counter(
  'interlock_intake_copies_total',
  'Re-deliveries of an alert already in Temporal, by the path that made them durable: ledger (PostgreSQL, forwarded within about a second) or temporal (the ledger did not take them)',
  ['path'],
);
copies.inc({ path: 'ledger' }, 0);
copies.inc({ path: 'temporal' }, 0);

const waiting = gauge(
  'interlock_intake_copies_waiting',
  'Copies this API recorded in the copy ledger that its forwarder has not yet handed to their incident',
);

export type CopyPath = 'ledger' | 'temporal';

export const IntakeCopyMetrics = {
  copies(path: CopyPath, count: number): void {
    copies.inc({ path }, count);
  },
  /** Copies recorded (count > 0) or forwarded (count < 0) by this process. */
  waitingChanged(count: number): void {
    waiting.inc(count);
  },
  /** None of this process's copies waits any longer. */
  noneWaiting(): void {
    waiting.set(0);
  },
};
