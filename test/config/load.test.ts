import { ConfigError, parseConfig } from '../../src/config/load';
import { EXAMPLE, EXAMPLE_ENV } from '../support/example-config';

function expectConfigError(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(fragment);
    return;
  }
  throw new Error(`expected a ConfigError mentioning "${fragment}"`);
}

describe('parseConfig', () => {
  it('accepts the shared reference configuration as it is', () => {
    const config = parseConfig(EXAMPLE, EXAMPLE_ENV);
    expect(config.sources['splunk']?.token).toBe('splunk-token-0123456789');
    expect(config.sources['elastic']?.hmacSecret).toBe('elastic-hmac-secret');
    expect(config.temporal.address).toBe('');
    expect(config.slack?.apiUrl).toBe('https://slack.com/api/');
    expect(config.email?.smtp.port).toBe(2525);
    expect(config.policy.approvalTtl).toBe(30 * 60_000);
    expect(config.policy.escalateAfter).toBe(10 * 60_000);
    expect(config.zones.find((z) => z.id === 'dmz')?.purdueLevel).toBe(3.5);
    expect(config.assets.find((a) => a.id === 'sis-1')?.safetySystem).toBe(true);
    expect(config.assets.find((a) => a.id === 'fin-lt-042')?.edr['crowdstrike']).toBe(
      '4c1f8e2a9b7d4e6f8a0b1c2d3e4f5a6b',
    );
  });

  it('caps alerts per webhook delivery at 100 by default; intake.maxAlertsPerDelivery sets it (1–10,000)', () => {
    expect(parseConfig(EXAMPLE, EXAMPLE_ENV).intake.maxAlertsPerDelivery).toBe(100);
    const withCap = `${EXAMPLE}\nintake:\n  maxAlertsPerDelivery: 5\n`;
    expect(parseConfig(withCap, EXAMPLE_ENV).intake).toEqual({
      maxPendingAlerts: 20_000,
      maxBatchAlerts: 200,
      maxConcurrentCalls: 64,
      maxAlertsPerDelivery: 5,
    });
    expectConfigError(
      () => parseConfig(withCap.replace('maxAlertsPerDelivery: 5', 'maxAlertsPerDelivery: 0'), EXAMPLE_ENV),
      'intake.maxAlertsPerDelivery',
    );
  });

  it('names the missing environment variable and the key that uses it', () => {
    const { SPLUNK_TOKEN: _omitted, ...env } = EXAMPLE_ENV;
    expectConfigError(
      () => parseConfig(EXAMPLE, env),
      'sources.splunk.token: environment variable SPLUNK_TOKEN is not set',
    );
  });

  it('uses ${VAR:-default} fallbacks and lets the environment override connection settings', () => {
    const config = parseConfig(EXAMPLE, {
      ...EXAMPLE_ENV,
      DATABASE_URL: 'postgres://db/interlock',
      TEMPORAL_ADDRESS: 't:7233',
    });
    expect(config.database.url).toBe('postgres://db/interlock');
    expect(config.temporal.address).toBe('t:7233');
  });

  it('keeps an environment value containing YAML syntax as one string', () => {
    const config = parseConfig(EXAMPLE, { ...EXAMPLE_ENV, SPLUNK_TOKEN: 'a: b # {c}, [d]' });
    expect(config.sources['splunk']?.token).toBe('a: b # {c}, [d]');
  });

  it('names the key of a bad value', () => {
    const bad = EXAMPLE.replace('approvalTtl: 30m', 'approvalTtl: soon');
    expectConfigError(() => parseConfig(bad, EXAMPLE_ENV), 'policy.approvalTtl: invalid duration "soon"');
  });

  it('rejects unknown keys, unknown zones and auto mode on OT zones', () => {
    expectConfigError(() => parseConfig(EXAMPLE.replace('publicUrl:', 'publicURL:'), EXAMPLE_ENV), 'server');
    expectConfigError(
      () => parseConfig(EXAMPLE.replace('zone: corp', 'zone: nowhere'), EXAMPLE_ENV),
      'assets.0.zone: unknown zone "nowhere"',
    );
    expectConfigError(
      () =>
        parseConfig(
          EXAMPLE.replace(
            /id: eng\n(\s+)purdueLevel: 3\n(\s+)mode: approve/,
            'id: eng\n$1purdueLevel: 3\n$2mode: auto',
          ),
          EXAMPLE_ENV,
        ),
      'zones.1.mode: mode "auto" is for IT zones only',
    );
  });

  it('refuses a webhook source without credentials', () => {
    expectConfigError(() => parseConfig('sources:\n  generic: {}\n', {}), 'sources.generic');
  });

  it('reports invalid YAML', () => {
    expectConfigError(() => parseConfig('server: [unclosed', {}), 'not valid YAML');
  });
});
