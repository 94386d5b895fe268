import { startSupervisedDevServer } from './dev-server';
import { startTemporalServer } from './temporal-server';

/**
 * One Temporal server for the whole test run; every end-to-end stack uses its own namespace and
 * task queue on it. The dev server (the real one, built from its Go module, restarted by a
 * watchdog if its store wedges: test/support/dev-server.ts) by default;
 * INTERLOCK_TEST_TEMPORAL=server runs the whole suite against the production server with
 * PostgreSQL persistence instead (scripts/temporal-server.sh).
 */
export default async function globalSetup(): Promise<void> {
  const server =
    process.env['INTERLOCK_TEST_TEMPORAL'] === 'server'
      ? await startTemporalServer()
      : await startSupervisedDevServer();
  process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
  (globalThis as { __interlockTemporal?: { shutdown(): Promise<void> } }).__interlockTemporal = {
    shutdown: () => ('shutdown' in server ? server.shutdown() : server.stop()),
  };
}
