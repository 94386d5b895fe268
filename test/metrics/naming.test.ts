/**
 * Prometheus naming conventions for every metric Interlock registers: the `interlock_` prefix,
 * `_total` counters, `_seconds` histograms in base units, and bounded label values.
 */
import type { Pool } from 'pg';
import { metricsRegistry } from '../../src/metrics';
import '../../src/metrics/actions';
import { ApprovalMetrics, OTHER_ZONE } from '../../src/metrics/approvals';
import '../../src/metrics/audit';
import { collectHealth } from '../../src/metrics/health';
import { IntakeMetrics, UNKNOWN_SOURCE } from '../../src/metrics/intake';
import '../../src/metrics/notifications';
import '../../src/metrics/raw-bodies';

const fakePool = { query: () => Promise.resolve({ rows: [{ zone: 'plant-x', pending: 2, oldest: 30 }] }) };

beforeAll(() => {
  collectHealth(() => Promise.resolve({ database: 'up', temporal: 'down' }));
  new ApprovalMetrics(['corp']).collectPendingFrom(fakePool as unknown as Pool);
});

describe('metric names', () => {
  it('follow the Prometheus conventions', async () => {
    const metrics = await metricsRegistry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThanOrEqual(19);
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^interlock_[a-z_]+$/);
      expect(metric.help.length).toBeGreaterThan(10);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
      if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
    }
  });

  it('every metric is documented in docs/operations.md', async () => {
    const { readFileSync } = await import('node:fs');
    const docs = readFileSync(`${__dirname}/../../docs/operations.md`, 'utf8');
    for (const metric of await metricsRegistry.getMetricsAsJSON()) expect(docs).toContain(`\`${metric.name}\``);
  });
});

describe('bounded labels', () => {
  it('a delivery to a source that is not configured counts as unknown, never under its name', async () => {
    const intake = new IntakeMetrics(['splunk']);
    intake.answered('10.1.2.3', 404);
    intake.answered(undefined, 404);
    intake.answered('splunk', 202);
    const text = await metricsRegistry.metrics();
    expect(text).not.toContain('10.1.2.3');
    expect(text).toContain(`interlock_webhook_deliveries_refused_total{source="${UNKNOWN_SOURCE}",code="404"} 2`);
    expect(text).toContain('interlock_webhook_deliveries_accepted_total{source="splunk"} 1');
  });

  it('pending approvals in a zone that is not configured count as other; health reads the checks', async () => {
    const text = await metricsRegistry.metrics();
    expect(text).not.toContain('plant-x');
    expect(text).toContain(`interlock_approvals_pending{zone="${OTHER_ZONE}"} 2`);
    expect(text).toContain('interlock_approvals_pending{zone="corp"} 0');
    expect(text).toContain(`interlock_approvals_pending_oldest_age_seconds{zone="${OTHER_ZONE}"} 30`);
    expect(text).toContain('interlock_postgres_up 1');
    expect(text).toContain('interlock_temporal_up 0');
  });
});
