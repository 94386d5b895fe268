/** Prometheus metrics: one module per concern, all in this process's registry (registry.ts). */
export { metricsRegistry } from './registry';
export { SLACK_REFUSAL_REASONS, slackRequestsRefused, type SlackRefusalReason } from './slack';
export { startMetricsServer } from './server';
