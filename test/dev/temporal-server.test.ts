import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  findTemporalCli,
  startTemporalDevServer,
  superviseTemporalDevServer,
  temporalCliCachePath,
  type SupervisedTemporalDevServer,
} from '../../src/dev/temporal-server';

jest.setTimeout(120_000);

describe('findTemporalCli', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interlock-cli-lookup-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeExecutable(path: string): Promise<string> {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '#!/bin/sh\n');
    await chmod(path, 0o755);
    return path;
  }

  it('prefers TEMPORAL_CLI_PATH, then the bootstrap cache, then PATH', async () => {
    const explicit = await fakeExecutable(join(dir, 'explicit', 'temporal'));
    const cached = await fakeExecutable(join(dir, 'cache', 'bin', 'temporal'));
    const onPath = await fakeExecutable(join(dir, 'path-bin', 'temporal'));
    const cacheRoot = join(dir, 'cache');
    const pathDirs = `/nonexistent:${join(dir, 'path-bin')}`;

    expect(temporalCliCachePath({ INTERLOCK_CACHE: cacheRoot })).toBe(cached);
    expect(findTemporalCli({ TEMPORAL_CLI_PATH: explicit, INTERLOCK_CACHE: cacheRoot, PATH: pathDirs })).toBe(explicit);
    expect(findTemporalCli({ INTERLOCK_CACHE: cacheRoot, PATH: pathDirs })).toBe(cached);
    expect(findTemporalCli({ INTERLOCK_CACHE: join(dir, 'empty-cache'), PATH: pathDirs })).toBe(onPath);
    expect(findTemporalCli({ INTERLOCK_CACHE: join(dir, 'empty-cache'), PATH: '/nonexistent' })).toBeUndefined();
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable', async () => {
    const notExecutable = join(dir, 'not-executable');
    await writeFile(notExecutable, 'data');
    expect(() => findTemporalCli({ TEMPORAL_CLI_PATH: notExecutable })).toThrow(/TEMPORAL_CLI_PATH/);
  });
});

describe('startTemporalDevServer', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interlock-temporal-dev-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the requested namespace, persists workflows in its SQLite file across restarts, and shuts down', async () => {
    const dbFile = join(dir, 'temporal.sqlite');
    const namespace = 'interlock-dev-test';
    const workflowId = 'dev-server-persistence-check';
    const messages: string[] = [];

    const first = await startTemporalDevServer({ dbFile, namespace, log: (m) => messages.push(m) });
    expect(first.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(messages.some((m) => m.includes(first.address))).toBe(true);
    const firstConnection = await Connection.connect({ address: first.address });
    try {
      const described = await firstConnection.workflowService.describeNamespace({ namespace });
      expect(described.namespaceInfo?.name).toBe(namespace);
      // No worker runs: the workflow stays open, which is all persistence needs.
      await new Client({ connection: firstConnection, namespace }).workflow.start('neverPolled', {
        taskQueue: 'no-worker',
        workflowId,
      });
    } finally {
      await firstConnection.close();
    }
    await first.shutdown();
    await expect(Connection.connect({ address: first.address, connectTimeout: 1_000 })).rejects.toThrow();

    const second = await startTemporalDevServer({ dbFile, namespace });
    try {
      const connection = await Connection.connect({ address: second.address });
      try {
        const description = await new Client({ connection, namespace }).workflow.getHandle(workflowId).describe();
        expect(description.type).toBe('neverPolled');
        expect(description.status.name).toBe('RUNNING');
      } finally {
        await connection.close();
      }
    } finally {
      await second.shutdown();
    }
  });
});

describe('startTemporalDevServer after a crash', () => {
  let dir: string;
  const spawned: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interlock-temporal-orphan-'));
  });

  afterAll(async () => {
    for (const child of spawned) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  function isAlive(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== '';
    } catch {
      return false;
    }
  }

  async function freePort(): Promise<number> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    return port;
  }

  async function waitUntilServing(address: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        await connection.close();
        return;
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  it('stops the server a previous process left running on the same database file, and nothing else', async () => {
    const cli = findTemporalCli();
    if (!cli) throw new Error('this test needs the temporal CLI: run `bash scripts/bootstrap.sh`');
    const dbFile = join(dir, 'temporal.sqlite');
    const pidFile = `${dbFile}.server-pid`;

    // What a crashed `dev` run leaves behind: its server still running, its PID recorded.
    const orphanPort = await freePort();
    const orphan = spawn(
      cli,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(orphanPort), '--db-filename', dbFile],
      { stdio: 'ignore' },
    );
    spawned.push(orphan);
    await waitUntilServing(`127.0.0.1:${orphanPort}`);
    await writeFile(pidFile, `${orphan.pid}\n`);
    const server = await startTemporalDevServer({ dbFile });
    try {
      expect(isAlive(orphan.pid ?? -1)).toBe(false);

      // The new server's PID is recorded for the next start, and it serves requests.
      const recorded = Number((await readFile(pidFile, 'utf8')).trim());
      expect(readFileSync(`/proc/${recorded}/cmdline`, 'utf8')).toContain(dbFile);
      const connection = await Connection.connect({ address: server.address });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.close();
    } finally {
      await server.shutdown();
    }
    expect(existsSync(pidFile)).toBe(false);

    // A recorded PID now used by an unrelated process is left alone.
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    spawned.push(unrelated);
    await writeFile(pidFile, `${unrelated.pid}\n`);
    const again = await startTemporalDevServer({ dbFile });
    await again.shutdown();
    expect(isAlive(unrelated.pid ?? -1)).toBe(true);
  });
});

describe('superviseTemporalDevServer', () => {
  let dir: string;
  let server: SupervisedTemporalDevServer | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interlock-temporal-watchdog-'));
  });

  afterAll(async () => {
    await server?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  // A SIGKILL stands in for the wedged SQLite connection seen in CI: either way the store stops answering.
  it('restarts a server that stopped answering on the same address, its namespaces and workflows kept', async () => {
    const namespace = 'interlock-watchdog-test';
    const warnings: string[] = [];
    server = await superviseTemporalDevServer({
      dbFile: join(dir, 'temporal.db'),
      namespace,
      probeEveryMs: 300,
      probeTimeoutMs: 2_000,
      failuresBeforeRestart: 2,
      warn: (m) => warnings.push(m),
    });
    const started = await Connection.connect({ address: server.address });
    try {
      await new Client({ connection: started, namespace }).workflow.start('neverPolled', {
        taskQueue: 'no-worker',
        workflowId: 'kept-across-restart',
      });
    } finally {
      await started.close();
    }
    const first = server.pid();
    expect(first).toBeDefined();
    process.kill(first as number, 'SIGKILL');

    for (let waited = 0; server.restarts() === 0; waited += 100) {
      if (waited > 60_000) throw new Error(`the watchdog did not restart the server:\n${warnings.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(server.pid()).not.toBe(first);
    expect(warnings.join('\n')).toMatch(/not answering .*restarting it on port \d+ with its store/);
    const connection = await Connection.connect({ address: server.address });
    try {
      const description = await new Client({ connection, namespace }).workflow
        .getHandle('kept-across-restart')
        .describe();
      expect(description.status.name).toBe('RUNNING');
    } finally {
      await connection.close();
    }
    await new Promise((r) => setTimeout(r, 1_000)); // a few more reads of a serving server
    expect(server.restarts()).toBe(1);
  });
});
