import { ApplicationFailure } from '@temporalio/activity';
import type { ActionLedger, LedgerIntent } from '../audit/action-ledger';

/**
 * Acting on the world at most once per idempotency key, and saying what is true afterwards.
 *
 * 1. Record the intent (key, action type, target, action digest, start time) — before the call.
 * 2. Call the vendor.
 * 3. Record the outcome.
 *
 * A retry finds one of three things under its key: an outcome (return it; nothing is called),
 * nothing (nobody tried: act), or an intent without outcome — an earlier attempt stopped
 * between 1 and 3 (worker killed, deadline reached, vendor slow to answer) and may or may not
 * have acted. Then the vendor's state is read first (the pre-change read: is the host already
 * contained, the address already banned, the account already suspended, the ticket already
 * there?) and the call is made again only when the change is not in place; an outcome found that
 * way is recorded as recovered, and the audit says so.
 *
 * Two attempts of one key running at the same moment are not excluded (Temporal runs one
 * attempt of an activity at a time; a timed-out attempt is abandoned through its abort signal).
 */
export interface GuardedAction<T> extends LedgerIntent {
  act(): Promise<T>;
  /**
   * The pre-change read after an interrupted attempt (`startedAt`: when its intent was
   * recorded): the result when the change is already in place, undefined when it is not.
   */
  inPlace(startedAt: Date): Promise<T | undefined>;
}

export interface GuardedOutcome<T> {
  result: T;
  /** Set when the outcome was found by the pre-change read after an interrupted attempt. */
  recovered?: { intentRecordedAt: string };
}

export async function actOnce<T>(ledger: ActionLedger, action: GuardedAction<T>): Promise<GuardedOutcome<T>> {
  const { key, actionType } = action;
  const prior = await ledger.recordIntent(action);
  if (prior?.status === 'succeeded') {
    return {
      result: prior.result as T,
      ...(prior.recovered ? { recovered: { intentRecordedAt: (prior.startedAt ?? new Date(0)).toISOString() } } : {}),
    };
  }
  if (prior !== undefined) {
    if (prior.actionDigest !== action.actionDigest) {
      // The interrupted attempt meant another action (its decision changed since): what it did is
      // not this action's to judge or repeat.
      throw ApplicationFailure.nonRetryable(
        `an interrupted attempt under key ${key} intended another action (digest ${prior.actionDigest.slice(0, 12)}…, now ${action.actionDigest.slice(0, 12)}…): check ${prior.target} by hand`,
        'LedgerIntentMismatch',
      );
    }
    const found = await action.inPlace(prior.startedAt);
    if (found !== undefined) {
      await ledger.recordOutcome(key, actionType, found, { recovered: true });
      return { result: found, recovered: { intentRecordedAt: prior.startedAt.toISOString() } };
    }
  }
  const result = await action.act();
  await ledger.recordOutcome(key, actionType, result);
  return { result };
}
