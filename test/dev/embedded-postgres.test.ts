import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/dev/embedded-postgres';

jest.setTimeout(120_000);

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql);
    return result.rows;
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  let dataDir: string;
  let running: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'interlock-embedded-pg-'));
  });

  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a password-protected cluster on 127.0.0.1 and keeps its data across a restart', async () => {
    running = await startEmbeddedPostgres({ dataDir, database: 'interlock_dev' });
    const url = new URL(running.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(running.port);
    expect(url.password).not.toBe('');
    expect((await stat(join(dataDir, 'password'))).mode & 0o077).toBe(0);

    expect(await query(running.url, 'SELECT current_database() AS db')).toEqual([{ db: 'interlock_dev' }]);
    await query(running.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restart')");

    // Without the generated password the server refuses the connection.
    const anonymous = new Client({
      host: '127.0.0.1',
      port: running.port,
      user: 'postgres',
      password: 'wrong',
      database: 'postgres',
    });
    await expect(anonymous.connect()).rejects.toThrow(/password authentication failed/);
    await anonymous.end().catch(() => undefined);

    const firstPort = running.port;
    await running.stop();
    running = undefined;
    await expect(query(`postgres://postgres@127.0.0.1:${firstPort}/postgres`, 'SELECT 1')).rejects.toThrow(
      /ECONNREFUSED/,
    );

    running = await startEmbeddedPostgres({ dataDir, database: 'interlock_dev' });
    expect(await query(running.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restart' }]);
  });

  it('adopts a cluster left running by a previous process instead of failing to start', async () => {
    const first = running ?? (await startEmbeddedPostgres({ dataDir, database: 'interlock_dev' }));
    // A second start on the same dataDir (as after a crash that left postgres running) reuses the server.
    const second = await startEmbeddedPostgres({ dataDir, database: 'interlock_dev' });
    expect(second.port).toBe(first.port);
    expect(await query(second.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
    running = second;
  });

  it('rejects database names that are not plain identifiers', async () => {
    await expect(startEmbeddedPostgres({ dataDir, database: 'x"; DROP DATABASE postgres; --' })).rejects.toThrow(
      /database name/,
    );
  });
});
