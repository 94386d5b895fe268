import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseTemporalDevServer } from '../../src/dev/temporal-server';
import { startTemporalServer } from './temporal-server';

/**
 * One Temporal server for the whole test run; every end-to-end stack uses its own namespace and
 * task queue on it. The dev server (the real one, built from its Go module) by default, its
 * store a file and a watchdog restarting it on the same port if the store stops answering
 * (superviseTemporalDevServer says why); INTERLOCK_TEST_TEMPORAL=server runs the whole suite
 * against the production server with PostgreSQL persistence instead (scripts/temporal-server.sh).
 */
export default async function globalSetup(): Promise<void> {
  let shutdown: () => Promise<void>;
  if (process.env['INTERLOCK_TEST_TEMPORAL'] === 'server') {
    const server = await startTemporalServer();
    process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
    shutdown = () => server.stop();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-temporal-dev-'));
    const server = await superviseTemporalDevServer({
      dbFile: join(dir, 'temporal.db'),
      warn: (msg) => process.stderr.write(`[test run] ${msg}\n`),
    });
    process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] = server.address;
    shutdown = async () => {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  (globalThis as { __interlockTemporal?: { shutdown(): Promise<void> } }).__interlockTemporal = { shutdown };
}
