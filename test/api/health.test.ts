/**
 * The API's probes (GET /health/live, /health/ready, and the combined GET /health) and what a
 * draining API answers, on the real Nest app (createApiApp) against the real Temporal dev
 * server and PostgreSQL — and against a PostgreSQL that does not answer.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../../src/api/create-app';
import { drainAndClose, requestsInFlight } from '../../src/api/shutdown';
import { parseConfig } from '../../src/config/load';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logging';
import { Lifecycle } from '../../src/runtime/health';
import { createServices, servicesOn, type Services } from '../../src/runtime/services';
import { createTestDatabase } from '../support/pg';

const TOKEN = 'health-token-0123456789';
const ALICE = 'alice-key-0123456789abcdef';
const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
const log = createLogger('health-test', 'silent');

let db: { url: string; drop(): Promise<void> };
let connection: Connection;

function configFor(databaseUrl: string) {
  return parseConfig(
    JSON.stringify({
      server: { port: 0 },
      temporal: { address, taskQueue: `health-${randomBytes(4).toString('hex')}` },
      database: { url: databaseUrl },
      sources: { generic: { token: TOKEN } },
      operators: [{ id: 'alice', name: 'Alice', roles: ['soc-analyst'], apiKey: ALICE }],
    }),
    {},
  );
}

async function startApp(services: Services, databaseUrl: string, lifecycle = new Lifecycle()) {
  const app = await createApiApp({
    config: configFor(databaseUrl),
    temporal: new Client({ connection }),
    services,
    log,
    lifecycle,
  });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return { app, url, get, lifecycle };
}

beforeAll(async () => {
  db = await createTestDatabase();
  connection = await Connection.connect({ address });
}, 60_000);

afterAll(async () => {
  await connection?.close();
  await db?.drop();
});

describe('with PostgreSQL and Temporal answering', () => {
  let services: Services;
  let api: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    services = await createServices(configFor(db.url));
    api = await startApp(services, db.url);
  }, 60_000);
  afterAll(async () => {
    await api?.app.close();
    await services?.close();
  });

  it('is live and ready; GET /health (combined) keeps its shape', async () => {
    expect(await api.get('/health/live')).toMatchObject({ status: 200, body: { status: 'up' } });
    expect(await api.get('/health/ready')).toMatchObject({
      status: 200,
      body: { status: 'up', draining: false, checks: { database: 'up', temporal: 'up' } },
    });
    expect(await api.get('/health')).toMatchObject({
      status: 200,
      body: { status: 'up', checks: { database: 'up', temporal: 'up' } },
    });
  });

  it('once draining: not ready, still live, every other route refused with 503 shutting_down and Retry-After', async () => {
    api.lifecycle.startDraining();
    expect(await api.get('/health/ready')).toMatchObject({ status: 503, body: { status: 'down', draining: true } });
    expect(await api.get('/health')).toMatchObject({ status: 503, body: { status: 'down' } });
    expect(await api.get('/health/live')).toMatchObject({ status: 200, body: { status: 'up' } });
    const webhook = await fetch(`${api.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ id: 'drain-1', title: 'refused while draining', severity: 'low' }),
    });
    expect(webhook.status).toBe(503);
    expect(webhook.headers.get('retry-after')).toBe('5');
    expect(webhook.headers.get('connection')).toBe('close');
    expect(await webhook.json()).toEqual({
      error: { status: 503, code: 'shutting_down', message: expect.any(String) },
    });
    expect(await api.get('/incidents', { authorization: `Bearer ${ALICE}` })).toMatchObject({
      status: 503,
      body: { error: { code: 'shutting_down' } },
    });
  });
});

it('is live but not ready while PostgreSQL does not answer', async () => {
  const unreachable = 'postgres://interlock@127.0.0.1:1/none';
  const pool = createPool(unreachable);
  const services = servicesOn(pool);
  const api = await startApp(services, unreachable);
  try {
    expect(await api.get('/health/live')).toMatchObject({ status: 200, body: { status: 'up' } });
    expect(await api.get('/health/ready')).toMatchObject({
      status: 503,
      body: { status: 'down', draining: false, checks: { database: 'down', temporal: 'up' } },
    });
    expect(await api.get('/health')).toMatchObject({ status: 503, body: { checks: { database: 'down' } } });
  } finally {
    await api.app.close();
    await pool.end();
  }
});

it('drainAndClose answers the request in flight with 202, refusing new requests meanwhile, then closes the listener', async () => {
  const services = await createServices(configFor(db.url));
  const api = await startApp(services, db.url);
  try {
    // A delivery whose headers arrived before the drain and whose body arrives during it.
    const body = JSON.stringify({ id: 'drain-2', title: 'in flight at shutdown', severity: 'low' });
    const { port } = new URL(api.url);
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/webhooks/generic',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${TOKEN}` },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    request.write(body.slice(0, 10));
    while (requestsInFlight(api.app) === 0) await new Promise((r) => setTimeout(r, 20));
    const closed = drainAndClose(api.app, api.lifecycle, log);
    // While the delivery is in flight, new requests are answered 503 and the probes still answer.
    expect(await api.get('/incidents', { authorization: `Bearer ${ALICE}` })).toMatchObject({ status: 503 });
    expect(await api.get('/health/ready')).toMatchObject({ status: 503, body: { draining: true } });
    request.end(body.slice(10));
    expect(await answered).toEqual({ status: 202, text: expect.stringContaining('"incidentId"') });
    await closed;
    // Then the listener is closed: new connections are refused.
    await expect(fetch(`${api.url}/health/live`)).rejects.toThrow();
  } finally {
    await services.close();
  }
});
