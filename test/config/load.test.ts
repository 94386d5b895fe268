import { ConfigError, parseConfig } from '../../src/config/load';
import { EXAMPLE, EXAMPLE_ENV, SHARED_EXAMPLE } from '../support/example-config';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

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
    // The default: a configuration without an intake section (the example lists the defaults).
    const withoutIntake = EXAMPLE.replace(/^intake:\n(?: {2}.*\n)+/m, '');
    expect(withoutIntake).not.toMatch(/^intake:/m);
    expect(parseConfig(withoutIntake, EXAMPLE_ENV).intake.maxAlertsPerDelivery).toBe(100);
    // The example lists the defaults; a deployment sets its own.
    const withCap = EXAMPLE.replace('maxAlertsPerDelivery: 100', 'maxAlertsPerDelivery: 5');
    expect(withCap).not.toBe(EXAMPLE);
    expect(parseConfig(withCap, EXAMPLE_ENV).intake).toEqual({
      maxPendingAlerts: 20_000,
      maxBatchAlerts: 200,
      maxConcurrentCalls: 64,
      maxAlertsPerDelivery: 5,
      copyLedger: true,
      rawBodies: { store: true, maxBytes: 262_144 },
    });
    expectConfigError(
      () => parseConfig(withCap.replace('maxAlertsPerDelivery: 5', 'maxAlertsPerDelivery: 0'), EXAMPLE_ENV),
      'intake.maxAlertsPerDelivery',
    );
  });

  it('bounds shutdown: server.shutdownTimeout 25s, worker grace 20s within 25s by default; grace must be shorter', () => {
    const withoutShutdown = EXAMPLE.replace(/^ {2}shutdownTimeout: .*\n/m, '').replace(/^worker:\n(?: {2}.*\n)+/m, '');
    expect(withoutShutdown).not.toMatch(/^worker:|^ +shutdownTimeout:/m);
    const defaults = parseConfig(withoutShutdown, EXAMPLE_ENV);
    expect(defaults.server.shutdownTimeout).toBe(25_000);
    expect(defaults.worker).toEqual({ shutdownGraceTime: 20_000, shutdownTimeout: 25_000 });
    expect(parseConfig(EXAMPLE.replace('shutdownGraceTime: 20s', 'shutdownGraceTime: 5s'), EXAMPLE_ENV).worker).toEqual(
      {
        shutdownGraceTime: 5_000,
        shutdownTimeout: 25_000,
      },
    );
    expectConfigError(
      () => parseConfig(EXAMPLE.replace('shutdownGraceTime: 20s', 'shutdownGraceTime: 30s'), EXAMPLE_ENV),
      'worker.shutdownGraceTime: must be shorter than worker.shutdownTimeout',
    );
    expectConfigError(
      () => parseConfig(EXAMPLE.replace('shutdownTimeout: 25s ', 'shutdownTimeout: soon '), EXAMPLE_ENV),
      'server.shutdownTimeout: invalid duration',
    );
  });

  it('reads integrations.qradar for alert completion: a 2s total timeout and API version 12.0 by default', () => {
    const withQRadar = EXAMPLE.replace(
      /^integrations:\n/m,
      'integrations:\n  qradar:\n    baseUrl: https://qradar.example.net\n    token: 8f3c2a1e-4b5d-4e6f-9a0b-1c2d3e4f5a6b\n',
    );
    expect(withQRadar).not.toBe(EXAMPLE);
    expect(parseConfig(withQRadar, EXAMPLE_ENV).integrations.qradar).toEqual({
      baseUrl: 'https://qradar.example.net',
      token: '8f3c2a1e-4b5d-4e6f-9a0b-1c2d3e4f5a6b',
      timeout: 2_000,
      apiVersion: '12.0',
    });
    expect(parseConfig(EXAMPLE, EXAMPLE_ENV).integrations.qradar).toBeUndefined();
    expectConfigError(
      () => parseConfig(withQRadar.replace('https://qradar.example.net', 'not a url'), EXAMPLE_ENV),
      'integrations.qradar.baseUrl',
    );
  });

  it('accepts the shared reference document verbatim (no encryption section: keys default to none)', () => {
    const { TEMPORAL_ENCRYPTION_KEY: _unused, ...env } = EXAMPLE_ENV;
    const config = parseConfig(SHARED_EXAMPLE, env);
    expect(config.sources['splunk']?.token).toBe('splunk-token-0123456789');
    expect(config.temporal.encryption).toEqual({ keys: [], activeKeyId: undefined, disabled: false });
  });

  it("reads the example's encryption key from the environment; a single key is the active one", () => {
    expect(parseConfig(EXAMPLE, EXAMPLE_ENV).temporal.encryption).toEqual({
      keys: [{ id: 'k1', key: EXAMPLE_ENV['TEMPORAL_ENCRYPTION_KEY'] }],
      activeKeyId: 'k1',
      disabled: false,
    });
    const single = parseConfig(`temporal:\n  encryption:\n    keys: [{ id: only, key: "${KEY_A}" }]\n`, {});
    expect(single.temporal.encryption.activeKeyId).toBe('only');
  });

  it('refuses a malformed encryption configuration without echoing the key', () => {
    const config = (encryption: string) => `temporal:\n  encryption:\n${encryption}`;
    const short = Buffer.alloc(16, 7).toString('base64');
    for (const [text, fragment] of [
      [`    keys: [{ id: k1, key: "${short}" }]\n`, 'temporal.encryption.keys.0.key: must be 32 bytes in base64'],
      [`    keys: [{ id: k1, key: "not base64 at all!" }]\n`, 'temporal.encryption.keys.0.key: must be 32 bytes'],
      [
        `    keys: [{ id: k1, key: "${KEY_A}" }, { id: k1, key: "${KEY_B}" }]\n    activeKeyId: k1\n`,
        'temporal.encryption.keys.1.id: duplicate key id "k1"',
      ],
      [
        `    keys: [{ id: k1, key: "${KEY_A}" }]\n    activeKeyId: k2\n`,
        'temporal.encryption.activeKeyId: no key "k2"',
      ],
      [
        `    keys: [{ id: k1, key: "${KEY_A}" }, { id: k2, key: "${KEY_B}" }]\n`,
        'temporal.encryption.activeKeyId: name the key that encrypts new payloads',
      ],
      [
        `    keys: [{ id: k1, key: "${KEY_A}" }]\n    activeKeyId: k1\n    disabled: true\n`,
        'temporal.encryption.activeKeyId: disabled: true encrypts nothing',
      ],
    ]) {
      expectConfigError(() => parseConfig(config(text as string), {}), fragment as string);
      try {
        parseConfig(config(text as string), {});
      } catch (error) {
        expect((error as Error).message).not.toContain(short);
        expect((error as Error).message).not.toContain(KEY_A);
      }
    }
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
