/**
 * ServiceNow connector against a Table API stub: tasks created in the configured table with the
 * ledger label in correlation_id, found again by it after an interrupted attempt (never created
 * twice), closed per table, read back (done or not); the conformance behaviours (401/403 →
 * IntegrationMisconfigured, 404 → IntegrationRejected, 429 Retry-After, 5xx backoff, timeouts,
 * malformed responses, the password nowhere in errors or recorded details).
 */
import { inspect } from 'node:util';
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { describeConformance } from '../../test/connectors/conformance';
import { ledgerLabel } from '../action-helpers';
import { Connectors } from '../runtime';
import { ServiceNowClient, type ServiceNowClientOptions } from './client';
import { servicenowConfigSchema } from './config';
import { SERVICENOW_TABLE_PATH, startServiceNowStub, type ServiceNowStub } from './servicenow.stub';

const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };
let stub: ServiceNowStub;

/** Whether this file's own tests started `stub` (the conformance suite runs its own). */
let started = false;
afterEach(async () => {
  if (started) await stub.close();
  started = false;
});

async function start(table?: string) {
  stub = await startServiceNowStub(table === undefined ? {} : { table });
  started = true;
}

function client(options: ServiceNowClientOptions = {}, config: Record<string, unknown> = {}): ServiceNowClient {
  return new ServiceNowClient(
    servicenowConfigSchema.parse({
      baseUrl: stub.url,
      username: stub.username,
      password: stub.password,
      timeout: '2s',
      ...config,
    }),
    { retry: FAST_RETRY, ...options },
  );
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

const LABEL = ledgerLabel('wf:run:logic-compare');
const TASK = { summary: 'Compare the logic of plc-7', description: 'Do not restart.', labels: ['read-only', LABEL] };

describe('ServiceNowClient', () => {
  it('creates an incident with the ledger label in correlation_id, basic auth, and the configured fields', async () => {
    await start();
    const ticket = await client({}, { fields: { assignment_group: 'OT Engineering' } }).createTask(TASK);
    expect(ticket).toEqual({
      key: 'INC0010001',
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      closed: false,
      state: 'New',
    });
    const [call] = stub.callsTo(`${SERVICENOW_TABLE_PATH}/incident`);
    expect(call).toMatchObject({
      method: 'POST',
      status: 201,
      body: {
        short_description: TASK.summary,
        description: 'Do not restart.\nLabels: read-only',
        correlation_id: LABEL,
        correlation_display: 'Interlock',
        assignment_group: 'OT Engineering',
      },
      query: { sysparm_display_value: 'all' },
    });
    expect(call?.headers).not.toHaveProperty('authorization');
  });

  it('finds the task by its label (correlation_id query), and nothing for another label', async () => {
    await start();
    const sn = client();
    const created = await sn.createTask(TASK);
    expect(await sn.findTaskByLabel(LABEL)).toEqual(created);
    expect(await sn.findTaskByLabel(ledgerLabel('other'))).toBeUndefined();
    const query = stub.calls.filter((c) => c.method === 'GET')[0]?.query;
    expect(query).toMatchObject({ sysparm_query: `correlation_id=${LABEL}^ORDERBYsys_created_on`, sysparm_limit: '1' });
  });

  it('refuses a label or number that could change the encoded query', async () => {
    await start();
    expect(await caught(client().findTaskByLabel('x^ORcorrelation_idISNOTEMPTY'))).toMatchObject({
      kind: 'invalid-input',
    });
    expect(await caught(client().readTask('INC1^ORnumberISNOTEMPTY'))).toMatchObject({ kind: 'invalid-input' });
    expect(stub.calls).toEqual([]);
  });

  it('reads a task back: open, then done once someone resolves it', async () => {
    await start();
    const sn = client();
    const { key } = await sn.createTask(TASK);
    expect(await sn.readTask(key)).toMatchObject({ key, closed: false, state: 'New' });
    stub.setState(key, '6');
    expect(await sn.readTask(key)).toMatchObject({ key, closed: true, state: 'Resolved' });
    expect(await sn.readTask('INC0099999')).toBeUndefined();
  });

  it('closes an incident as Resolved with close code and notes', async () => {
    await start();
    const sn = client();
    const { key } = await sn.createTask(TASK);
    await sn.closeTask(key, 'Inside maintenance window mw-1.');
    expect(stub.byNumber(key)).toMatchObject({
      state: '6',
      close_code: 'Solution provided',
      close_notes: 'Inside maintenance window mw-1.',
    });
    expect(stub.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('serves Security Incident Response: sn_si_incident records, closed as Closed (3)', async () => {
    await start('sn_si_incident');
    const sn = client({}, { table: 'sn_si_incident' });
    const ticket = await sn.createTask(TASK);
    expect(ticket).toMatchObject({ key: 'SIR0010001', state: 'Draft', closed: false });
    await sn.closeTask(ticket.key, 'done');
    expect(stub.byNumber(ticket.key)).toMatchObject({ state: '3', close_notes: 'done' });
    expect(stub.byNumber(ticket.key)).not.toHaveProperty('close_code');
    expect(await sn.readTask(ticket.key)).toMatchObject({ closed: true, state: 'Closed' });
  });

  it('retries 5xx and honours Retry-After on 429', async () => {
    await start();
    stub.failNext(503, 2);
    stub.failNext(429, 1, { 'retry-after': '1' });
    const started = Date.now();
    await client().findTaskByLabel(LABEL);
    expect(stub.calls.map((c) => c.status)).toEqual([503, 503, 429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('fails a persistent 5xx as retryable, a timeout as a timeout, a malformed answer clearly', async () => {
    await start();
    stub.failNext(502, 10);
    expect(await caught(client().findTaskByLabel(LABEL))).toMatchObject({ status: 502, retryable: true });
    stub.reset();
    stub.delayNext(3_000);
    expect(await caught(client({ retry: { retries: 0 } }).findTaskByLabel(LABEL))).toMatchObject({
      kind: 'timeout',
    });
    stub.reset();
    stub.failNext(200, 1, {}, { body: { result: [{ sys_id: 'x' }] } });
    const malformed = await caught(client().findTaskByLabel(LABEL));
    expect(malformed).toMatchObject({ kind: 'invalid-response', retryable: false });
    expect((malformed as Error).message).toContain('number');
  });
});

describe('servicenow connector: enforce and observe', () => {
  let engine: PolicyEngine;
  let connectors: Connectors;
  const build = (password?: string, maintenance = false) => {
    const now = Date.now();
    const config = configSchema.parse({
      operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: 'alice-key-0123456789abcdef' }],
      zones: [{ id: 'corp', purdueLevel: 4, mode: 'auto', cidrs: ['10.30.0.0/16'] }],
      assets: [
        { id: 'plc-7', hostnames: ['plc-7'], ips: ['10.30.1.7'], zone: 'corp', kind: 'plc', criticality: 'high' },
      ],
      ...(maintenance && {
        maintenanceWindows: [
          {
            id: 'mw-corp',
            zone: 'corp',
            start: new Date(now - 60_000).toISOString(),
            end: new Date(now + 60_000).toISOString(),
            changeTicket: 'CHG0001',
          },
        ],
      }),
      integrations: {
        servicenow: { baseUrl: stub.url, username: stub.username, password: password ?? stub.password },
      },
    });
    engine = new PolicyEngine(config);
    connectors = new Connectors(config.integrations, { servicenow: { retry: FAST_RETRY } });
  };
  const task = (params: Record<string, unknown> = {}): ActionRequest => ({
    type: 'task.create',
    target: 'plc-7',
    params: { summary: 'Compare the logic of plc-7', ...params },
  });

  it('creates the task once per ledger key: after an interrupted attempt it is found, not created again', async () => {
    await start();
    build();
    const decision = engine.decide(task());
    expect(decision.enforcementPoint).toBe('servicenow');
    const call = { ledgerKey: 'wf:run:logic-compare', startedAt: new Date() };
    expect(await observe(decision, connectors, call)).toBeUndefined();
    const created = await enforce(decision, connectors, call);
    expect(created.details).toMatchObject({ key: 'INC0010001', closed: false });
    expect(stub.byNumber('INC0010001')?.correlation_id).toBe(ledgerLabel(call.ledgerKey));
    const found = await observe(decision, connectors, call);
    expect(found?.details).toMatchObject({ key: 'INC0010001', recovered: true });
    expect(stub.records.size).toBe(1);
  });

  it('closes the task at once inside a maintenance window when the step asks (rule 13)', async () => {
    await start();
    build(undefined, true);
    const result = await enforce(engine.decide(task({ closeInMaintenanceWindow: true })), connectors, {
      ledgerKey: 'k-mw',
    });
    expect(result.summary).toContain('closed');
    expect(stub.byNumber('INC0010001')).toMatchObject({ state: '6' });
    expect(stub.byNumber('INC0010001')?.close_notes).toContain('CHG0001');
  });

  it('401/403 fail as IntegrationMisconfigured naming servicenow; the password appears nowhere', async () => {
    await start();
    const wrong = 'servicenow-wrong-password-77';
    build(wrong);
    const error = await caught(enforce(engine.decide(task()), connectors, { ledgerKey: 'k' }));
    expect(error).toMatchObject({ type: 'IntegrationMisconfigured', nonRetryable: true });
    expect((error as Error).message).toContain('servicenow');
    expect(inspect(error)).not.toContain(wrong);
    expect(JSON.stringify(stub.calls)).not.toContain(wrong);

    build();
    stub.failNext(403, 1, {}, { body: { error: { message: 'Operation Failed', detail: 'ACL Exception' } } });
    expect(await caught(enforce(engine.decide(task()), connectors, { ledgerKey: 'k' }))).toMatchObject({
      type: 'IntegrationMisconfigured',
    });
  });

  it('a 404 fails as IntegrationRejected', async () => {
    await start();
    build();
    stub.failNext(404, 1, {}, { body: { error: { message: 'No Record found', detail: null }, status: 'failure' } });
    const error = await caught(enforce(engine.decide(task()), connectors, { ledgerKey: 'k' }));
    expect(error).toMatchObject({ type: 'IntegrationRejected', nonRetryable: true });
    expect((error as Error).message).toContain('No Record found');
  });
});

describeConformance({
  connector: 'servicenow',
  async start() {
    const password = 'servicenow-conformance-password-0123';
    const stub = await startServiceNowStub({ password });
    return {
      stub,
      config: { baseUrl: stub.url, username: stub.username, password },
      secrets: [password],
    };
  },
  action: { type: 'task.create', target: 'fin-lt-042', params: { summary: 'Check fin-lt-042' } },
  // POST creates the record; GET on the same path is the search by ledger label.
  changePath: `${SERVICENOW_TABLE_PATH}/incident`,
  validatedRead: { path: `${SERVICENOW_TABLE_PATH}/incident`, via: 'observe', malformed: { result: 'nope' } },
});
