/**
 * Retention (issue 6, CIP-007 R4): configurable, never under 90 days; pruning leaves a
 * checkpoint so the remaining chain verifies, while a deletion no checkpoint covers is still
 * reported. Against the real PostgreSQL: the owner is the test's superuser, the service runs
 * as a LOGIN member of interlock_app.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { AuditStore } from '../../src/audit/audit-store';
import { exportIncident } from '../../src/audit/evidence';
import { verifyCsvExport, verifyJsonExport } from '../../src/audit/offline-verify';
import { AuditPruneRefused, pruneAudit } from '../../src/audit/retention';
import type { AuditEventInput, AuditRecord } from '../../src/audit/types';
import { runPruneAudit } from '../../src/cli/prune-audit';
import { ConfigError, parseConfig } from '../../src/config/load';
import { ADVISORY_LOCK_KEYS } from '../../src/db/advisory-locks';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';
import { createServiceLogin } from '../support/pg-cluster';

const DAY = 86_400_000;
const NOW = new Date('2026-11-20T12:00:00Z');
const RETENTION_90D = 90 * DAY;

let counter = 0;
function event(daysAgo: number, incidentId = 'inc-retention-a'): AuditEventInput {
  counter++;
  return {
    idempotencyKey: `ret-${counter}`,
    time: new Date(NOW.getTime() - daysAgo * DAY + counter * 1000).toISOString(),
    incidentId,
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType: 'alert.received',
  };
}

describe('audit.retention configuration', () => {
  function configError(retention: string): string {
    try {
      parseConfig(`audit:\n  retention: ${retention}\n`, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error(`audit.retention ${retention} was accepted`);
  }

  it('refuses a retention under 90 days, naming the key', () => {
    expect(configError('89d')).toMatch(/audit\.retention: must be at least 90 days/);
    expect(configError('2159h')).toMatch(/audit\.retention: must be at least 90 days/);
    expect(configError('soon')).toMatch(/audit\.retention: invalid duration "soon"/);
  });

  it('accepts 90 days and more, and defaults to 400 days', () => {
    expect(parseConfig('audit:\n  retention: 90d\n', {}).audit.retention).toBe(90 * DAY);
    expect(parseConfig('audit:\n  retention: 3000d\n', {}).audit.retention).toBe(3000 * DAY);
    expect(parseConfig('{}', {}).audit.retention).toBe(400 * DAY);
  });

  it('refuses pruning with a retention under 90 days even when called directly', async () => {
    await expect(pruneAudit({} as Pool, { retentionMs: 89 * DAY })).rejects.toThrow(/at least 90 days/);
  });
});

describe('audit retention pruning', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let owner: Pool;
  let store: AuditStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    owner = createPool(db.url);
    await runMigrations(owner);
    store = new AuditStore(owner);
  });
  afterEach(async () => {
    await owner.end();
    await db.drop();
  });

  async function appendAll(daysAgo: number[], incidentId?: string): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for (const d of daysAgo) records.push(await store.append(event(d, incidentId)));
    return records;
  }

  async function seqs(): Promise<number[]> {
    const { rows } = await owner.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq');
    return rows.map((r) => Number(r.seq));
  }

  async function checkpointCount(): Promise<number> {
    const { rows } = await owner.query<{ n: string }>('SELECT count(*) AS n FROM audit_checkpoints');
    return Number(rows[0]?.n);
  }

  /** Plays the attacker with superuser rights: switches the append-only triggers off. */
  async function tamper(table: string, sql: string): Promise<void> {
    const client = await owner.connect();
    try {
      await client.query(`ALTER TABLE ${table} DISABLE TRIGGER ALL`);
      await client.query(sql);
      await client.query(`ALTER TABLE ${table} ENABLE TRIGGER ALL`);
    } finally {
      client.release();
    }
  }

  it('removes the records older than the retention, writes a checkpoint, and the chain still verifies', async () => {
    // 1-4 are old; 5 is recent; 6 is old but after a recent record (out of order) and is kept.
    const records = await appendAll([200, 150, 120, 91, 10, 100, 1]);
    const result = await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });

    expect(result).toMatchObject({
      pruned: 4,
      cutoff: new Date(NOW.getTime() - RETENTION_90D).toISOString(),
      checkpoint: { seq: 4, hash: records[3]?.hash, prunedCount: 4, lastTime: records[3]?.time, createdBy: 'postgres' },
    });
    expect(await seqs()).toEqual([5, 6, 7]);
    const verified = await store.verify();
    expect(verified).toEqual({
      ok: true,
      checked: 3,
      checkpoint: { seq: 4, hash: records[3]?.hash, createdAt: result.checkpoint?.createdAt },
    });
    expect(await store.verify({ incidentId: 'inc-retention-a' })).toMatchObject({ ok: true, checked: 3 });

    // The chain goes on from the head as before.
    const next = await store.append(event(0));
    expect(next).toMatchObject({ seq: 8, prevHash: records[6]?.hash });
    expect(await store.verify()).toMatchObject({ ok: true, checked: 4 });
  });

  it('keeps the export of a partly pruned incident verifiable offline', async () => {
    await appendAll([200, 150], 'inc-b');
    await appendAll([120], 'inc-c');
    await appendAll([10, 5], 'inc-b');
    await appendAll([4], 'inc-c');
    await appendAll([3], 'inc-b');
    await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });

    const exported = await exportIncident(store, 'inc-b');
    expect(exported?.records.map((r) => r.seq)).toEqual([4, 5, 7]);
    const offline = verifyJsonExport(JSON.parse(JSON.stringify(exported)));
    expect(offline).toMatchObject({ ok: true, checked: 3, linksChecked: 1, contiguous: true, firstSeq: 4, lastSeq: 7 });
    const csv = [
      'seq,prevHash,hash,record',
      ...(exported?.records ?? []).map((r) => {
        const { seq, prevHash, hash, ...content } = r;
        return `${seq},${prevHash},${hash},"${JSON.stringify(content).replaceAll('"', '""')}"`;
      }),
    ].join('\n');
    expect(verifyCsvExport(csv)).toMatchObject({ ok: true, checked: 3 });
    expect(await store.verify({ incidentId: 'inc-b' })).toMatchObject({ ok: true, checked: 3, checkpoint: { seq: 3 } });
  });

  it('is idempotent: a second run removes nothing and writes no checkpoint', async () => {
    await appendAll([200, 150, 5]);
    const first = await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
    const second = await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
    expect(first.pruned).toBe(2);
    expect(second).toEqual({ pruned: 0, cutoff: first.cutoff, checkpoint: first.checkpoint });
    expect(await checkpointCount()).toBe(1);
    expect(await seqs()).toEqual([3]);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 1 });
  });

  it('prunes again later from the previous checkpoint, and may remove every record', async () => {
    const records = await appendAll([200, 150, 60, 30]);
    expect((await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW })).pruned).toBe(2);
    const later = new Date(NOW.getTime() + 100 * DAY);
    const result = await pruneAudit(owner, { retentionMs: RETENTION_90D, now: later });
    expect(result).toMatchObject({ pruned: 2, checkpoint: { seq: 4, hash: records[3]?.hash } });
    expect(await seqs()).toEqual([]);
    expect(await checkpointCount()).toBe(2);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 0, checkpoint: { seq: 4 } });

    // With every record pruned, the next append continues from the checkpoint, not genesis.
    const next = await store.append(event(0));
    expect(next).toMatchObject({ seq: 5, prevHash: records[3]?.hash });
    expect(await store.verify()).toMatchObject({ ok: true, checked: 1 });
  });

  it('still reports a deletion that no checkpoint covers, right after the checkpoint or later', async () => {
    await appendAll([200, 150, 10, 9, 8, 7]);
    await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
    expect(await seqs()).toEqual([3, 4, 5, 6]);

    await tamper('audit_events', 'DELETE FROM audit_events WHERE seq = 5');
    expect(await store.verify()).toMatchObject({
      ok: false,
      firstBroken: { seq: 6, reason: expect.stringMatching(/seq gap: record\(s\) 5\.\.5 missing/) as unknown },
    });

    await tamper('audit_events', 'DELETE FROM audit_events WHERE seq = 3');
    const result = await store.verify();
    expect(result).toMatchObject({
      ok: false,
      firstBroken: {
        seq: 4,
        reason: expect.stringMatching(/3\.\.3 missing \(deleted\), not covered by a retention checkpoint/) as unknown,
        incidentId: 'inc-retention-a',
      },
    });
    expect(await store.verify({ incidentId: 'inc-retention-a' })).toMatchObject({
      ok: false,
      firstBroken: { seq: 4, reason: expect.stringMatching(/seq gap/) as unknown },
    });
  });

  it('reports a checkpoint edited to hide a deletion', async () => {
    await appendAll([200, 150, 10, 9]);
    await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
    // Deleting record 3 and moving the checkpoint to seq 3 still leaves the hash wrong.
    await tamper('audit_events', 'DELETE FROM audit_events WHERE seq = 3');
    await tamper('audit_checkpoints', 'UPDATE audit_checkpoints SET seq = 3');
    expect(await store.verify()).toMatchObject({
      ok: false,
      checkpoint: { seq: 3 },
      firstBroken: { seq: 4, reason: expect.stringMatching(/retention checkpoint/) as unknown },
    });
  });

  it('lets even the owner delete only records a checkpoint covers, and never update a checkpoint', async () => {
    await appendAll([200, 10, 9]);
    await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
    const client = await owner.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('interlock.audit_prune', 'on', true)`);
      await expect(client.query('DELETE FROM audit_events WHERE seq = 2')).rejects.toThrow(
        /append-only: DELETE refused/,
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await expect(owner.query('DELETE FROM audit_events WHERE seq = 3')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(owner.query(`UPDATE audit_checkpoints SET hash = repeat('a', 64)`)).rejects.toThrow(
      /audit_checkpoints is append-only: UPDATE refused/,
    );
    await expect(owner.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only: DELETE refused/);
    expect(await seqs()).toEqual([2, 3]);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('refuses to prune records whose chain does not verify, removing nothing', async () => {
    await appendAll([200, 150, 120, 10]);
    await tamper(
      'audit_events',
      `UPDATE audit_events SET record = jsonb_set(record, '{actor,id}', '"mallory"') WHERE seq = 2`,
    );
    await expect(pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW })).rejects.toThrow(AuditPruneRefused);
    await expect(pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW })).rejects.toThrow(
      /does not verify at seq 2 \(hash mismatch/,
    );
    expect(await seqs()).toEqual([1, 2, 3, 4]);
    expect(await checkpointCount()).toBe(0);
  });

  describe('database roles', () => {
    let login: Awaited<ReturnType<typeof createServiceLogin>>;
    let service: Pool;

    beforeEach(async () => {
      login = await createServiceLogin(db.url);
      service = createPool(login.url);
    });
    afterEach(async () => {
      await service.end();
      await login.drop();
    });

    it('refuses pruning as the service role; it can still verify from a checkpoint', async () => {
      await appendAll([200, 150, 10]);
      await expect(pruneAudit(service, { retentionMs: RETENTION_90D, now: NOW })).rejects.toThrow(
        /permission denied for table audit_checkpoints/,
      );
      await expect(service.query('DELETE FROM audit_events WHERE seq = 1')).rejects.toThrow(/permission denied/);
      await expect(
        service.query(`INSERT INTO audit_checkpoints (seq, hash, pruned_count, cutoff, last_time)
        VALUES (1, repeat('a', 64), 1, now(), now())`),
      ).rejects.toThrow(/permission denied/);
      expect(await seqs()).toEqual([1, 2, 3]);

      await pruneAudit(owner, { retentionMs: RETENTION_90D, now: NOW });
      expect(await new AuditStore(service).verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 2 } });
    });

    it('prunes as the service role through the SECURITY DEFINER function (the scheduled pruning)', async () => {
      await appendAll([200, 150, 10]);
      const result = await pruneAudit(service, { retentionMs: RETENTION_90D, now: NOW, asService: true });
      expect(result).toMatchObject({ pruned: 2, checkpoint: { seq: 2, prunedCount: 2, createdBy: login.user } });
      expect(await seqs()).toEqual([3]);
      expect(await new AuditStore(service).verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 2 } });
      // Idempotent, like the owner's pruning.
      expect(await pruneAudit(service, { retentionMs: RETENTION_90D, now: NOW, asService: true })).toMatchObject({
        pruned: 0,
      });
    });

    it('lets the function remove only what the retention allows, under the chain lock, with the verified hash', async () => {
      const [old, , recent] = await appendAll([200, 150, 10]);
      const call = async (lastSeq: number, hash: string, cutoff: Date, lock = true) => {
        const client = await service.connect();
        try {
          await client.query('BEGIN');
          if (lock) await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCK_KEYS.auditChain]);
          await client.query('SELECT interlock_prune_audit($1, $2, $3)', [lastSeq, hash, cutoff]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      };
      const longAgo = new Date(NOW.getTime() - RETENTION_90D);
      await expect(call(1, old?.hash ?? '', new Date(Date.now() - 10 * DAY))).rejects.toThrow(/under 90 days/);
      await expect(call(1, old?.hash ?? '', longAgo, false)).rejects.toThrow(/outside the audit chain lock/);
      await expect(call(1, 'f'.repeat(64), longAgo)).rejects.toThrow(/does not have the verified hash/);
      await expect(call(3, recent?.hash ?? '', longAgo)).rejects.toThrow(/inside the retention/);
      expect(await seqs()).toEqual([1, 2, 3]);
      expect(await checkpointCount()).toBe(0);
    });

    it('refuses pruning to a role granted DELETE that is not the table owner', async () => {
      await appendAll([200, 10]);
      const tables = 'audit_events, audit_checkpoints';
      await owner.query(`GRANT INSERT, DELETE ON ${tables} TO ${login.user}`);
      try {
        await expect(pruneAudit(service, { retentionMs: RETENTION_90D, now: NOW })).rejects.toThrow(
          /audit_events is append-only: DELETE refused/,
        );
      } finally {
        // A role holding privileges cannot be dropped.
        await owner.query(`REVOKE INSERT, DELETE ON ${tables} FROM ${login.user}`);
      }
      expect(await seqs()).toEqual([1, 2]);
      expect(await checkpointCount()).toBe(0);
    });
  });

  it('prunes through the CLI entry, with the configured retention', async () => {
    await appendAll([500, 450, 300]);
    const config = parseConfig(`database:\n  url: "${db.url}"\naudit:\n  retention: 400d\n`, {});
    expect(await runPruneAudit(config, NOW)).toMatchObject({ pruned: 2, checkpoint: { seq: 2 } });
    expect(await seqs()).toEqual([3]);
  });

  it('prunes from the command line: `interlock prune-audit` (dist, as the schema owner)', async () => {
    await appendAll([5000, 100]);
    const dir = mkdtempSync(join(tmpdir(), 'interlock-prune-'));
    try {
      const configPath = join(dir, 'interlock.yaml');
      writeFileSync(configPath, `database:\n  url: "${db.url}"\naudit:\n  retention: 3650d\n`);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [resolve(__dirname, '../../dist/src/main.js'), 'prune-audit'],
        { env: { ...process.env, INTERLOCK_CONFIG: configPath }, timeout: 30_000 },
      );
      expect(stdout).toMatch(/audit records pruned/);
      expect(await seqs()).toEqual([2]);
      expect(await store.verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 1 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
