import { Connection } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporal-server';
import { freePort } from './stack';

export interface SupervisedDevServer {
  /** host:port of the frontend; the same across restarts. */
  address: string;
  /** How many times the watchdog has restarted the server. */
  restarts(): number;
  /** The server's pid now (for tests of the watchdog). */
  pid(): number | undefined;
  shutdown(): Promise<void>;
}

export interface SupervisorOptions {
  /** How often the watchdog reads the store. */
  probeEveryMs?: number;
  /** A probe that has no answer after this long has failed. */
  probeTimeoutMs?: number;
  /** Consecutive failed probes that make the watchdog restart the server. */
  failuresBeforeRestart?: number;
  log?: (line: string) => void;
}

/**
 * The test run's Temporal dev server, kept serving for the whole run.
 *
 * The dev server keeps its state in SQLite through a single connection. Under load that
 * connection can wedge: every later call fails with "interrupted (9)" until the process
 * restarts. One CI run lost ten suites that way (2026-12-02). So the store is a file, not
 * memory, and a watchdog reads it every few seconds (ListNamespaces goes to the store). After
 * a few failed reads in a row it restarts the server on the same port and file. Namespaces
 * and workflows survive the restart, and workers and clients reconnect on their own, as
 * they would after a Temporal outage.
 */
export async function startSupervisedDevServer(options: SupervisorOptions = {}): Promise<SupervisedDevServer> {
  const probeEveryMs = options.probeEveryMs ?? 2_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
  const failuresBeforeRestart = options.failuresBeforeRestart ?? 3;
  const log = options.log ?? ((line: string) => process.stderr.write(`[temporal dev server] ${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'interlock-temporal-dev-'));
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  // The SDK gives the server 5 s to answer; a cold or busy machine can need a second try.
  const start = async (): Promise<TemporalDevServer> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await startTemporalDevServer({ dbFile, port });
      } catch (error) {
        if (attempt === 3) throw error;
        log(`did not start (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  let server: TemporalDevServer = await start();
  const address = server.address;
  // No retry interceptor: a failed probe should be seen at once, not retried for a minute.
  const connection = await Connection.connect({ address, interceptors: [] });

  let failures = 0;
  let restarts = 0;
  let probing: Promise<void> | undefined;
  let stopped = false;

  const restart = async (reason: string) => {
    log(`not answering (${reason}); restarting it on port ${port} with its store`);
    await server.shutdown().catch((error: unknown) => log(`stopping it failed: ${String(error)}`));
    server = await start();
    restarts += 1;
    failures = 0;
    log(`restarted (${restarts} so far)`);
  };
  const probe = async () => {
    try {
      await connection.withDeadline(Date.now() + probeTimeoutMs, () =>
        connection.workflowService.listNamespaces({ pageSize: 1 }),
      );
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures >= failuresBeforeRestart && !stopped) {
        await restart(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)).catch(
          (restartError: unknown) => log(`restart failed, trying again next probe: ${String(restartError)}`),
        );
      }
    }
  };
  const timer = setInterval(() => {
    probing ??= probe().finally(() => (probing = undefined));
  }, probeEveryMs);
  timer.unref();

  return {
    address,
    restarts: () => restarts,
    pid() {
      try {
        return Number(readFileSync(`${dbFile}.server-pid`, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    async shutdown() {
      stopped = true;
      clearInterval(timer);
      await probing;
      await connection.close();
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
