/**
 * Defender for IoT console connector against its stub: handle / handle-and-learn by alert UUID,
 * the policy's view of each on an OT asset, the conformance behaviours, and the maintenance-window
 * sync (opened in force, idempotent by ticket ID, closed when ended or removed).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { describeConformance } from '../../test/connectors/conformance';
import type { BackgroundContext } from '../connector';
import { Connectors } from '../runtime';
import { DefenderIotClient } from './client';
import { defenderIotConfigSchema } from './config';
import {
  DEFENDER_IOT_ALERTS_PATH,
  DEFENDER_IOT_MAINTENANCE_PATH,
  startDefenderIotStub,
  type DefenderIotStub,
} from './defender-iot.stub';
import { MaintenanceSync } from './maintenance-sync';

const TOKEN = 'defender-iot-secret-token-1234b734a9';
const UUID = '5-1557059334000';

// The shared suite: handling an alert about plc-7 (example inventory).
describeConformance({
  connector: 'defender-iot',
  async start() {
    const stub = await startDefenderIotStub({ apiToken: TOKEN });
    return { stub, config: { baseUrl: stub.url, apiToken: TOKEN }, secrets: [TOKEN] };
  },
  action: { type: 'sensor.close_alert', target: 'plc-7', params: { alertId: UUID } },
  changePath: DEFENDER_IOT_ALERTS_PATH,
  validatedRead: { path: DEFENDER_IOT_ALERTS_PATH, via: 'execute', malformed: { status: 'ok' } },
});
let stub: DefenderIotStub;
let config: InterlockConfig;
let engine: PolicyEngine;

function configFor(url: string, timeout = '5s'): InterlockConfig {
  return configSchema.parse({
    operators: [{ id: 'omar', name: 'Omar', roles: ['ot-engineer'], apiKey: 'omar-key-0123456789abcdef' }],
    zones: [{ id: 'line1-cell', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] }],
    assets: [
      { id: 'hmi-2', hostnames: ['hmi-2'], ips: ['10.20.1.2'], zone: 'line1-cell', kind: 'hmi', criticality: 'medium' },
    ],
    integrations: { 'defender-iot': { baseUrl: url, apiToken: TOKEN, timeout } },
  });
}

const connectors = (cfg: InterlockConfig = config) =>
  new Connectors(cfg.integrations, { 'defender-iot': { retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 2_000 } } });

const decide = (type: ActionRequest['type'], alertId = UUID) =>
  engine.decide({ type, target: 'hmi-2', params: { alertId } });

async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

beforeAll(async () => {
  stub = await startDefenderIotStub({ apiToken: TOKEN });
  config = configFor(stub.url);
  engine = new PolicyEngine(config);
});
afterAll(() => stub.close());
beforeEach(() => stub.reset());

describe('policy: Defender for IoT alert actions on an OT asset', () => {
  it('closes at once on defender-iot; learning needs OT approval (rule 3); it offers no acknowledge', () => {
    expect(decide('sensor.close_alert')).toMatchObject({ outcome: 'auto', enforcementPoint: 'defender-iot' });
    expect(decide('sensor.learn_alert')).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
      enforcementPoint: 'defender-iot',
    });
    expect(decide('sensor.acknowledge_alert').enforcementPoint).not.toBe('defender-iot');
  });
});

describe('alert actions', () => {
  it('handles, then handles and learns, with the token as the Authorization header', async () => {
    const c = connectors();
    const handled = await enforce(decide('sensor.close_alert', '1-1594550943000'), c);
    expect(handled.details).toMatchObject({ uuid: '1-1594550943000', action: 'handle', alreadyInPlace: false });
    expect(stub.alerts.get('1-1594550943000')).toBe('handled');
    const learned = await enforce(decide('sensor.learn_alert', '1-1594550943000'), c);
    // Already handled: the console performs the learn and says so.
    expect(learned.details).toMatchObject({ action: 'handleAndLearn', alreadyInPlace: false });
    expect(stub.alerts.get('1-1594550943000')).toBe('handledAndLearned');
    expect(stub.callsTo(DEFENDER_IOT_ALERTS_PATH).map((x) => [x.method, x.path, x.body])).toEqual([
      ['PUT', '/external/v1/alerts/1-1594550943000', { action: 'handle' }],
      ['PUT', '/external/v1/alerts/1-1594550943000', { action: 'handleAndLearn' }],
    ]);
  });

  it('idempotent under the ledger: sent again after an interrupted attempt, the console says it is in place', async () => {
    const uuid = '2-1594550943000';
    const held = stub.holdNext({ path: DEFENDER_IOT_ALERTS_PATH });
    const attempt = enforce(decide('sensor.learn_alert', uuid), connectors(configFor(stub.url, '300ms'))).catch(
      (e: unknown) => e,
    );
    await held.received;
    expect(await attempt).toMatchObject({ kind: 'timeout', retryable: true });
    held.release();
    // No documented read by UUID: the post-check cannot tell, so the ledger sends it again.
    expect(await observe(decide('sensor.learn_alert', uuid), connectors(), { startedAt: new Date() })).toBeUndefined();
    const again = await enforce(decide('sensor.learn_alert', uuid), connectors());
    expect(again.summary).toMatch(/was already handled and learned/);
    expect(again.details).toMatchObject({ alreadyInPlace: true });
    expect(stub.alerts.get(uuid)).toBe('handledAndLearned');
  });

  it('refuses a step without params.alertId', async () => {
    const failure = await failureOf(
      enforce(engine.decide({ type: 'sensor.close_alert', target: 'hmi-2', params: {} }), connectors()),
    );
    expect(failure.message).toMatch(/params\.alertId/);
  });
});

describe('Defender for IoT specifics', () => {
  it('401/403: IntegrationMisconfigured naming defender-iot, without the token', async () => {
    const wrong = configFor(stub.url);
    (wrong.integrations as Record<string, { apiToken: string }>)['defender-iot']!.apiToken = 'wrong-token-0000';
    const failure = await failureOf(enforce(decide('sensor.close_alert'), connectors(wrong)));
    expect(failure.type).toBe('IntegrationMisconfigured');
    expect(failure.message).toMatch(/defender-iot/);
    expect(failure.message).not.toContain('wrong-token-0000');
    stub.failNext(403);
    expect((await failureOf(enforce(decide('sensor.close_alert'), connectors()))).type).toBe(
      'IntegrationMisconfigured',
    );
  });

  it('an unknown alert UUID (documented 500 "no alert was found"): IntegrationRejected, not retried', async () => {
    const known = await startDefenderIotStub({ apiToken: TOKEN, alerts: [UUID] });
    try {
      const failure = await failureOf(enforce(decide('sensor.close_alert', '9-1'), connectors(configFor(known.url))));
      expect(failure.type).toBe('IntegrationRejected');
      expect(failure.message).toMatch(/alert 9-1 not found/);
      expect(known.callsTo(DEFENDER_IOT_ALERTS_PATH)).toHaveLength(1);
    } finally {
      await known.close();
    }
  });

  it('honours Retry-After on 429; retries 5xx with backoff then fails; times out', async () => {
    stub.failNext(429, 1, { 'retry-after': '1' });
    const started = Date.now();
    await enforce(decide('sensor.close_alert', '3-1'), connectors());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stub.callsTo(DEFENDER_IOT_ALERTS_PATH).map((c) => c.status)).toEqual([429, 200]);

    stub.reset();
    stub.failNext(503, 5);
    expect(await enforce(decide('sensor.close_alert', '3-2'), connectors()).catch((e: unknown) => e)).toMatchObject({
      status: 503,
      retryable: true,
    });
    expect(stub.callsTo(DEFENDER_IOT_ALERTS_PATH)).toHaveLength(3);

    stub.delayNext(1_000);
    expect(
      await enforce(decide('sensor.close_alert', '3-3'), connectors(configFor(stub.url, '200ms'))).catch(
        (e: unknown) => e,
      ),
    ).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('a malformed answer fails clearly; the token never appears in results or errors', async () => {
    stub.failNext(200, 1, {}, { body: { status: 'ok' } });
    const failure = await failureOf(enforce(decide('sensor.close_alert', '4-1'), connectors()));
    expect(failure.message).toMatch(/unexpected alert handle response/);
    stub.failNext(502, 3, {}, { body: { error: `token ${TOKEN} rejected` } });
    const error = await enforce(decide('sensor.close_alert', '4-2'), connectors()).catch((e: unknown) => e);
    expect(String(error)).not.toContain(TOKEN);
    const ok = await enforce(decide('sensor.close_alert', '4-3'), connectors());
    expect(JSON.stringify(ok)).not.toContain(TOKEN);
    expect(JSON.stringify(stub.calls)).not.toContain(TOKEN);
  });
});

describe('maintenance window sync', () => {
  const HOUR = 3_600_000;
  const T0 = Date.parse('2026-11-20T10:00:00Z');

  function setup(windows: { id: string; zone?: string; assets?: string[]; start: number; end: number }[]) {
    let now = T0;
    const logs: string[] = [];
    const context: BackgroundContext = {
      maintenanceWindows: windows.map((w) => ({
        id: w.id,
        zone: w.zone ?? 'line1-cell',
        assets: w.assets ?? [],
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
      })),
      zones: config.zones,
      assets: config.assets,
      log: { info: (_f, m) => logs.push(m), warn: (f, m) => logs.push(`${m} ${JSON.stringify(f)}`) },
    };
    const syncConfig = defenderIotConfigSchema.parse({
      baseUrl: stub.url,
      apiToken: TOKEN,
      maintenanceSync: { zones: { 'line1-cell': { sensorIds: [5, '3'] } } },
    }).maintenanceSync!;
    const client = new DefenderIotClient(defenderIotConfigSchema.parse({ baseUrl: stub.url, apiToken: TOKEN }), {
      retry: { retries: 0 },
    });
    const sync = new MaintenanceSync(client, syncConfig, context, () => now);
    return { sync, context, logs, at: (t: number) => (now = t) };
  }

  afterEach(async () => {
    // Close whatever a test left open so the next one starts clean.
    for (const id of stub.openWindows().keys())
      await fetch(`${stub.url}${DEFENDER_IOT_MAINTENANCE_PATH}`, {
        method: 'DELETE',
        headers: { authorization: TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ ticketId: id }),
      });
  });

  it('opens a window in force with the minutes left, scoped to the zone; idempotent by ticket ID', async () => {
    const { sync } = setup([
      { id: 'MW-1', start: T0 - HOUR, end: T0 + 2 * HOUR },
      { id: 'MW-later', start: T0 + 5 * HOUR, end: T0 + 6 * HOUR },
    ]);
    expect(await sync.runOnce()).toMatchObject({ opened: ['MW-1'], closed: [], skipped: [] });
    expect(stub.openWindows().get('MW-1')).toMatchObject({
      ttl: 120,
      engines: ['ANOMALY', 'OPERATIONAL', 'POLICY_VIOLATION', 'PROTOCOL_VIOLATION'],
      sensorIds: ['5', '3'],
      subnets: ['10.20.0.0/16'],
    });
    expect(stub.openWindows().has('MW-later')).toBe(false);
    // The same process does not ask again; a restarted one (or a second replica) gets 409 and moves on.
    expect(await sync.runOnce()).toMatchObject({ opened: [], alreadyOpen: [] });
    const restarted = setup([{ id: 'MW-1', start: T0 - HOUR, end: T0 + 2 * HOUR }]);
    expect(await restarted.sync.runOnce()).toMatchObject({ opened: [], alreadyOpen: ['MW-1'] });
    expect(stub.callsTo(DEFENDER_IOT_MAINTENANCE_PATH).map((c) => c.status)).toEqual([201, 409]);
  });

  it('scopes a window listing assets to their addresses', async () => {
    const { sync } = setup([{ id: 'MW-2', assets: ['hmi-2'], start: T0, end: T0 + HOUR }]);
    await sync.runOnce();
    expect(stub.openWindows().get('MW-2')).toMatchObject({ ttl: 60, subnets: ['10.20.1.2/32'] });
  });

  it('opens at start (or lead) and closes when it ends or is removed from the configuration', async () => {
    const s = setup([
      { id: 'MW-3', start: T0 + HOUR, end: T0 + 3 * HOUR },
      { id: 'MW-4', start: T0, end: T0 + 4 * HOUR },
    ]);
    await s.sync.runOnce();
    expect([...stub.openWindows().keys()]).toEqual(['MW-4']);
    s.at(T0 + HOUR);
    expect(await s.sync.runOnce()).toMatchObject({ opened: ['MW-3'] });
    // MW-3 is ended early (its end moved back) and MW-4 removed from the configuration.
    (s.context as { maintenanceWindows: BackgroundContext['maintenanceWindows'] }).maintenanceWindows = [
      { ...s.context.maintenanceWindows[0]!, end: new Date(T0 + HOUR + 60_000).toISOString() },
    ];
    s.at(T0 + HOUR + 120_000);
    expect(await s.sync.runOnce()).toMatchObject({ closed: ['MW-3', 'MW-4'] });
    expect(stub.openWindows().size).toBe(0);
    // Closed once: the next run asks nothing.
    stub.reset();
    await s.sync.runOnce();
    expect(stub.callsTo(DEFENDER_IOT_MAINTENANCE_PATH)).toEqual([]);
  });

  it('never opens an unscoped window, and retries a failed call at the next run', async () => {
    const s = setup([
      { id: 'MW-5', zone: 'elsewhere', start: T0, end: T0 + HOUR },
      { id: 'MW-6', start: T0, end: T0 + HOUR },
    ]);
    stub.failNext(503, 1, {}, { path: DEFENDER_IOT_MAINTENANCE_PATH });
    const first = await s.sync.runOnce();
    expect(first.skipped.map((x) => x.id)).toEqual(['MW-5', 'MW-6']);
    expect(first.skipped[0]?.reason).toMatch(/no sensorIds or subnets/);
    expect(JSON.stringify(first)).not.toContain(TOKEN);
    expect(await s.sync.runOnce()).toMatchObject({ opened: ['MW-6'] });
    expect(s.logs.join('\n')).not.toContain(TOKEN);
  });

  it('runs from the worker: started with the connectors, at once and on its interval, stopped at shutdown', async () => {
    const now = Date.now();
    const cfg = configSchema.parse({
      zones: [{ id: 'line1-cell', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] }],
      maintenanceWindows: [
        {
          id: 'MW-live',
          zone: 'line1-cell',
          start: new Date(now - 60_000).toISOString(),
          end: new Date(now + HOUR).toISOString(),
        },
      ],
      integrations: {
        'defender-iot': { baseUrl: stub.url, apiToken: TOKEN, maintenanceSync: { interval: '1s' } },
      },
    });
    const logs: string[] = [];
    const tasks = new Connectors(cfg.integrations).startBackground({
      maintenanceWindows: cfg.maintenanceWindows,
      zones: cfg.zones,
      assets: cfg.assets,
      log: { info: (_f, m) => logs.push(m), warn: (_f, m) => logs.push(m) },
    });
    expect(tasks).toHaveLength(1);
    try {
      for (let i = 0; i < 50 && !stub.openWindows().has('MW-live'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(stub.openWindows().get('MW-live')).toMatchObject({ ttl: 60, sensorIds: [], subnets: ['10.20.0.0/16'] });
      expect(logs).toContain('maintenance windows synced');
    } finally {
      await Promise.all(tasks.map((t) => t.stop()));
    }
    expect(new Connectors(configFor(stub.url).integrations).startBackground({ ...cfg, log: console })).toEqual([]);
  });
});
