/**
 * The alerting rules, their promtool unit tests and the Grafana dashboard name metrics and
 * labels; each must be one this code registers (src/metrics/), so renaming a metric or a label
 * fails here instead of silently emptying a panel or disarming an alert.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { Histogram } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { metricsRegistry } from '../../src/metrics';
import '../../src/metrics/actions';
import { ApprovalMetrics } from '../../src/metrics/approvals';
import '../../src/metrics/audit';
import { collectHealth } from '../../src/metrics/health';
import '../../src/metrics/intake';
import '../../src/metrics/intake-copies';
import '../../src/metrics/notifications';
import '../../src/metrics/raw-bodies';

const ROOT = resolve(__dirname, '..', '..');
/** Labels Prometheus adds to every scraped series, and a histogram bucket's bound. */
const TARGET_LABELS = ['job', 'instance'];
/** Series Prometheus makes itself (not in our registry). */
const PROMETHEUS_SERIES: Record<string, string[]> = { up: [], ALERTS: ['alertname', 'alertstate', 'severity'] };

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RulesTestFile {
  tests: { input_series: { series: string }[] }[];
}
interface Dashboard {
  panels: { title: string; targets?: { expr: string; legendFormat?: string }[] }[];
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

const rules = parseYaml(read('deploy/prometheus/interlock.rules.yml')) as RulesFile;
const rulesTest = parseYaml(read('deploy/prometheus/interlock.rules.test.yml')) as RulesTestFile;
const dashboard = JSON.parse(read('deploy/grafana/interlock.json')) as Dashboard;
const alerts = rules.groups.flatMap((group) => group.rules);

beforeAll(() => {
  // The two scrape-time collectors register on their first use (a process's API or worker start).
  collectHealth(() => Promise.resolve({ database: 'up', temporal: 'up' }));
  const unusedPool = { query: () => Promise.resolve({ rows: [] }) };
  new ApprovalMetrics([]).collectPendingFrom(unusedPool as unknown as Pool);
});

/** The label names of a registered metric, or undefined when no metric has that series name. */
function labelsOf(series: string): string[] | undefined {
  if (series in PROMETHEUS_SERIES) return PROMETHEUS_SERIES[series];
  const direct = metricsRegistry.getSingleMetric(series);
  if (direct !== undefined && !(direct instanceof Histogram)) return labelNames(direct);
  const histogram = /^(.+)_(bucket|sum|count)$/.exec(series);
  if (histogram?.[1] === undefined) return undefined;
  const base = metricsRegistry.getSingleMetric(histogram[1]);
  if (!(base instanceof Histogram)) return undefined;
  return histogram[2] === 'bucket' ? [...labelNames(base), 'le'] : labelNames(base);
}

function labelNames(metric: object): string[] {
  return [...((metric as { labelNames?: readonly string[] }).labelNames ?? [])];
}

/** What one PromQL expression names that the registry does not have (empty: all real). */
function problems(expr: string, templates: string[] = []): string[] {
  const found: string[] = [];
  const usable = new Set(TARGET_LABELS);
  // Selectors `name{matchers}` and bare series names.
  for (const match of expr.matchAll(/\b(interlock_[a-z0-9_]+|up|ALERTS)\b(\{[^}]*\})?/g)) {
    const [, series = '', matchers] = match;
    const labels = labelsOf(series);
    if (labels === undefined) {
      found.push(`unknown metric ${series}`);
      continue;
    }
    for (const label of labels) usable.add(label);
    for (const [, label = ''] of (matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      if (!labels.includes(label) && !TARGET_LABELS.includes(label)) found.push(`${series} has no label ${label}`);
  }
  // Aggregation and matching labels: `by (a, b)`, `on (a)`, `without (a)`, `ignoring (a)`.
  for (const [, list = ''] of expr.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g))
    for (const label of list.split(',').map((l) => l.trim()))
      if (label !== '' && !usable.has(label)) found.push(`no metric of the expression has label ${label}`);
  // Labels printed by alert annotations ({{ $labels.x }}) and legends ({{x}}).
  for (const template of templates)
    for (const [, label = ''] of template.matchAll(/\{\{\s*(?:\$labels\.)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g))
      if (!usable.has(label)) found.push(`template names label ${label}, which the expression does not have`);
  return found;
}

describe('alerting rules (deploy/prometheus/interlock.rules.yml)', () => {
  it.each(alerts.map((rule) => [rule.alert ?? rule.record ?? '?', rule] as const))(
    '%s names only registered metrics and labels',
    (_name, rule) => {
      expect(problems(rule.expr, Object.values(rule.annotations ?? {}))).toEqual([]);
    },
  );

  it('cover what a plant operations team pages on, each with a severity and a promtool unit test', () => {
    const names = alerts.map((rule) => rule.alert);
    for (const required of [
      'InterlockApprovalNearExpiry',
      'InterlockAuditStoreDown',
      'InterlockConnectorFailureRate',
      'InterlockIntakeThrottled',
      'InterlockTemporalDown',
      'InterlockPostgresDown',
      'InterlockNotificationDeliveryFailing',
    ])
      expect(names).toContain(required);
    const tests = read('deploy/prometheus/interlock.rules.test.yml');
    for (const rule of alerts) {
      expect(['critical', 'warning']).toContain(rule.labels?.['severity']);
      expect(tests).toContain(rule.alert);
    }
  });

  it('the promtool unit tests feed only registered series', () => {
    const series = rulesTest.tests.flatMap((test) => test.input_series.map((input) => input.series));
    expect(series.length).toBeGreaterThan(10);
    for (const selector of series) expect(problems(selector)).toEqual([]);
  });
});

describe('Grafana dashboard (deploy/grafana/interlock.json)', () => {
  const targets = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => [`${panel.title}: ${target.expr}`, target] as const),
  );

  it('has panels for health, intake, actions, approvals, audit and notifications', () => {
    const used = targets.map(([, target]) => target.expr).join('\n');
    for (const metric of metricsRegistry.getMetricsAsArray()) expect(used).toContain(metric.name);
  });

  it.each(targets)('%s names only registered metrics and labels', (_name, target) => {
    expect(problems(target.expr, target.legendFormat === undefined ? [] : [target.legendFormat])).toEqual([]);
  });
});

describe('the check itself', () => {
  it('reports a renamed metric, an unknown label and a legend printing a label the query lacks', () => {
    expect(problems('rate(interlock_action_total[5m])')).toEqual(['unknown metric interlock_action_total']);
    expect(problems('interlock_actions_total{vendor="x"}')).toEqual(['interlock_actions_total has no label vendor']);
    expect(problems('sum by (zone) (interlock_actions_total)')).toEqual(['no metric of the expression has label zone']);
    expect(problems('interlock_audit_store_available', ['{{connector}}'])).toEqual([
      'template names label connector, which the expression does not have',
    ]);
    expect(
      problems('histogram_quantile(0.9, sum by (le) (rate(interlock_action_duration_seconds_bucket[5m])))'),
    ).toEqual([]);
    expect(problems('interlock_audit_store_available_bucket')).toEqual([
      'unknown metric interlock_audit_store_available_bucket',
    ]);
  });
});
