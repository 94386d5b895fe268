/**
 * The `interlock` processes as an operator starts them: configuration errors stop startup
 * with a message naming the key. `dev` mode, the whole product with embedded defaults and the
 * simulated lab, is followed step by step in dev-first-ten-minutes.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/stack';

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
    expect(await run(['serve'], {})).toMatchObject({
      code: 2,
      output: expect.stringContaining("interlock: unknown command 'serve'"),
    });
  });
});
