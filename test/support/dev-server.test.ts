import { Connection } from '@temporalio/client';
import { eventually, registerNamespace } from './stack';
import { startSupervisedDevServer, type SupervisedDevServer } from './dev-server';

/**
 * The suite's own Temporal dev server is supervised (test/support/dev-server.ts): when it stops
 * answering, the watchdog restarts it on the same address with the same store. A SIGKILL stands
 * in for the wedged SQLite connection seen in CI: both leave the store unreadable.
 */
describe('supervised Temporal dev server', () => {
  let server: SupervisedDevServer | undefined;
  afterAll(async () => {
    await server?.shutdown();
  });

  it('comes back on the same address with its namespaces after it stops answering', async () => {
    const lines: string[] = [];
    server = await startSupervisedDevServer({
      probeEveryMs: 300,
      probeTimeoutMs: 2_000,
      failuresBeforeRestart: 2,
      log: (line) => lines.push(line),
    });
    await registerNamespace(server.address, 'watchdog-kept');
    const first = server.pid();
    expect(first).toBeDefined();
    process.kill(first as number, 'SIGKILL');

    await eventually(() => (server?.restarts() === 1 ? true : undefined), 'the watchdog to restart the server', 60_000);
    expect(server.pid()).not.toBe(first);
    expect(lines.join('\n')).toMatch(/not answering .*restarting it on port \d+ with its store/);
    const connection = await Connection.connect({ address: server.address });
    try {
      const described = await connection.workflowService.describeNamespace({ namespace: 'watchdog-kept' });
      expect(described.namespaceInfo?.name).toBe('watchdog-kept');
    } finally {
      await connection.close();
    }
    expect(server.restarts()).toBe(1); // a serving server is left alone
  }, 120_000);
});
