/**
 * The probes as the worker serves them on metrics.workerPort (the real metrics HTTP server):
 * liveness never looks at dependencies; readiness fails when PostgreSQL or Temporal does not
 * answer, and from the moment the process starts draining.
 */
import { startMetricsServer } from '../../src/metrics';
import { Lifecycle, probeRoutes, type HealthChecks } from '../../src/runtime/health';

let checks: HealthChecks = { database: 'up', temporal: 'up' };
const lifecycle = new Lifecycle();
let server: Awaited<ReturnType<typeof startMetricsServer>>;

beforeAll(async () => {
  server = await startMetricsServer(
    0,
    '127.0.0.1',
    probeRoutes(() => Promise.resolve(checks), lifecycle),
  );
});
afterAll(() => server.close());

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
  const text = await response.text();
  return {
    status: response.status,
    body: response.headers.get('content-type') === 'application/json' ? JSON.parse(text) : text,
  };
}

it('is live and ready while both dependencies answer', async () => {
  expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'up', uptimeSeconds: expect.any(Number) } });
  expect(await get('/health/ready')).toEqual({
    status: 200,
    body: { status: 'up', draining: false, checks: { database: 'up', temporal: 'up' } },
  });
  expect((await get('/metrics')).status).toBe(200);
  expect((await get('/health')).status).toBe(404);
});

it.each([
  ['PostgreSQL', { database: 'down', temporal: 'up' }],
  ['Temporal', { database: 'up', temporal: 'down' }],
] as const)('is not ready while %s does not answer, and stays live', async (_name, down) => {
  checks = down;
  expect(await get('/health/ready')).toEqual({ status: 503, body: { status: 'down', draining: false, checks: down } });
  expect((await get('/health/live')).status).toBe(200);
  checks = { database: 'up', temporal: 'up' };
});

it('is not ready from the moment it drains, and stays live', async () => {
  lifecycle.startDraining();
  expect(await get('/health/ready')).toEqual({
    status: 503,
    body: { status: 'down', draining: true, checks: { database: 'up', temporal: 'up' } },
  });
  expect((await get('/health/live')).status).toBe(200);
});
