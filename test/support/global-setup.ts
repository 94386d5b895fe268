import { startTemporalDevServer } from '../../src/dev/temporal-server';

/**
 * One Temporal dev server (the real one, built from its Go module) for the whole test run;
 * every end-to-end stack uses its own task queue on it.
 */
export default async function globalSetup(): Promise<void> {
  const server = await startTemporalDevServer({});
  process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
  (globalThis as { __interlockTemporal?: { shutdown(): Promise<void> } }).__interlockTemporal = server;
}
