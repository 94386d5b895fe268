/**
 * The `interlock` processes as an operator starts them: configuration errors stop startup
 * with a message naming the key, and `dev` mode runs the whole product with embedded defaults.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresDataDir } from '../../src/dev/embedded-postgres';
import { REPO_ROOT, eventually } from '../support/stack';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');

function run(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`interlock ${args.join(' ')} did not exit:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('startup errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlock-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a bad configuration, naming the key, without printing secrets', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'sources:\n  generic: { token: super-secret-token-value }\npolicy:\n  approvalTtl: whenever\n');
    const { code, output } = await run(['api'], { INTERLOCK_CONFIG: path });
    expect(code).toBe(1);
    expect(output).toContain('policy.approvalTtl: invalid duration "whenever"');
    expect(output).not.toContain('super-secret-token-value');
  });

  it('names a missing environment variable', async () => {
    const path = join(dir, 'env.yaml');
    writeFileSync(path, 'sources:\n  generic: { token: ${INTERLOCK_TEST_UNSET_TOKEN} }\n');
    const { code, output } = await run(['worker'], { INTERLOCK_CONFIG: path });
    expect(code).toBe(1);
    expect(output).toContain('sources.generic.token: environment variable INTERLOCK_TEST_UNSET_TOKEN is not set');
  });

  it('refuses to store payloads in clear unless told to, and never prints an encryption key', async () => {
    const unreachable = { TEMPORAL_ADDRESS: '127.0.0.1:1', DATABASE_URL: 'postgres://127.0.0.1:1/none' };
    const noKeys = join(dir, 'no-keys.yaml');
    writeFileSync(noKeys, 'server: { port: 0 }\n');
    for (const mode of ['api', 'worker']) {
      const { code, output } = await run([mode], { INTERLOCK_CONFIG: noKeys, ...unreachable });
      expect(code).toBe(1);
      expect(output).toContain('temporal.encryption lists no key');
      expect(output).toContain('temporal.encryption.disabled: true');
    }
    // With a key, startup goes on (and fails later, at the unreachable database) without printing it.
    const key = Buffer.alloc(32, 0x3c).toString('base64');
    const withKey = join(dir, 'with-key.yaml');
    writeFileSync(withKey, 'temporal:\n  encryption:\n    keys: [{ id: k9, key: ${INTERLOCK_TEST_KEY} }]\n');
    const { code, output } = await run(['worker'], {
      INTERLOCK_CONFIG: withKey,
      INTERLOCK_TEST_KEY: key,
      ...unreachable,
    });
    expect(code).toBe(1);
    expect(output).toContain('"activeKeyId":"k9"');
    expect(output).not.toContain(key);
  });

  it('says which file it cannot read, and what a mode needs', async () => {
    expect(await run(['api'], { INTERLOCK_CONFIG: join(dir, 'missing.yaml') })).toMatchObject({
      code: 1,
      output: expect.stringContaining('Cannot read configuration file'),
    });
    const path = join(dir, 'empty.yaml');
    writeFileSync(path, 'server: { port: 0 }\n');
    expect(await run(['api'], { INTERLOCK_CONFIG: path, TEMPORAL_ADDRESS: '', DATABASE_URL: '' })).toMatchObject({
      code: 1,
      output: expect.stringContaining(
        'api mode needs temporal.address (TEMPORAL_ADDRESS) and database.url (DATABASE_URL)',
      ),
    });
    expect(await run(['serve'], {})).toMatchObject({ code: 2, output: expect.stringContaining('usage: interlock') });
  });
});

describe('dev mode', () => {
  it('runs API, worker, Temporal and PostgreSQL in one process from the embedded defaults', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'interlock-dev-'));
    // mkdtemp makes a private directory: as root, the embedded PostgreSQL (run as the postgres
    // user) must still find a place it can reach.
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, [MAIN, 'dev'], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        INTERLOCK_STATE_DIR: stateDir,
        INTERLOCK_PORT: String(port),
        INTERLOCK_CONFIG: '',
        TEMPORAL_ADDRESS: '',
        DATABASE_URL: '',
        INTERLOCK_TEMPORAL_UI_PORT: String(port + 1),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await eventually(() => (output.includes('API listening') ? true : undefined), 'dev mode to start', 90_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n${output}`);
        },
      );
      const sample = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/splunk?token=dev-splunk-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: sample,
      });
      expect(response.status).toBe(202);
      const { incidentId } = (await response.json()) as { incidentId: string };
      // No enforcement integration is configured in dev: the decision is still made and audited.
      const records = await eventually(async () => {
        const audit = await fetch(`http://127.0.0.1:${port}/incidents/${incidentId}/audit`, {
          headers: { authorization: 'Bearer dev-alice-key-0000000000' },
        });
        const body = (await audit.json()) as { records?: { eventType: string; decision?: { rule: string } }[] };
        return body.records?.some((r) => r.eventType === 'playbook.completed' || r.eventType === 'playbook.failed') ===
          true
          ? body.records
          : undefined;
      }, 'the dev incident to run');
      expect(records.find((r) => r.eventType === 'policy.decided')?.decision?.rule).toBe('rule-2-auto-it');
      expect(records.map((r) => r.eventType)).toContain('action.failed');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toMatchObject({ status: 'up' });
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(embeddedPostgresDataDir(stateDir), { recursive: true, force: true });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    }
  }, 150_000);
});
