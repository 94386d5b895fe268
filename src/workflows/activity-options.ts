import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Timeouts and retry policies for every activity, in one place. Audit writes retry without
 * limit: when PostgreSQL is down the workflow waits (and OT actions hold) until it returns.
 */
export const AUDIT_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
};

/** Policy decisions and playbook matching read configuration: quick, bounded retries. */
export const DECISION_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 8 },
};

/** Slack and email: retried with backoff for a few minutes, then the failure is audited. */
export const NOTIFY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
};

/** Enforcement calls: idempotent (ledger), retried with backoff, permanent refusals not retried. */
export const ACTION_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 6,
    nonRetryableErrorTypes: ['PolicyRefused', 'IntegrationRejected', 'IntegrationNotConfigured'],
  },
};
