/** Console sessions in PostgreSQL: only a token hash stored, idle and absolute timeouts (fake clock), sign-out. */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { ConsoleSessionStore } from '../../src/api/console/auth/session-store';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

const omar = { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'] };
const MIN = 60_000;

describe('ConsoleSessionStore', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let now: number;
  let store: ConsoleSessionStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url);
    await runMigrations(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  beforeEach(() => {
    now = Date.UTC(2026, 11, 1, 8, 0, 0);
    store = new ConsoleSessionStore(pool, { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN }, () => now);
  });

  it('stores only the SHA-256 of the token and finds the session by the token', async () => {
    const { token, session } = await store.create(omar, 'api-key');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt.toISOString()).toBe('2026-12-01T20:00:00.000Z');
    const { rows } = await pool.query<{ token_sha256: string }>('SELECT token_sha256 FROM console_sessions');
    const hashes = rows.map((r) => r.token_sha256);
    expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((await store.touch(token))?.operator).toEqual(omar);
    expect(await store.touch(`${token}x`)).toBeUndefined();
  });

  it('ends a session idle for the idle timeout, and restarts the idle clock on use', async () => {
    const { token } = await store.create(omar, 'api-key');
    now += 29 * MIN;
    expect((await store.touch(token))?.idleExpiresAt.toISOString()).toBe('2026-12-01T08:59:00.000Z');
    now += 29 * MIN;
    expect(await store.touch(token)).toBeDefined();
    now += 30 * MIN;
    expect(await store.touch(token)).toBeUndefined();
    now -= 30 * MIN; // a deleted session does not come back
    expect(await store.touch(token)).toBeUndefined();
  });

  it('lets background refreshes read the session without restarting its idle clock', async () => {
    const { token } = await store.create(omar, 'api-key');
    now += 20 * MIN;
    const seen = await store.touch(token, { restartIdle: false });
    expect(seen?.operator).toEqual(omar);
    expect(seen?.idleExpiresAt.toISOString()).toBe('2026-12-01T08:30:00.000Z');
    // A tab refreshing the queue every few seconds does not keep the session alive.
    for (let i = 0; i < 9; i++) {
      now += MIN;
      expect(await store.touch(token, { restartIdle: false })).toBeDefined();
    }
    now += MIN + 1;
    expect(await store.touch(token, { restartIdle: false })).toBeUndefined();
    expect(await store.touch(token)).toBeUndefined();
  });

  it('ends a session at the absolute timeout however active', async () => {
    const { token } = await store.create(omar, 'oidc');
    for (let i = 0; i < 28; i++) {
      now += 25 * MIN;
      expect(await store.touch(token)).toBeDefined();
    }
    now += 25 * MIN; // 12h05 after sign-in
    expect(await store.touch(token)).toBeUndefined();
  });

  it('caps the idle expiry at the absolute one', async () => {
    const { token } = await store.create(omar, 'api-key');
    now += 12 * 60 * MIN - 10 * MIN;
    store = new ConsoleSessionStore(pool, { idleMs: 12 * 60 * MIN, absoluteMs: 12 * 60 * MIN }, () => now);
    expect((await store.touch(token))?.idleExpiresAt.toISOString()).toBe('2026-12-01T20:00:00.000Z');
  });

  it('ends a session at sign-out, and sweeps ended ones', async () => {
    const { token } = await store.create(omar, 'api-key');
    await store.end(token);
    expect(await store.touch(token)).toBeUndefined();
    const idle = await store.create(omar, 'api-key');
    now += 31 * MIN;
    expect(await store.sweep()).toBeGreaterThanOrEqual(1);
    const hash = createHash('sha256').update(idle.token).digest('hex');
    expect((await pool.query('SELECT 1 FROM console_sessions WHERE token_sha256 = $1', [hash])).rowCount).toBe(0);
  });

  it('tells whoever watches a session when it ends here: sign-out, or a timeout found on a request', async () => {
    const signedOut = await store.create(omar, 'api-key');
    const other = await store.create(omar, 'api-key');
    const heard: string[] = [];
    store.onEnd(signedOut.token, () => heard.push('tab 1'));
    store.onEnd(signedOut.token, () => heard.push('tab 2'));
    const stop = store.onEnd(other.token, () => heard.push('stopped watching'));
    stop();
    await store.end(signedOut.token);
    await store.end(other.token);
    expect(heard).toEqual(['tab 1', 'tab 2']);
    // Once: a second end of the same token has nobody left to tell.
    await store.end(signedOut.token);
    expect(heard).toHaveLength(2);

    const idle = await store.create(omar, 'api-key');
    store.onEnd(idle.token, () => heard.push('idle'));
    now += 31 * MIN;
    expect(await store.touch(idle.token)).toBeUndefined();
    expect(heard).toEqual(['tab 1', 'tab 2', 'idle']);
  });
});
