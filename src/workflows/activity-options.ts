import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * Timeouts and retry policies for every activity, in one place. Audit writes retry without
 * limit: when PostgreSQL is down the workflow waits (and OT actions hold) until it returns.
 */
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
 * the alert must be recorded — and safely: every part is idempotent by key. The timeout leaves
 * room for a few vendor calls; a failed attempt is reported in the answer, not retried here.
 */
export const ADMISSION_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '2m',
  retry: AUDIT_RETRY,
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};

/** Slack and email: retried with backoff for a few minutes, then the failure is audited. */
export const NOTIFY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
};

/** Enforcement calls: idempotent (ledger), retried with backoff, permanent refusals not retried. */
const ACTION_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 6,
  nonRetryableErrorTypes: ['PolicyRefused', 'IntegrationRejected', 'IntegrationNotConfigured'],
};
export const ACTION_ACTIVITY: ActivityOptions = { startToCloseTimeout: '2m', retry: ACTION_RETRY };

/**
 * An action the policy lets run without people (IT containment) runs as a local activity, in
 * the workflow task that decided it: no server round trip between the decision and the
 * vendor call. Same timeouts and retries as ACTION_ACTIVITY; the action ledger keeps it
 * idempotent when a workflow task is retried.
 */
export const ACTION_LOCAL_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '2m',
  retry: ACTION_RETRY,
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
};
