/**
 * Intake starts and signals incidents through the SDK's typed Temporal client (issue 14): the
 * client's interceptors see the call and its payload codecs encode what Temporal stores, the
 * answer still says whether the delivery opened the incident, and a Temporal that does not
 * answer within the 10 s deadline gives 503. The API runs in-process (createApiApp) against the
 * real Temporal dev server and PostgreSQL; no worker is needed for a 202.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createApiApp } from '../../src/api/create-app';
import { parseConfig } from '../../src/config/load';
import type { InterlockConfig } from '../../src/config/schema';
import { createLogger } from '../../src/logging';
import { createServices, type Services } from '../../src/runtime/services';
import { payloadCodecFor, temporalDataConverter } from '../../src/runtime/temporal-encryption';
import { alertBatchSignal } from '../../src/workflows/definitions';
import { createTestDatabase } from '../support/pg';

const TOKEN = 'typed-client-token-0123456789';
const RUN = randomBytes(4).toString('hex');
const KEY = Buffer.alloc(32, 0x5a).toString('base64');
const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '';

let services: Services;
let db: { url: string; drop(): Promise<void> };
const closers: (() => Promise<unknown>)[] = [];

function configFor(temporalAddress: string): InterlockConfig {
  return parseConfig(
    JSON.stringify({
      server: { port: 0 },
      temporal: {
        address: temporalAddress,
        taskQueue: `typed-client-${RUN}`,
        encryption: { keys: [{ id: 'typed-k1', key: KEY }] },
      },
      database: { url: db.url },
      incidents: { closeAfterIdle: '1m' },
      sources: { generic: { token: TOKEN } },
    }),
    {},
  );
}

/** The API in-process with `client`; resolves with its base URL. */
async function startApi(config: InterlockConfig, client: Client): Promise<string> {
  const app: INestApplication = await createApiApp({
    config,
    temporal: client,
    services,
    log: createLogger('typed-client', 'silent'),
  });
  closers.push(() => app.close());
  await app.listen(0, '127.0.0.1');
  return app.getUrl();
}

function deliver(baseUrl: string, id: string) {
  return fetch(`${baseUrl}/webhooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      id,
      title: `Typed client ${RUN} on typed-host-${RUN}`,
      severity: 'low',
      rule: { id: `typed-${RUN}` },
      hosts: [{ name: `typed-host-${RUN}` }],
    }),
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  services = await createServices(configFor(address));
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await services?.close();
  await db?.drop();
});

it('goes through the client interceptors and codecs, and tells the delivery that opened the incident', async () => {
  const config = configFor(address);
  const seen: { workflowType: string; signalName: string }[] = [];
  const recorder: WorkflowClientInterceptor = {
    signalWithStart(input, next) {
      seen.push({ workflowType: input.workflowType, signalName: input.signalName });
      return next({
        ...input,
        headers: { ...input.headers, 'typed-client-test': defaultPayloadConverter.toPayload(RUN) },
      });
    },
  };
  const connection = await Connection.connect({ address });
  closers.push(() => connection.close());
  const client = new Client({
    connection,
    dataConverter: temporalDataConverter(payloadCodecFor(config)),
    interceptors: { workflow: [recorder] },
  });
  const baseUrl = await startApi(config, client);

  const first = await deliver(baseUrl, `typed-${RUN}-1`);
  expect(first.status).toBe(202);
  const opened = (await first.json()) as { incidentId: string; deduplicated: boolean };
  expect(opened.deduplicated).toBe(false);
  const second = await deliver(baseUrl, `typed-${RUN}-2`);
  expect(await second.json()).toEqual({ ...opened, workflowId: opened.incidentId, deduplicated: true });
  expect(seen).toEqual([
    { workflowType: 'incidentWorkflow', signalName: alertBatchSignal.name },
    { workflowType: 'incidentWorkflow', signalName: alertBatchSignal.name },
  ]);

  // As Temporal stores it: the interceptor's header is there, the input and signals are encrypted.
  const { history } = await connection.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: { workflowId: opened.incidentId },
  });
  const events = history?.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  expect(Object.keys(started?.header?.fields ?? {})).toContain('typed-client-test');
  const payloads = [
    ...(started?.input?.payloads ?? []),
    ...events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []),
  ];
  expect(payloads).toHaveLength(3); // the input, and one alert batch per delivery
  for (const payload of payloads) {
    expect(Buffer.from(payload.metadata?.['encoding'] ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.data ?? []).toString('latin1')).not.toContain(`typed-host-${RUN}`);
  }
});

it('answers 503 with Retry-After when Temporal does not answer within the 10 s deadline', async () => {
  // A "Temporal" that accepts connections and never answers.
  const sockets: Socket[] = [];
  const silent: Server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(resolve);
      }),
  );
  const port = (silent.address() as { port: number }).port;
  const config = configFor(`127.0.0.1:${port}`);
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  closers.push(() => connection.close());
  const baseUrl = await startApi(
    config,
    new Client({ connection, dataConverter: temporalDataConverter(payloadCodecFor(config)) }),
  );

  const startedAt = Date.now();
  const response = await deliver(baseUrl, `typed-${RUN}-silent`);
  const elapsed = Date.now() - startedAt;
  expect({ status: response.status, retryAfter: response.headers.get('retry-after') }).toEqual({
    status: 503,
    retryAfter: '5',
  });
  expect(await response.json()).toMatchObject({ error: { code: 'unavailable' } });
  expect(elapsed).toBeGreaterThanOrEqual(9_500);
  expect(elapsed).toBeLessThan(20_000);
}, 45_000); // the API's start waits up to 5 s for the silent server's search attributes
