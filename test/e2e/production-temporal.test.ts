/**
 * The end-to-end smoke against Temporal's production server (go.temporal.io/server, the version
 * docker-compose.yml runs) with PostgreSQL persistence and visibility, instead of the dev
 * server the rest of the suite shares: the same steps as test/e2e/foundation.test.ts (shared in
 * test/support/scenarios.ts) — an automatic IT containment (S1, delivered twice), a dual OT
 * approval decided through workflow updates (S4), and a worker killed while an incident waits
 * for approval. Real processes throughout: server, API, worker, PostgreSQL, vendor stubs.
 */
import { Client } from 'pg';
import { s1ContainsLaptopOnce, s4DualApproval, workerKilledWhileWaiting } from '../support/scenarios';
import { startStack, type Stack } from '../support/stack';
import { startTemporalServer, type TemporalServer } from '../support/temporal-server';

const ADMIN_URL = process.env.INTERLOCK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let server: TemporalServer;
let stack: Stack;

beforeAll(async () => {
  server = await startTemporalServer();
  stack = await startStack({ temporalAddress: server.address });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
});

it('S1: contains the laptop once through CrowdStrike, with no human, when Splunk delivers twice', async () => {
  await s1ContainsLaptopOnce(stack);
});

it('S4: blocks the IT source at the conduit only after two OT engineers approve', async () => {
  await s4DualApproval(stack);
});

it('loses nothing when the worker is killed while an incident waits for approval', async () => {
  await workerKilledWhileWaiting(stack);
});

it('kept the workflows in PostgreSQL, not in a dev server store', async () => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${server.databases[0]}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM executions');
    // Three incident workflows at least (each playbook run that waited is a child workflow too).
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(3);
  } finally {
    await client.end();
  }
});
