import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * Timeouts and retry policies for every activity, in one place. Audit writes retry without
 * limit: when PostgreSQL is down the workflow waits (and OT actions hold) until it returns.
 *
 * The rule for local activities: only short work. A local activity runs inside the workflow
 * task that scheduled it, so while it runs the workflow can do nothing else (Temporal's
 * guidance: a few seconds, retries included). Nothing that can wait on a vendor longer than a
 * few seconds runs as one:
 *
 * - Audit writes, policy decisions and playbook matching (database and configuration only) are
 *   local activities: AUDIT_LOCAL_ACTIVITY, DECISION_LOCAL_ACTIVITY (30 s each, backoffs over
 *   LOCAL_RETRY_THRESHOLD = 5 s become server timers).
 * - The one vendor call made in a local activity is the first attempt of an automatic action
 *   inside the alert's admission (ADMISSION_LOCAL_ACTIVITY): each attempt gets an abort signal
 *   of FIRST_ATTEMPT_TIMEOUT_MS = 3 s, all attempts of one admission share
 *   ADMISSION_VENDOR_BUDGET_MS = 5 s (an attempt needs at least FIRST_ATTEMPT_MIN_MS = 0.5 s
 *   of it, else it is not made), and the admission's startToCloseTimeout is 10 s. An attempt
 *   that fails or reaches its deadline is reported as failed in the admission's answer (never
 *   retried locally); the playbook-run workflow then makes it as a regular activity
 *   (ACTION_ACTIVITY) under the same action-ledger key. If the timed-out attempt did reach the
 *   vendor, the ledger finds its intent without an outcome and reads the vendor's state before
 *   acting again (src/activities/ledger-guard.ts), so the change is made once.
 * - Every other vendor call — approved changes, automatic actions a playbook run makes,
 *   compensations, tickets — is a regular activity (ACTION_ACTIVITY: 2 min per attempt,
 *   heartbeat every ACTION_HEARTBEAT_EVERY_MS = 2 s with a 10 s heartbeat timeout, so a worker
 *   that dies mid-call is noticed in seconds and the attempt retried on another).
 */

// The vendor deadlines named above are in src/engine/vendor-deadlines.ts: the activities that
// call vendors read them too, and activities do not import workflow code.
const AUDIT_RETRY: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' };
export const AUDIT_ACTIVITY: ActivityOptions = { startToCloseTimeout: '30s', retry: AUDIT_RETRY };

/** Policy decisions and playbook matching read configuration: quick, bounded retries. */
const DECISION_RETRY: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 8,
};
export const DECISION_ACTIVITY: ActivityOptions = { startToCloseTimeout: '30s', retry: DECISION_RETRY };

/**
 * Retry backoffs up to this length happen inside the worker; a longer one becomes a durable
 * server timer, so a long PostgreSQL outage neither holds a workflow task open for minutes nor
 * depends on one worker staying up.
 */
const LOCAL_RETRY_THRESHOLD = '5s';

/**
 * Audit writes on the hot path (webhook → containment) run as local activities: in the
 * worker, without a round trip through the Temporal server per write. Same semantics as
 * AUDIT_ACTIVITY: idempotent by key, retried without limit until PostgreSQL is back.
 */
export const AUDIT_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  retry: AUDIT_RETRY,
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};

/** Policy decisions as local activities, with DECISION_ACTIVITY's bounded retries. */
export const DECISION_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  retry: DECISION_RETRY,
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};

/**
 * Admitting an alert (admission.ts): its records, then the leading automatic steps of the
 * playbooks it starts, each action's first attempt included. Retried like an audit write —
 * the alert must be recorded — and safely: every part is idempotent by key. The timeout covers
 * the vendor budget (ADMISSION_VENDOR_BUDGET_MS) plus the database writes; a failed or timed-out
 * attempt is reported in the answer, not retried here.
 */
export const ADMISSION_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: AUDIT_RETRY,
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};

/** Slack and email: retried with backoff for a few minutes, then the failure is audited. */
export const NOTIFY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
};

/**
 * Enforcement calls: at most once per ledger key (intent, pre-change read after an interrupted
 * attempt), retried with backoff, permanent refusals not retried.
 */
const ACTION_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 6,
  nonRetryableErrorTypes: ['PolicyRefused', 'IntegrationRejected', 'IntegrationNotConfigured'],
};
export const ACTION_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: ACTION_RETRY,
};

/**
 * Replay only: playbook runs recorded before automatic actions moved to ACTION_ACTIVITY ran
 * them as local activities (patch `auto-actions-as-regular-activities` in
 * playbook-run-workflow.ts). A replayed local activity takes its result from history and calls
 * nothing; the short timeout keeps the rule above should one ever run.
 */
export const LEGACY_ACTION_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { ...ACTION_RETRY, maximumAttempts: 1 },
};
