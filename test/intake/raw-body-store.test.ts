/**
 * Raw webhook bodies (issue 17, the incident page's raw payload): stored by SHA-256 as the
 * least-privileged service role, once per body (a duplicate costs no query), truncated over
 * the cap, sealed with the payload-encryption key, and removed by the prune function only
 * once older than their retention. Against the real PostgreSQL: the owner is the test's
 * superuser, the service a LOGIN member of interlock_app.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { createMaintenanceActivities } from '../../src/activities/maintenance-activities';
import { ConfigError, parseConfig } from '../../src/config/load';
import { RawBodyCipher, RawBodyStore, rawBodySettings, type RawBodySettings } from '../../src/intake/raw-body-store';
import { metricsRegistry } from '../../src/metrics';
import { migratedServiceDatabase, type ServiceDatabase } from '../support/pg-cluster';

const DAY = 86_400_000;
const KEY_1 = { id: 'k1', key: randomBytes(32) };
const KEY_2 = { id: 'k2', key: randomBytes(32) };
const SETTINGS: RawBodySettings = { store: true, maxBytes: 1_024, retentionMs: 30 * DAY };
const sha = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** A raw-body metric's value (the gauge's, or the counter's for one drop reason). */
async function metric(name: string, reason?: string): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => reason === undefined || v.labels.reason === reason)?.value ?? 0;
}

function delivery(text: string, source = 'generic') {
  const body = Buffer.from(text, 'utf8');
  return { sha256: sha(body), source, receivedAt: new Date().toISOString(), body };
}

describe('intake.rawBodies configuration', () => {
  function configError(yaml: string): string {
    try {
      parseConfig(yaml, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error(`accepted: ${yaml}`);
  }

  it('stores bodies up to 256 KiB by default, kept as long as the audit records', () => {
    const config = parseConfig('{}', {});
    expect(config.intake.rawBodies).toEqual({ store: true, maxBytes: 262_144 });
    expect(rawBodySettings(config)).toEqual({ store: true, maxBytes: 262_144, retentionMs: 400 * DAY });
    const set = parseConfig('intake:\n  rawBodies:\n    store: false\n    maxBytes: 4096\n    retention: 30d\n', {});
    expect(rawBodySettings(set)).toEqual({ store: false, maxBytes: 4_096, retentionMs: 30 * DAY });
  });

  it('refuses a retention longer than the audit retention or under a day, and a tiny cap', () => {
    expect(configError('audit:\n  retention: 90d\nintake:\n  rawBodies:\n    retention: 91d\n')).toMatch(
      /intake\.rawBodies\.retention: must not be longer than audit\.retention/,
    );
    expect(configError('intake:\n  rawBodies:\n    retention: 12h\n')).toMatch(
      /intake\.rawBodies\.retention: must be at least 1 day/,
    );
    expect(configError('intake:\n  rawBodies:\n    maxBytes: 10\n')).toMatch(/intake\.rawBodies\.maxBytes/);
    expect(configError('intake:\n  rawBodies:\n    keep: true\n')).toMatch(/intake\.rawBodies/);
  });
});

describe('RawBodyStore', () => {
  let db: ServiceDatabase;
  let owner: Pool;
  let service: Pool;

  beforeAll(async () => {
    db = await migratedServiceDatabase();
    ({ owner, service } = db);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const row = async (sha256: string) =>
    (
      await owner.query<{ key_id: string | null; body: Buffer; size: number; truncated: boolean; last: Date }>(
        'SELECT key_id, body, size, truncated, last_received_at AS last FROM alert_raw_bodies WHERE sha256 = $1',
        [sha256],
      )
    ).rows[0];

  it('stores a body sealed with the active key and reads it back, its SHA-256 matching', async () => {
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'));
    const d = delivery('{"id":"gen-1","title":"Modbus write to plc-7","user":"alice@example.net"}');
    await store.save(d);
    const stored = await row(d.sha256);
    expect(stored).toMatchObject({ key_id: 'k1', size: d.body.length, truncated: false });
    // At rest: no plaintext (the personal data stays unreadable without the key).
    expect(stored?.body.includes(Buffer.from('alice@example.net'))).toBe(false);
    expect(stored?.body.length).toBe(d.body.length + 12 + 16);

    const read = (await store.read([d.sha256, 'f'.repeat(64)])).get(d.sha256);
    expect(read).toMatchObject({
      sha256: d.sha256,
      source: 'generic',
      size: d.body.length,
      truncated: false,
      encryptedWith: 'k1',
      sha256Matches: true,
    });
    expect(read?.body?.toString('utf8')).toBe(d.body.toString('utf8'));
    expect((await store.read(['f'.repeat(64)])).size).toBe(0);
  });

  it('writes a body once: a duplicate returns without a query, concurrent ones share one write', async () => {
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'));
    const query = jest.spyOn(service, 'query');
    try {
      const d = delivery('{"id":"gen-storm"}');
      const first = store.save(d);
      const concurrent = store.save({ ...d, receivedAt: new Date().toISOString() });
      await Promise.all([first, concurrent]);
      expect(query).toHaveBeenCalledTimes(1);
      for (let n = 0; n < 100; n++) expect(store.save(d)).toBeUndefined();
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }
  });

  it('writes a known body again after the refresh interval, moving only its last delivery time', async () => {
    let now = Date.parse('2026-11-20T12:00:00Z');
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'), {
      refreshMs: 3_600_000,
      now: () => now,
    });
    const d = delivery('{"id":"gen-refresh"}');
    await store.save({ ...d, receivedAt: new Date(now).toISOString() });
    const before = await row(d.sha256);
    now += 30 * 60_000;
    expect(store.save({ ...d, receivedAt: new Date(now).toISOString() })).toBeUndefined();
    now += 31 * 60_000;
    await store.save({ ...d, receivedAt: new Date(now).toISOString() });
    const after = await row(d.sha256);
    expect(after?.last.toISOString()).toBe(new Date(now).toISOString());
    // The body written first is kept, not re-sealed.
    expect(after?.body.equals(before?.body as Buffer)).toBe(true);
  });

  it('keeps the first maxBytes bytes of a larger body, marked truncated', async () => {
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'));
    const d = delivery(JSON.stringify({ id: 'gen-big', blob: 'x'.repeat(3_000) }));
    await store.save(d);
    const read = (await store.read([d.sha256])).get(d.sha256);
    expect(read).toMatchObject({ size: d.body.length, truncated: true, sha256Matches: null });
    expect(read?.body?.equals(d.body.subarray(0, 1_024))).toBe(true);
  });

  it('stores in clear when encryption is off, and still reads sealed bodies with listed keys', async () => {
    const sealed = delivery('{"id":"gen-sealed"}');
    await new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1')).save(sealed);
    const clearStore = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], undefined));
    const clear = delivery('{"id":"gen-clear"}');
    await clearStore.save(clear);
    expect(await row(clear.sha256)).toMatchObject({ key_id: null, body: clear.body });
    const read = await clearStore.read([clear.sha256, sealed.sha256]);
    expect(read.get(clear.sha256)).toMatchObject({ encryptedWith: null, sha256Matches: true });
    expect(read.get(sealed.sha256)).toMatchObject({ encryptedWith: 'k1', sha256Matches: true });
  });

  it('reports a body it cannot open: key no longer listed, altered ciphertext, a body moved to another hash', async () => {
    const d = delivery('{"id":"gen-keys"}');
    await new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1')).save(d);
    const rotated = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_2], 'k2'));
    expect((await rotated.read([d.sha256])).get(d.sha256)).toMatchObject({
      unreadable: expect.stringMatching(/key "k1", which is not in temporal\.encryption\.keys/) as unknown,
      sha256Matches: null,
    });
    expect((await rotated.read([d.sha256])).get(d.sha256)?.body).toBeUndefined();

    const reader = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1, KEY_2], 'k2'));
    await owner.query(
      `UPDATE alert_raw_bodies SET body = set_byte(body, 14, get_byte(body, 14) # 1) WHERE sha256 = $1`,
      [d.sha256],
    );
    expect((await reader.read([d.sha256])).get(d.sha256)?.unreadable).toMatch(/fails authentication/);

    const other = delivery('{"id":"gen-other"}');
    await reader.save(other);
    const moved = 'e'.repeat(64);
    await owner.query(
      `INSERT INTO alert_raw_bodies (sha256, source, received_at, last_received_at, size, truncated, key_id, body)
       SELECT $2, source, received_at, last_received_at, size, truncated, key_id, body FROM alert_raw_bodies WHERE sha256 = $1`,
      [other.sha256, moved],
    );
    expect((await reader.read([moved])).get(moved)?.unreadable).toMatch(/fails authentication/);
  });

  it('never refuses a delivery: a failed write leaves the body in the backlog, written once PostgreSQL takes it', async () => {
    const warnings: string[] = [];
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'), {
      retryMs: 50,
      log: { warn: (_: unknown, message: string) => warnings.push(message), error: () => undefined },
    } as never);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const query = jest.spyOn(service, 'query').mockRejectedValueOnce(refused as never);
    try {
      const [waitingBefore, bytesBefore] = [
        await metric('interlock_raw_bodies_waiting'),
        await metric('interlock_raw_bodies_waiting_bytes'),
      ];
      const first = delivery('{"id":"gen-outage-1"}');
      await expect(store.save(first)).resolves.toBeUndefined();
      expect(store.pending).toBe(1);
      // Right after a failure, a new body goes to the backlog without a wait, a duplicate too.
      const second = delivery('{"id":"gen-outage-2"}');
      expect(store.save(second)).toBeUndefined();
      expect(store.save(first)).toBeUndefined();
      expect(store.pending).toBe(2);
      expect(warnings).toEqual([expect.stringMatching(/cannot be stored now/)]);
      // What waits is visible to Prometheus.
      expect(await metric('interlock_raw_bodies_waiting')).toBe(waitingBefore + 2);
      expect(await metric('interlock_raw_bodies_waiting_bytes')).toBe(
        bytesBefore + first.body.length + second.body.length,
      );
      const deadline = Date.now() + 10_000;
      while (store.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(store.pending).toBe(0);
      expect(await metric('interlock_raw_bodies_waiting')).toBe(waitingBefore);
      expect(await metric('interlock_raw_bodies_waiting_bytes')).toBe(bytesBefore);
      expect(await row(first.sha256)).toBeDefined();
      expect(await row(second.sha256)).toBeDefined();
      // Stored: a duplicate is no I/O again.
      expect(store.save(second)).toBeUndefined();
    } finally {
      query.mockRestore();
    }
  });

  it('answers after WAIT_MS when a write hangs, and drops what the backlog cannot hold', async () => {
    const errors: string[] = [];
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'), {
      waitMs: 50,
      retryMs: 60_000,
      backlogBytes: 40,
      log: { warn: () => undefined, error: (_: unknown, message: string) => errors.push(message) },
    } as never);
    let fail: (error: Error) => void = () => undefined;
    const hung = new Promise((_, reject) => (fail = reject));
    const query = jest.spyOn(service, 'query').mockReturnValueOnce(hung as never);
    try {
      const started = Date.now();
      await store.save(delivery('{"id":"gen-hung"}'));
      expect(Date.now() - started).toBeLessThan(2_000);
      fail(new Error('Connection terminated unexpectedly'));
      await new Promise((r) => setTimeout(r, 10));
      expect(store.pending).toBe(1);
      const droppedBefore = await metric('interlock_raw_bodies_dropped_total', 'backlog_full');
      expect(store.save(delivery(`{"id":"gen-too-big","x":"${'z'.repeat(40)}"}`))).toBeUndefined();
      expect(store.pending).toBe(1);
      expect(errors).toEqual([expect.stringMatching(/dropped: the backlog .* is full/)]);
      expect(await metric('interlock_raw_bodies_dropped_total', 'backlog_full')).toBe(droppedBefore + 1);
      store.close();
      expect(errors.at(-1)).toMatch(/not stored: PostgreSQL did not take them/);
    } finally {
      query.mockRestore();
    }
  });

  it('drops a body that waited past the backlog age limit, logged and counted', async () => {
    const errors: string[] = [];
    let now = Date.now();
    const store = new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1'), {
      retryMs: 60_000,
      backlogAgeMs: 1_000,
      now: () => now,
      log: { warn: () => undefined, error: (_: unknown, message: string) => errors.push(message) },
    } as never);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const query = jest.spyOn(service, 'query').mockRejectedValueOnce(refused as never);
    try {
      const waitingBefore = await metric('interlock_raw_bodies_waiting');
      const old = delivery('{"id":"gen-too-old"}');
      await store.save(old);
      expect(await metric('interlock_raw_bodies_waiting')).toBe(waitingBefore + 1);
      expect(store.pending).toBe(1);
      const droppedBefore = await metric('interlock_raw_bodies_dropped_total', 'too_old');
      now += 1_001;
      await store.flush();
      expect(store.pending).toBe(0);
      expect(await row(old.sha256)).toBeUndefined();
      expect(errors).toEqual([expect.stringMatching(/dropped: not stored for too long/)]);
      expect(await metric('interlock_raw_bodies_dropped_total', 'too_old')).toBe(droppedBefore + 1);
      expect(await metric('interlock_raw_bodies_waiting')).toBe(waitingBefore);
    } finally {
      query.mockRestore();
      store.close();
    }
  });

  it('stores nothing when storing is off', async () => {
    const store = new RawBodyStore(service, { ...SETTINGS, store: false }, new RawBodyCipher([KEY_1], 'k1'));
    const d = delivery('{"id":"gen-off"}');
    expect(store.save(d)).toBeUndefined();
    expect(await row(d.sha256)).toBeUndefined();
  });

  it('gives the service role no way to change or delete a body but the prune function', async () => {
    const d = delivery('{"id":"gen-lp"}');
    await new RawBodyStore(service, SETTINGS, new RawBodyCipher([KEY_1], 'k1')).save(d);
    await expect(
      service.query(`UPDATE alert_raw_bodies SET body = '\\x00' WHERE sha256 = $1`, [d.sha256]),
    ).rejects.toThrow(/permission denied/);
    await expect(service.query(`UPDATE alert_raw_bodies SET size = 1 WHERE sha256 = $1`, [d.sha256])).rejects.toThrow(
      /permission denied/,
    );
    await expect(service.query('DELETE FROM alert_raw_bodies WHERE sha256 = $1', [d.sha256])).rejects.toThrow(
      /permission denied/,
    );
    await expect(service.query('TRUNCATE alert_raw_bodies')).rejects.toThrow(/permission denied/);
    await expect(service.query(`SELECT interlock_prune_raw_bodies(now() - interval '12 hours')`)).rejects.toThrow(
      /raw body retention under 1 day refused/,
    );
    expect(await row(d.sha256)).toBeDefined();
  });

  it('prunes, as the service role, the bodies last received before the retention, and only those', async () => {
    const cipher = new RawBodyCipher([KEY_1], 'k1');
    const old = delivery('{"id":"gen-old"}');
    const recent = delivery('{"id":"gen-recent"}');
    const store = new RawBodyStore(service, SETTINGS, cipher);
    await store.save(old);
    await store.save(recent);
    await owner.query(
      `UPDATE alert_raw_bodies SET received_at = now() - interval '45 days', last_received_at = now() - interval '31 days' WHERE sha256 = $1`,
      [old.sha256],
    );
    await owner.query(
      `UPDATE alert_raw_bodies SET received_at = now() - interval '45 days', last_received_at = now() - interval '29 days' WHERE sha256 = $1`,
      [recent.sha256],
    );
    const result = await store.prune();
    expect(result.pruned).toBe(1);
    expect(Date.parse(result.cutoff)).toBeCloseTo(Date.now() - 30 * DAY, -4);
    expect(await row(old.sha256)).toBeUndefined();
    expect(await row(recent.sha256)).toBeDefined();
    expect((await store.prune()).pruned).toBe(0);
  });

  it('is pruned by the scheduled audit prune (the maintenance activity), with the audit retention by default', async () => {
    const config = parseConfig(
      JSON.stringify({ audit: { retention: '90d' }, temporal: { encryption: { disabled: true } } }),
      {},
    );
    const d = delivery('{"id":"gen-scheduled"}');
    await RawBodyStore.fromConfig(service, config).save(d);
    await owner.query(`UPDATE alert_raw_bodies SET last_received_at = now() - interval '91 days' WHERE sha256 = $1`, [
      d.sha256,
    ]);
    const logged: string[] = [];
    const activities = createMaintenanceActivities({
      config,
      pool: service,
      audit: { head: () => Promise.reject(new Error('not called')) },
      log: { info: (_: unknown, message?: string) => void logged.push(message ?? '') },
    });
    const result = await activities.pruneAuditRecords();
    expect(result).toMatchObject({ pruned: 0, rawBodiesPruned: 1 });
    expect(logged).toContain('raw webhook bodies pruned');
    expect(await row(d.sha256)).toBeUndefined();
  });
});
