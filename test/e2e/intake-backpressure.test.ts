/**
 * Back-pressure at the HTTP level (issue 4): with a tiny `intake.maxPendingAlerts`, a webhook
 * that would take the API process over the limit is answered 429 with `Retry-After` and the
 * JSON error shape, and nothing of it is accepted. The API runs in-process (createApiApp)
 * against the real Temporal dev server and PostgreSQL; no worker is needed, since a 202 only
 * requires Temporal to have accepted the signal-with-start.
 */
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../../src/api/create-app';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging';
import { createServices, type Services } from '../../src/runtime/services';
import { createTestDatabase } from '../support/pg';

const TOKEN = 'backpressure-token-0123456789';
const MAX_PENDING = 2;
const RUN = randomBytes(4).toString('hex');

let app: INestApplication;
let services: Services;
let connection: Connection;
let db: { url: string; drop(): Promise<void> };
let baseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '';
  const config = parseConfig(
    JSON.stringify({
      server: { port: 0 },
      temporal: { address, taskQueue: `backpressure-${RUN}` },
      database: { url: db.url },
      incidents: { closeAfterIdle: '1m' },
      intake: { maxPendingAlerts: MAX_PENDING, maxConcurrentCalls: 1 },
      sources: { elastic: { token: TOKEN }, generic: { token: TOKEN } },
    }),
    {},
  );
  services = await createServices(config);
  connection = await Connection.connect({ address });
  app = await createApiApp({
    config,
    temporal: new Client({ connection }),
    services,
    log: createLogger('backpressure', 'silent'),
  });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await services?.close();
  await db?.drop();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  body: {
    incidentId?: string;
    deduplicated?: boolean;
    alerts?: unknown[];
    error?: { status: number; code: string; message: string };
  };
}

async function post(source: 'elastic' | 'generic', body: unknown): Promise<Answer> {
  const response = await fetch(`${baseUrl}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Answer['body'],
  };
}

/** An Elastic alert document for its own incident (distinct rule and host per `n`). */
function elasticDoc(n: number) {
  return {
    '@timestamp': '2026-11-20T08:14:03.551Z',
    kibana: { alert: { uuid: `bp-${RUN}-${n}`, severity: 'low', rule: { name: `bp rule ${RUN} ${n}` } } },
    host: { name: `bp-host-${n}` },
  };
}

const OVERLOADED = {
  status: 429,
  retryAfter: '1',
  contentType: expect.stringMatching(/^application\/json/) as unknown,
  body: { error: { status: 429, code: 'overloaded', message: expect.any(String) as unknown } },
};

it('accepts a delivery that fits the limit and refuses one that does not, all or nothing', async () => {
  const fits = await post('elastic', { alerts: [elasticDoc(1), elasticDoc(2)] });
  expect(fits.status).toBe(202);
  expect(fits.body.alerts).toHaveLength(MAX_PENDING);

  // Three alerts can never fit two pending slots: refused at once, none of them accepted.
  const refused = await post('elastic', { alerts: [elasticDoc(3), elasticDoc(4), elasticDoc(5)] });
  expect(refused).toEqual(OVERLOADED);

  // Proof nothing of the refused delivery reached Temporal: its first alert now opens a new incident.
  const retried = await post('elastic', { alerts: [elasticDoc(3)] });
  expect([retried.status, retried.body.deduplicated]).toEqual([202, false]);
});

it('answers 429 + Retry-After to a burst beyond the limit, and accepts again once it drains', async () => {
  const burst = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      post('generic', {
        id: `burst-${RUN}-${i}`,
        title: `burst ${i}`,
        severity: 'low',
        hosts: [{ name: `burst-${i}` }],
      }),
    ),
  );
  const refused = burst.filter((a) => a.status === 429);
  const accepted = burst.filter((a) => a.status === 202);
  expect(refused.length + accepted.length).toBe(burst.length);
  expect(refused.length).toBeGreaterThan(0);
  expect(accepted.length).toBeGreaterThanOrEqual(1);
  for (const answer of refused) expect(answer).toEqual(OVERLOADED);
  for (const answer of accepted) expect(answer.body.deduplicated).toBe(false);

  // Nothing leaked: the pending count is back to zero, so a full-size delivery fits again.
  const after = await post('elastic', { alerts: [elasticDoc(6), elasticDoc(7)] });
  expect(after.status).toBe(202);
});
