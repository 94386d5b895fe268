/**
 * `POST /webhooks/:source`, the intake's hot path, answered by the real API (createApiApp,
 * in-process) in front of a Temporal stand-in whose signal-with-start the test controls: every
 * answer it gives — 202 and its body (a copy's from the copy ledger, forwarded after), the 4xx refusals with their JSON error shape and headers,
 * 429 when the process holds too many alerts, 503 when Temporal does not accept — and the
 * delivery metrics, so a leaner route cannot lose one of them unnoticed.
 */
import type { INestApplication } from '@nestjs/common';
import { Client, type ConnectionLike } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { createApiApp } from '../../src/api/create-app';
import { WebhookAuthenticator } from '../../src/api/webhooks/webhook-auth';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging';
import { metricsRegistry } from '../../src/metrics/registry';
import { createServices, type Services } from '../../src/runtime/services';
import { createTestDatabase } from '../support/pg';

const TOKEN = 'webhook-route-token-0123456789';
const MAX_BODY_BYTES = 2_048;
const MAX_PENDING = 3;

type SignalWithStartRequest = temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest;

/** Temporal's signal-with-start, as the test wants it answered. */
const temporalStandIn = {
  requests: [] as SignalWithStartRequest[],
  running: new Set<string>(),
  /** Set: calls wait for it (to fill the intake); `fail`: calls are refused. */
  held: undefined as Promise<void> | undefined,
  fail: false,
  async signalWithStart(request: SignalWithStartRequest) {
    this.requests.push(request);
    if (this.held !== undefined) await this.held;
    if (this.fail) throw new Error('Temporal is unavailable');
    const id = request.workflowId ?? '';
    const started = !this.running.has(id);
    this.running.add(id);
    return { runId: `run-${id}`, started };
  },
};

function standInClient(): Client {
  const workflowService = {
    signalWithStartWorkflowExecution: (request: SignalWithStartRequest) => temporalStandIn.signalWithStart(request),
  } as unknown as ConnectionLike['workflowService'];
  const connection: ConnectionLike = {
    workflowService,
    operatorService: {} as ConnectionLike['operatorService'],
    plugins: [],
    close: async () => undefined,
    ensureConnected: async () => undefined,
    withDeadline: (_deadline, fn) => fn(),
    withMetadata: (_metadata, fn) => fn(),
    withAbortSignal: (_signal, fn) => fn(),
  };
  return new Client({ connection });
}

let app: INestApplication;
let services: Services;
let db: { url: string; drop(): Promise<void> };
let baseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = parseConfig(
    JSON.stringify({
      server: { port: 0, maxBodyBytes: MAX_BODY_BYTES },
      temporal: { address: '127.0.0.1:1', taskQueue: 'webhook-route', searchAttributes: false },
      database: { url: db.url },
      intake: { maxPendingAlerts: MAX_PENDING, maxConcurrentCalls: 1 },
      sources: { splunk: { token: TOKEN }, elastic: { token: TOKEN } },
    }),
    {},
  );
  services = await createServices(config);
  app = await createApiApp({
    config,
    temporal: standInClient(),
    services,
    log: createLogger('webhook-route', 'silent'),
  });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await services?.close();
  await db?.drop();
});

/** A Splunk alert of its own incident (rule and host `n`). */
function splunkAlert(n: number): string {
  return JSON.stringify({
    result: { dest_host: `route-host-${n}`, severity: 'high', signature: 'Ransomware file rename burst' },
    sid: `scheduler__admin__search__RMD5route_at_1763712000_${n}`,
    search_name: `Route test rule ${n}`,
  });
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { status: number; code: string; message: string; issues?: unknown[] } };
}

const JSON_AUTH = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

/** `path` is what follows `/webhooks/` (a source, possibly with a trailing slash or a query). */
async function deliver(path: string, body: string, headers: Record<string, string> = JSON_AUTH): Promise<Answer> {
  const response = await fetch(`${baseUrl}/webhooks/${path}`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toEqual({ error: { status, code, message: expect.any(String) as unknown } });
}

it('answers 202 with the incident, its workflow and whether it joined an open one, once Temporal accepted', async () => {
  const before = temporalStandIn.requests.length;
  const first = await deliver('splunk', splunkAlert(1));
  expect(first.status).toBe(202);
  expect(first.headers.get('content-type')).toMatch(/^application\/json/);
  expect(first.body).toEqual({
    incidentId: expect.stringMatching(/^inc-/) as unknown,
    workflowId: first.body['incidentId'],
    deduplicated: false,
  });
  // The same bytes again (the shortcut for identical bodies), then another body, then the first again.
  const again = await deliver('splunk', splunkAlert(1));
  const other = await deliver('splunk', splunkAlert(2));
  const third = await deliver('splunk', splunkAlert(1));
  expect(again.body).toEqual({ ...first.body, deduplicated: true });
  expect(other.body).toEqual({
    incidentId: expect.any(String) as unknown,
    workflowId: other.body['incidentId'],
    deduplicated: false,
  });
  expect(other.body['incidentId']).not.toBe(first.body['incidentId']);
  expect(third.body).toEqual({ ...first.body, deduplicated: true });
  // The copies of the first (its alert accepted by Temporal moments before) were answered from
  // the copy ledger in PostgreSQL; its forwarder hands them to the incident within about a second.
  const calls = temporalStandIn.requests.slice(before, before + 2);
  expect(calls.map((c) => c.workflowId)).toEqual([first.body['incidentId'], other.body['incidentId']]);
  const forwarded = await waitFor(() => {
    const later = temporalStandIn.requests.slice(before + 2);
    const copies = later.reduce((n, c) => n + signalled(c).reduce((m, d) => m + d.deliveries, 0), 0);
    return copies >= 2 ? later : undefined;
  });
  expect(forwarded.map((c) => c.workflowId)).toEqual(forwarded.map(() => first.body['incidentId']));
  expect([...calls, ...forwarded].every((c) => c.signalName === 'alertBatch')).toBe(true);
});

/** The AlertDeliveries a signal-with-start carried (the stand-in's config: no payload encryption). */
function signalled(request: SignalWithStartRequest): { deliveries: number }[] {
  const data = request.signalInput?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { deliveries: number }[]) : [];
}

async function waitFor<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('refuses an unknown source (404) and missing or wrong credentials (401 + WWW-Authenticate) before reading the body', async () => {
  expectError(await deliver('nope', splunkAlert(3)), 404, 'unknown_source');
  const missing = await deliver('splunk', splunkAlert(3), { 'content-type': 'application/json' });
  expectError(missing, 401, 'unauthorized');
  expect(missing.headers.get('www-authenticate')).toBe('Bearer');
  const wrong = await deliver('splunk', splunkAlert(3), {
    'content-type': 'application/json',
    authorization: `Bearer ${TOKEN}x`,
  });
  expectError(wrong, 401, 'unauthorized');
  // Authentication comes first: a wrong token on a body that is not JSON is a 401, not a 415.
  expectError(await deliver('splunk', 'not json', { 'content-type': 'text/plain' }), 401, 'unauthorized');
});

it('refuses a body that is not JSON in utf-8 (415), whatever Content-Type came before', async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  expectError(await deliver('splunk', splunkAlert(4), auth), 415, 'unsupported_media_type');
  expect((await deliver('splunk', splunkAlert(4), { ...auth, 'content-type': 'application/json' })).status).toBe(202);
  for (const type of ['text/plain', 'application/json; charset=latin1', 'application/json', 'application/xml']) {
    const answer = await deliver('splunk', splunkAlert(4), { ...auth, 'content-type': type });
    if (type === 'application/json') expect(answer.status).toBe(202);
    else expectError(answer, 415, 'unsupported_media_type');
  }
});

it('refuses a body over server.maxBodyBytes (413), an empty one and one that is not the source format (400 with field paths)', async () => {
  const big = JSON.stringify({
    sid: 'x',
    search_name: 'big',
    result: { dest_host: 'h', pad: 'x'.repeat(MAX_BODY_BYTES) },
  });
  expectError(await deliver('splunk', big), 413, 'payload_too_large');
  expectError(await deliver('splunk', ''), 400, 'empty_body');
  expectError(await deliver('splunk', '{"sid":'), 400, 'malformed_json');
  const invalid = await deliver('elastic', JSON.stringify({ kibana: { alert: { uuid: 7 } } }));
  expect(invalid.status).toBe(400);
  expect(invalid.body.error).toMatchObject({ status: 400, code: 'invalid_alert' });
  expect(invalid.body.error?.issues).toEqual(
    expect.arrayContaining([expect.objectContaining({ path: expect.any(String) as unknown })]),
  );
});

it('answers 429 + Retry-After beyond intake.maxPendingAlerts, 503 + Retry-After when Temporal does not accept, and counts every answer', async () => {
  const received = await counter('interlock_webhook_deliveries_received_total', { source: 'splunk' });
  const accepted = await counter('interlock_webhook_deliveries_accepted_total', { source: 'splunk' });
  const refused429 = await counter('interlock_webhook_deliveries_refused_total', { source: 'splunk', code: '429' });
  const refused503 = await counter('interlock_webhook_deliveries_refused_total', { source: 'splunk', code: '503' });

  let release = () => undefined as void;
  temporalStandIn.held = new Promise((resolve) => (release = resolve));
  const waiting = Array.from({ length: MAX_PENDING }, (_, i) => deliver('splunk', splunkAlert(10 + i)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const overloaded = await deliver('splunk', splunkAlert(20));
  expectError(overloaded, 429, 'overloaded');
  expect(overloaded.headers.get('retry-after')).toBe('1');
  release();
  temporalStandIn.held = undefined;
  expect((await Promise.all(waiting)).map((a) => a.status)).toEqual([202, 202, 202]);

  temporalStandIn.fail = true;
  try {
    const unavailable = await deliver('splunk', splunkAlert(21));
    expectError(unavailable, 503, 'unavailable');
    expect(unavailable.headers.get('retry-after')).toBe('5');
  } finally {
    temporalStandIn.fail = false;
  }

  expect(await counter('interlock_webhook_deliveries_received_total', { source: 'splunk' })).toBe(received + 5);
  expect(await counter('interlock_webhook_deliveries_accepted_total', { source: 'splunk' })).toBe(accepted + 3);
  expect(await counter('interlock_webhook_deliveries_refused_total', { source: 'splunk', code: '429' })).toBe(
    refused429 + 1,
  );
  expect(await counter('interlock_webhook_deliveries_refused_total', { source: 'splunk', code: '503' })).toBe(
    refused503 + 1,
  );
});

it("answers alike whether the fast path or Fastify's route took the delivery (a trailing slash goes to Fastify)", async () => {
  /** Everything of an answer but its Date. */
  const seen = async (path: string, body: string, headers: Record<string, string>) => {
    const response = await fetch(`${baseUrl}/webhooks/${path}`, { method: 'POST', headers, body });
    const answered = [...response.headers].filter(([name]) => name !== 'date');
    return { status: response.status, headers: answered, body: await response.text() };
  };
  const bearer = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
  const cases: [string, string, Record<string, string>][] = [
    ['splunk', splunkAlert(30), JSON_AUTH],
    [
      'splunk',
      splunkAlert(30),
      { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}` },
    ],
    ['splunk', splunkAlert(31), { 'content-type': 'application/json' }],
    ['splunk', splunkAlert(31), bearer(`${TOKEN}x`)],
    [`splunk?token=${TOKEN}`, splunkAlert(30), { 'content-type': 'application/json' }],
    [`splunk?token=${TOKEN}&token=${TOKEN}`, splunkAlert(30), { 'content-type': 'application/json' }],
    ['splunk?token=wrong', splunkAlert(30), { 'content-type': 'application/json' }],
    ['splunk', '{"sid":', JSON_AUTH],
    ['splunk', '[]', JSON_AUTH],
    ['elastic', JSON.stringify({ kibana: { alert: { uuid: 7 } } }), JSON_AUTH],
  ];
  // The alert's incident is open before either path sees it: both answer `deduplicated: true`.
  expect((await deliver('splunk', splunkAlert(30))).status).toBe(202);
  // Which path authenticated each delivery: Fastify's route passes its request (with `raw`).
  const authenticate = jest.spyOn(WebhookAuthenticator.prototype, 'authenticate');
  const byFastify = () => authenticate.mock.calls.splice(0).map(([request]) => 'raw' in request);
  try {
    for (const [path, body, headers] of cases) {
      const [source, query] = path.split('?') as [string, string | undefined];
      const fast = await seen(path, body, headers);
      expect(byFastify()).toEqual([false]);
      const routed = await seen(`${source}/${query === undefined ? '' : `?${query}`}`, body, headers);
      expect(byFastify()).toEqual([true]);
      expect({ path, ...routed }).toEqual({ path, ...fast });
    }
  } finally {
    authenticate.mockRestore();
  }
  // Refused when Temporal does not accept (the error shape with Retry-After).
  temporalStandIn.fail = true;
  try {
    const fast = await seen('splunk', splunkAlert(32), JSON_AUTH);
    expect(fast.status).toBe(503);
    expect(await seen('splunk/', splunkAlert(32), JSON_AUTH)).toEqual(fast);
  } finally {
    temporalStandIn.fail = false;
  }
});
