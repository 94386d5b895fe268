/**
 * Nozomi Networks connector against its stub: acknowledge / close / learn with Nozomi's
 * asynchronous jobs, the policy's view of each action on an OT asset, and the conformance
 * behaviours (sign-in and renewal, 401/403, unknown alert, 429 Retry-After, 5xx, timeouts,
 * malformed answers, the ledger's post-check, no credentials in errors or results).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { describeConformance } from '../../test/connectors/conformance';
import { Connectors } from '../runtime';
import {
  NOZOMI_ACK_PATH,
  NOZOMI_CLOSE_PATH,
  NOZOMI_QUERY_PATH,
  NOZOMI_SIGN_IN_PATH,
  startNozomiStub,
  type NozomiStub,
} from './nozomi.stub';

const KEY_TOKEN = 'nozomi-secret-key-token-7f3a9c';

// The shared suite: a close on plc-7 (example inventory); the sign-in JWT renewed like an OAuth2 token.
describeConformance({
  connector: 'nozomi',
  oauth2: true,
  async start() {
    const stub = await startNozomiStub({ keyToken: KEY_TOKEN });
    return {
      stub,
      config: { baseUrl: stub.url, keyName: 'interlock-key', keyToken: KEY_TOKEN },
      secrets: [KEY_TOKEN],
      revokeTokens: () => stub.expireTokens(),
      tokensIssued: () => stub.tokensIssued(),
    };
  },
  action: { type: 'sensor.close_alert', target: 'plc-7', params: { alertId: '9d8c7b6a-0000-4000-8000-00000000c0f0' } },
  changePath: NOZOMI_CLOSE_PATH,
  validatedRead: { path: NOZOMI_QUERY_PATH, via: 'execute', malformed: { result: [{ id: 42 }] } },
});
const ALERT = '0f8e2d1c-5b4a-4c3d-9e8f-7a6b5c4d3e2f';
let stub: NozomiStub;
let config: InterlockConfig;
let engine: PolicyEngine;

function configFor(url: string, timeout = '5s'): InterlockConfig {
  return configSchema.parse({
    operators: [{ id: 'omar', name: 'Omar', roles: ['ot-engineer'], apiKey: 'omar-key-0123456789abcdef' }],
    zones: [{ id: 'line1-cell', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] }],
    assets: [
      { id: 'plc-7', hostnames: ['plc-7'], ips: ['10.20.1.7'], zone: 'line1-cell', kind: 'plc', criticality: 'high' },
      { id: 'hmi-2', hostnames: ['hmi-2'], ips: ['10.20.1.2'], zone: 'line1-cell', kind: 'hmi', criticality: 'medium' },
    ],
    policy: { otApproverRoles: ['ot-engineer'] },
    integrations: {
      nozomi: { baseUrl: url, keyName: 'interlock-key', keyToken: KEY_TOKEN, timeout, jobTimeout: '2s' },
    },
  });
}

function connectors(cfg: InterlockConfig = config): Connectors {
  return new Connectors(cfg.integrations, {
    nozomi: { retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 2_000 }, jobPollIntervalMs: 5 },
  });
}

const request = (type: ActionRequest['type'], alertId = ALERT): ActionRequest => ({
  type,
  target: 'plc-7',
  params: { alertId },
});

const decide = (type: ActionRequest['type'], alertId = ALERT) => engine.decide(request(type, alertId));

async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

beforeAll(async () => {
  stub = await startNozomiStub({ keyToken: KEY_TOKEN });
  config = configFor(stub.url);
  engine = new PolicyEngine(config);
});
afterAll(() => stub.close());
beforeEach(() => stub.reset());

describe('policy: Nozomi alert actions on an OT asset', () => {
  it('acknowledges and closes at once (read-only for the plant), on the nozomi connector', () => {
    for (const type of ['sensor.acknowledge_alert', 'sensor.close_alert'] as const) {
      const decision = decide(type);
      expect(decision.outcome).toBe('auto');
      expect(decision.enforcementPoint.split(':')[0]).toBe('nozomi');
    }
  });

  it('holds learning (a baseline change) for OT approval under rule 3, two approvers on a high-criticality asset', () => {
    expect(engine.decide({ type: 'sensor.learn_alert', target: 'hmi-2', params: { alertId: ALERT } })).toMatchObject({
      outcome: 'approve',
      rule: 'rule-3-ot-change-needs-approval',
      approval: { approvals: 1, roles: ['ot-engineer'] },
    });
    expect(decide('sensor.learn_alert')).toMatchObject({
      outcome: 'approve',
      rule: 'rule-7-dual-approval',
      approval: { approvals: 2 },
    });
  });
});

describe('Nozomi alert actions', () => {
  it('signs in with the API key, acknowledges and waits for the job', async () => {
    const id = 'a1a1a1a1-0000-4000-8000-000000000001';
    const result = await enforce(decide('sensor.acknowledge_alert', id), connectors());
    expect(result.summary).toMatch(/acknowledged/);
    expect(result.details).toMatchObject({ alertId: id, action: 'acknowledge', jobStatus: 'SUCCESS' });
    expect(result.details['preChange']).toMatchObject({ status: 'open', acknowledged: false });
    expect(stub.alerts.get(id)).toMatchObject({ ack: true, status: 'open' });
    expect(stub.callsTo(NOZOMI_SIGN_IN_PATH)[0]?.body).toEqual({ key_name: 'interlock-key', key_token: '[REDACTED]' });
    expect(stub.callsTo(NOZOMI_ACK_PATH).find((c) => c.method === 'POST')?.body).toEqual({ data: [{ id, ack: true }] });
    expect(stub.calls.filter((c) => c.path.startsWith(`${NOZOMI_ACK_PATH}/status/`)).length).toBeGreaterThanOrEqual(2);
  });

  it('closes as a security incident (delete_rules) or as learned (learn_rules)', async () => {
    const closed = 'a1a1a1a1-0000-4000-8000-000000000002';
    const learned = 'a1a1a1a1-0000-4000-8000-000000000003';
    const c = connectors();
    await enforce(decide('sensor.close_alert', closed), c);
    await enforce(decide('sensor.learn_alert', learned), c);
    expect(stub.alerts.get(closed)?.status).toBe('closed_as_security');
    expect(stub.alerts.get(learned)?.status).toBe('closed_as_change');
    expect(
      stub
        .callsTo(NOZOMI_CLOSE_PATH)
        .filter((x) => x.method === 'POST')
        .map((x) => x.body),
    ).toEqual([
      { ids: [closed], close_action: 'delete_rules' },
      { ids: [learned], close_action: 'learn_rules' },
    ]);
    // One sign-in serves both actions.
    expect(stub.callsTo(NOZOMI_SIGN_IN_PATH)).toHaveLength(1);
  });

  it('asks nothing when the alert is already in the wanted state', async () => {
    const id = 'a1a1a1a1-0000-4000-8000-000000000004';
    const c = connectors();
    await enforce(decide('sensor.learn_alert', id), c);
    stub.reset();
    const again = await enforce(decide('sensor.learn_alert', id), c);
    expect(again.details).toMatchObject({ alreadyInPlace: true });
    expect(stub.callsTo(NOZOMI_CLOSE_PATH)).toEqual([]);
  });

  it('refuses to learn an alert already closed as a security incident', async () => {
    const id = 'a1a1a1a1-0000-4000-8000-000000000005';
    const c = connectors();
    await enforce(decide('sensor.close_alert', id), c);
    const failure = await failureOf(enforce(decide('sensor.learn_alert', id), c));
    expect(failure.type).toBe('IntegrationRejected');
    expect(failure.message).toMatch(/closed_as_security/);
  });

  it('fails clearly when the job fails, and as retryable when it outlasts jobTimeout', async () => {
    const c = connectors();
    stub.failJobs('FAILED');
    const failed = await failureOf(enforce(decide('sensor.close_alert', 'a1a1a1a1-0000-4000-8000-000000000006'), c));
    expect(failed.type).toBe('IntegrationRejected');
    expect(failed.message).toMatch(/FAILED/);

    stub.stallJobs(true);
    try {
      const error = await enforce(decide('sensor.acknowledge_alert', 'a1a1a1a1-0000-4000-8000-000000000007'), c).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: 'timeout', retryable: true });
      expect(String(error)).toMatch(/still PENDING/);
    } finally {
      stub.stallJobs(false);
    }
  });

  it('refuses a step without params.alertId, and an alert ID that would change the query', async () => {
    const missing = await failureOf(
      enforce(engine.decide({ type: 'sensor.acknowledge_alert', target: 'plc-7', params: {} }), connectors()),
    );
    expect(missing.message).toMatch(/params\.alertId/);
    const hostile = await failureOf(enforce(decide('sensor.acknowledge_alert', 'x | delete alerts'), connectors()));
    expect(hostile.message).toMatch(/invalid alert ID/);
    expect(stub.callsTo(NOZOMI_QUERY_PATH)).toEqual([]);
  });
});

describe('Nozomi specifics', () => {
  it('signs in again when the token expires (401), once', async () => {
    const c = connectors();
    await enforce(decide('sensor.acknowledge_alert', 'b2b2b2b2-0000-4000-8000-000000000001'), c);
    stub.expireTokens();
    await enforce(decide('sensor.acknowledge_alert', 'b2b2b2b2-0000-4000-8000-000000000002'), c);
    expect(stub.callsTo(NOZOMI_SIGN_IN_PATH)).toHaveLength(2);
  });

  it('wrong key or 403: IntegrationMisconfigured naming nozomi, without the key token', async () => {
    const wrong = configFor(stub.url);
    (wrong.integrations as Record<string, { keyToken: string }>)['nozomi']!.keyToken = 'wrong-secret-token-123';
    const failure = await failureOf(enforce(decide('sensor.acknowledge_alert'), connectors(wrong)));
    expect(failure.type).toBe('IntegrationMisconfigured');
    expect(failure.message).toMatch(/nozomi/);
    expect(failure.message).not.toContain('wrong-secret-token-123');

    stub.failNext(403, 1, {}, { path: NOZOMI_QUERY_PATH });
    const forbidden = await failureOf(enforce(decide('sensor.close_alert'), connectors()));
    expect(forbidden.type).toBe('IntegrationMisconfigured');
    expect(forbidden.message).toMatch(/nozomi/);
  });

  it('an alert Nozomi does not know: IntegrationRejected, nothing changed', async () => {
    const known = await startNozomiStub({ keyToken: KEY_TOKEN, alerts: [ALERT] });
    try {
      const failure = await failureOf(
        enforce(decide('sensor.close_alert', 'c3c3c3c3-0000-4000-8000-000000000404'), connectors(configFor(known.url))),
      );
      expect(failure.type).toBe('IntegrationRejected');
      expect(failure.message).toMatch(/not found/);
      expect(known.callsTo(NOZOMI_CLOSE_PATH)).toEqual([]);
    } finally {
      await known.close();
    }
  });

  it('honours Retry-After on 429, and retries 5xx with backoff before failing', async () => {
    stub.failNext(429, 1, { 'retry-after': '1' }, { path: NOZOMI_ACK_PATH });
    const started = Date.now();
    await enforce(decide('sensor.acknowledge_alert', 'd4d4d4d4-0000-4000-8000-000000000001'), connectors());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(
      stub
        .callsTo(NOZOMI_ACK_PATH)
        .filter((c) => c.method === 'POST')
        .map((c) => c.status),
    ).toEqual([429, 200]);

    stub.reset();
    stub.failNext(503, 5, {}, { path: NOZOMI_QUERY_PATH });
    const error = await enforce(
      decide('sensor.acknowledge_alert', 'd4d4d4d4-0000-4000-8000-000000000002'),
      connectors(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(stub.callsTo(NOZOMI_QUERY_PATH)).toHaveLength(3);
  });

  it('times out a slow Guardian as a retryable failure', async () => {
    const slow = configFor(stub.url, '200ms');
    stub.delayNext(1_000, { path: NOZOMI_QUERY_PATH });
    const error = await enforce(
      decide('sensor.acknowledge_alert', 'e5e5e5e5-0000-4000-8000-000000000001'),
      connectors(slow),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('a malformed answer fails clearly, naming the field', async () => {
    stub.failNext(200, 1, {}, { path: NOZOMI_QUERY_PATH, body: { result: [{ id: 42 }] } });
    const failure = await failureOf(
      enforce(decide('sensor.close_alert', 'f6f6f6f6-0000-4000-8000-000000000001'), connectors()),
    );
    expect(failure.message).toMatch(/unexpected alert query response \(result\.0\.id/);
  });

  it('post-check: finds the change made by an interrupted attempt, and only then', async () => {
    const id = 'a7a7a7a7-0000-4000-8000-000000000001';
    const c = connectors();
    const startedAt = new Date();
    for (const type of ['sensor.acknowledge_alert', 'sensor.close_alert', 'sensor.learn_alert'] as const)
      expect(await observe(decide(type, id), c, { startedAt })).toBeUndefined();
    // The attempt: Nozomi accepts the learn, the answer is lost.
    const held = stub.holdNext({ path: NOZOMI_CLOSE_PATH });
    const attempt = enforce(decide('sensor.learn_alert', id), connectors(configFor(stub.url, '300ms'))).catch(
      () => undefined,
    );
    await held.received;
    await attempt;
    held.release();
    const found = await observe(decide('sensor.learn_alert', id), c, { startedAt });
    expect(found?.details).toMatchObject({ alertId: id, recovered: true, observed: { learned: true } });
    expect(await observe(decide('sensor.acknowledge_alert', id), c, { startedAt })).toBeDefined();
    expect(stub.callsTo(NOZOMI_CLOSE_PATH).filter((x) => x.method === 'POST')).toHaveLength(1);
  });

  it('never writes the key token into results or errors', async () => {
    const result = await enforce(decide('sensor.close_alert', 'a8a8a8a8-0000-4000-8000-000000000001'), connectors());
    expect(JSON.stringify(result)).not.toContain(KEY_TOKEN);
    stub.failNext(500, 3, {}, { path: NOZOMI_QUERY_PATH, body: { error: `echo ${KEY_TOKEN}` } });
    const error = await enforce(
      decide('sensor.close_alert', 'a8a8a8a8-0000-4000-8000-000000000002'),
      connectors(),
    ).catch((e: unknown) => e);
    expect(String(error)).not.toContain(KEY_TOKEN);
    expect(JSON.stringify(stub.calls)).not.toContain(KEY_TOKEN);
  });
});
