/**
 * The copy ledger (src/api/webhooks/copy-ledger.ts) against the real PostgreSQL, as the
 * least-privileged service role: group commit of copies (one row per incident and alert per
 * group, the alert encrypted with the Temporal payload codec), the forwarder (this process's
 * rows and stale ones of a dead process, merged per incident, deleted only once their signal
 * was accepted), and the fallback when PostgreSQL is unreachable or too slow (never a refusal,
 * never a row left behind for a copy sent through Temporal).
 */
import { randomBytes } from 'node:crypto';
import { defaultFailureConverter, defaultPayloadConverter, type LoadedDataConverter } from '@temporalio/common';
import { Pool } from 'pg';
import type { Alert } from '../../src/alerts/alert';
import {
  CopyLedger,
  alertPayloads,
  copyWindowFor,
  type Copy,
  type CopyLedgerOptions,
  type ForwardCall,
} from '../../src/api/webhooks/copy-ledger';
import { createPool } from '../../src/db/pool';
import { metricsRegistry } from '../../src/metrics';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import type { AlertDeliveries } from '../../src/workflows/definitions';
import { migratedServiceDatabase, type ServiceDatabase } from '../support/pg-cluster';

const codec = new AesGcmPayloadCodec([{ id: 'k1', key: randomBytes(32) }], 'k1');
const converter: LoadedDataConverter = {
  payloadConverter: defaultPayloadConverter,
  failureConverter: defaultFailureConverter,
  payloadCodecs: [codec],
};
const payloads = alertPayloads(converter);

function alertOf(uid: string, user = 'alice@example.net'): Alert {
  return Object.freeze({
    uid,
    source: { name: 'splunk', vendor: 'splunk' },
    title: `Ransomware behaviour ${uid}`,
    severity: 'high',
    time: '2026-12-01T10:00:00.000Z',
    users: [user],
  }) as unknown as Alert;
}

function copy(workflowId: string, alert: Alert, receivedAt: string, receiptTimed = false): Copy {
  return { workflowId, correlationKey: `key-of-${workflowId}`, alert, receiptTimed, receivedAt };
}

async function copyMetric(path: 'ledger' | 'temporal'): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric('interlock_intake_copies_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.path === path)?.value ?? 0;
}

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
beforeEach(async () => {
  await owner.query('DELETE FROM intake_copies');
});

/** A forward call that records what it was given, failing for the workflows in `failFor`. */
function recorder(failFor: Set<string> = new Set()) {
  const calls: { workflowId: string; correlationKey: string; deliveries: AlertDeliveries[] }[] = [];
  const forward: ForwardCall = (workflowId, correlationKey, deliveries) => {
    if (failFor.has(workflowId)) return Promise.reject(new Error('Temporal unavailable'));
    calls.push({ workflowId, correlationKey, deliveries });
    return Promise.resolve();
  };
  return { calls, forward };
}

function ledger(forward: ForwardCall, options: CopyLedgerOptions = {}, pool: Pool = service): CopyLedger {
  return new CopyLedger(pool, payloads, forward, { owner: `test-${randomBytes(3).toString('hex')}`, ...options });
}

describe('copies', () => {
  it('are re-deliveries of an alert Temporal accepted for the same incident within the copy window', () => {
    let now = 1_000_000;
    const copies = ledger(recorder().forward, { copyWindowMs: 60_000, recentEntries: 2, now: () => now });
    expect(copies.isCopy('incident-a', 'u1')).toBe(false);
    copies.accepted('incident-a', 'u1');
    expect(copies.isCopy('incident-a', 'u1')).toBe(true);
    expect(copies.isCopy('incident-b', 'u1')).toBe(false);
    expect(copies.isCopy('incident-a', 'u2')).toBe(false);
    now += 59_999;
    expect(copies.isCopy('incident-a', 'u1')).toBe(true);
    now += 1;
    expect(copies.isCopy('incident-a', 'u1')).toBe(false);
    // Bounded: the oldest acceptance is forgotten first.
    copies.accepted('incident-a', 'u1');
    copies.accepted('incident-a', 'u2');
    copies.accepted('incident-a', 'u3');
    expect(copies.isCopy('incident-a', 'u1')).toBe(false);
    expect(copies.isCopy('incident-a', 'u3')).toBe(true);
  });

  it("last half the incidents' idle time at most, counted from when the accepted call was sent", () => {
    expect(copyWindowFor(24 * 3_600_000)).toBe(60_000);
    expect(copyWindowFor(2_000)).toBe(1_000);
    let now = 1_000_000;
    const copies = ledger(recorder().forward, { copyWindowMs: 1_000, now: () => now });
    copies.accepted('incident-a', 'u1', now - 900);
    expect(copies.isCopy('incident-a', 'u1')).toBe(true);
    now += 100;
    expect(copies.isCopy('incident-a', 'u1')).toBe(false);
  });
});

describe('CopyLedger group commit', () => {
  it('commits concurrent copies in few INSERTs, one row per incident and alert, encrypted', async () => {
    const copies = ledger(recorder().forward);
    const a1 = alertOf('uid-a1');
    const b1 = alertOf('uid-b1', 'bob@example.net');
    const encode = jest.spyOn(payloads, 'encode');
    const ledgerBefore = await copyMetric('ledger');
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          copies.record([
            copy('incident-a', a1, `2026-12-01T10:00:${String(i % 60).padStart(2, '0')}.000Z`),
            ...(i % 2 === 0 ? [copy('incident-b', b1, '2026-12-01T10:01:00.000Z')] : []),
          ]),
        ),
      );
      expect(answers.every((a) => a)).toBe(true);
      // Encoded once per alert object, whatever the number of copies and groups.
      expect(encode).toHaveBeenCalledTimes(2);
    } finally {
      encode.mockRestore();
    }
    expect(await copyMetric('ledger')).toBe(ledgerBefore + 300);
    const { rows } = await owner.query<{
      workflow_id: string;
      alert_uid: string;
      deliveries: number;
      first: Date;
      last: Date;
      alert: Buffer;
      owner: string;
    }>(
      `SELECT workflow_id, alert_uid, deliveries, first_received_at AS first, last_received_at AS last, alert, owner
         FROM intake_copies ORDER BY id`,
    );
    // The first group alone, the rest together: a handful of rows, not 300.
    expect(rows.length).toBeLessThanOrEqual(6);
    const sum = (uid: string) => rows.filter((r) => r.alert_uid === uid).reduce((n, r) => n + r.deliveries, 0);
    expect(sum('uid-a1')).toBe(200);
    expect(sum('uid-b1')).toBe(100);
    expect(rows.every((r) => r.owner === copies.owner)).toBe(true);
    const a = rows.filter((r) => r.alert_uid === 'uid-a1');
    expect(Math.min(...a.map((r) => r.first.getTime()))).toBe(Date.parse('2026-12-01T10:00:00.000Z'));
    expect(Math.max(...a.map((r) => r.last.getTime()))).toBe(Date.parse('2026-12-01T10:00:59.000Z'));
    // At rest: no personal data in clear, and the payload decodes to the alert and its key.
    for (const row of rows) {
      expect(row.alert.includes(Buffer.from('example.net'))).toBe(false);
      expect(row.alert.includes(Buffer.from('uid-'))).toBe(false);
    }
    const decoded = await payloads.decode((a[0] as { alert: Buffer }).alert);
    expect(decoded).toEqual({ alert: { ...a1 }, correlationKey: 'key-of-incident-a' });
  });

  it('takes a group at most every groupEveryMs, and does not hold a copy that arrives after a quiet time', async () => {
    const copies = ledger(recorder().forward, { groupEveryMs: 200 });
    const a1 = alertOf('uid-a1');
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // After a quiet time, a copy's group starts at once.
    const started = Date.now();
    expect(await copies.record([copy('incident-a', a1, '2026-12-01T10:00:00.000Z')])).toBe(true);
    expect(Date.now() - started).toBeLessThan(150);
    await sleep(250);
    // Ten copies 10 ms apart: PostgreSQL takes an INSERT faster than that, yet they share groups.
    const answers: Promise<boolean>[] = [];
    for (let i = 1; i <= 10; i += 1) {
      answers.push(copies.record([copy('incident-a', a1, `2026-12-01T10:00:0${i % 10}.000Z`)]));
      await sleep(10);
    }
    expect(await Promise.all(answers)).toEqual(Array(10).fill(true));
    const { rows } = await owner.query<{ deliveries: number }>('SELECT deliveries FROM intake_copies ORDER BY id');
    expect(rows.reduce((n, r) => n + r.deliveries, 0)).toBe(11);
    // The lone first copy, then one group at once and one or two taken 200 ms apart.
    expect(rows.length).toBeLessThanOrEqual(4);
  });

  it('answers false at once when PostgreSQL is unreachable, and skips the ledger for a while', async () => {
    const unreachable = createPool('postgres://nobody@127.0.0.1:1/none');
    try {
      let now = 1_000_000;
      const copies = ledger(recorder().forward, { retryMs: 5_000, now: () => now }, unreachable);
      const before = await copyMetric('temporal');
      const started = Date.now();
      expect(await copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:00.000Z')])).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_000);
      // Any pool's: the ledger's INSERTs have a pool of their own (the same login and server).
      const connect = jest.spyOn(Pool.prototype, 'connect');
      try {
        expect(await copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:00.000Z')])).toBe(false);
        expect(connect).not.toHaveBeenCalled();
        now += 5_000;
        expect(await copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:00.000Z')])).toBe(false);
        expect(connect).toHaveBeenCalled();
      } finally {
        connect.mockRestore();
      }
      expect(await copyMetric('temporal')).toBe(before + 3);
      const pass = await copies.forwardPass();
      expect(pass.failed).toBe(true);
    } finally {
      await unreachable.end();
    }
  });

  it('answers false after the wait when the INSERT is blocked, and leaves no row behind', async () => {
    const copies = ledger(recorder().forward, { waitMs: 300 });
    const blocker = await owner.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE intake_copies IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const first = copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:00.000Z')]);
      // Waiting behind the blocked group: answered with it.
      const second = copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:01.000Z')]);
      expect(await first).toBe(false);
      expect(await second).toBe(false);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(290);
      expect(waited).toBeLessThan(2_000);
      // While that INSERT is stuck, new copies go through Temporal without waiting.
      expect(await copies.record([copy('incident-a', alertOf('u1'), '2026-12-01T10:00:02.000Z')])).toBe(false);
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows } = await owner.query('SELECT id FROM intake_copies');
    expect(rows).toEqual([]);
  });
});

describe('CopyLedger forwarder', () => {
  it("forwards its own rows merged per incident and alert, and deletes them; another process's fresh rows stay", async () => {
    const { calls, forward } = recorder();
    const copies = ledger(forward);
    const a1 = alertOf('uid-a1');
    const a2 = alertOf('uid-a2');
    const b1 = alertOf('uid-b1');
    expect(await copies.record([copy('incident-a', a1, '2026-12-01T10:00:02.000Z')])).toBe(true);
    expect(
      await copies.record([
        copy('incident-a', a1, '2026-12-01T10:00:01.000Z'),
        copy('incident-a', a2, '2026-12-01T10:00:03.000Z'),
      ]),
    ).toBe(true);
    expect(await copies.record([copy('incident-b', b1, '2026-12-01T10:00:04.000Z')])).toBe(true);
    const other = ledger(recorder().forward);
    expect(await other.record([copy('incident-c', alertOf('uid-c1'), '2026-12-01T10:00:05.000Z')])).toBe(true);

    const pass = await copies.forwardPass();
    expect(pass).toEqual({ rows: 4, forwarded: 4, failed: false });
    const byWorkflow = new Map(calls.map((c) => [c.workflowId, c]));
    expect(byWorkflow.size).toBe(2);
    expect(byWorkflow.get('incident-a')?.correlationKey).toBe('key-of-incident-a');
    expect(byWorkflow.get('incident-a')?.deliveries).toEqual([
      {
        alert: { ...a1 },
        deliveries: 2,
        firstReceivedAt: '2026-12-01T10:00:01.000Z',
        lastReceivedAt: '2026-12-01T10:00:02.000Z',
      },
      {
        alert: { ...a2 },
        deliveries: 1,
        firstReceivedAt: '2026-12-01T10:00:03.000Z',
        lastReceivedAt: '2026-12-01T10:00:03.000Z',
      },
    ]);
    expect(byWorkflow.get('incident-b')?.deliveries.map((d) => d.deliveries)).toEqual([1]);
    // Forwarded: Temporal accepted them, so their re-deliveries are copies.
    expect(copies.isCopy('incident-b', 'uid-b1')).toBe(true);
    const { rows } = await owner.query<{ owner: string }>('SELECT owner FROM intake_copies');
    expect(rows).toEqual([{ owner: other.owner }]);
    expect(await copies.forwardPass()).toEqual({ rows: 0, forwarded: 0, failed: false });
  });

  it("forwards a dead process's rows once stale, and only then", async () => {
    const dead = ledger(recorder().forward);
    expect(await dead.record([copy('incident-d', alertOf('uid-d1'), '2026-12-01T10:00:00.000Z')])).toBe(true);
    const { calls, forward } = recorder();
    const live = ledger(forward, { staleMs: 30_000 });
    expect(await live.forwardPass()).toEqual({ rows: 0, forwarded: 0, failed: false });
    await owner.query("UPDATE intake_copies SET created_at = now() - interval '31 seconds'");
    expect(await live.forwardPass()).toEqual({ rows: 1, forwarded: 1, failed: false });
    expect(calls.map((c) => c.workflowId)).toEqual(['incident-d']);
    expect((await owner.query('SELECT id FROM intake_copies')).rows).toEqual([]);
  });

  it('keeps the rows of an incident whose signal failed, and forwards them on a later pass', async () => {
    const failFor = new Set(['incident-a']);
    const { calls, forward } = recorder(failFor);
    const copies = ledger(forward);
    expect(
      await copies.record([
        copy('incident-a', alertOf('uid-a1'), '2026-12-01T10:00:00.000Z'),
        copy('incident-b', alertOf('uid-b1'), '2026-12-01T10:00:00.000Z'),
      ]),
    ).toBe(true);
    expect(await copies.forwardPass()).toEqual({ rows: 2, forwarded: 1, failed: true });
    expect(calls.map((c) => c.workflowId)).toEqual(['incident-b']);
    failFor.clear();
    expect(await copies.forwardPass()).toEqual({ rows: 1, forwarded: 1, failed: false });
    expect(calls.map((c) => c.workflowId)).toEqual(['incident-b', 'incident-a']);
  });

  it('forwards a receipt-timed alert timed at its first delivery, as the batcher would', async () => {
    const { calls, forward } = recorder();
    const copies = ledger(forward);
    const original = alertOf('uid-t1');
    expect(await copies.record([copy('incident-t', original, '2026-12-01T11:00:05.000Z', true)])).toBe(true);
    expect(await copies.record([copy('incident-t', original, '2026-12-01T11:00:02.000Z', true)])).toBe(true);
    await copies.forwardPass();
    expect(calls[0]?.deliveries).toEqual([
      {
        alert: { ...original, time: '2026-12-01T11:00:02.000Z' },
        deliveries: 2,
        firstReceivedAt: '2026-12-01T11:00:02.000Z',
        lastReceivedAt: '2026-12-01T11:00:05.000Z',
      },
    ]);
  });

  it('forwards what it recorded when closed, and takes no copy afterwards', async () => {
    const { calls, forward } = recorder();
    const copies = ledger(forward, { forwardEveryMs: 60_000 });
    copies.start();
    expect(await copies.record([copy('incident-a', alertOf('uid-a1'), '2026-12-01T10:00:00.000Z')])).toBe(true);
    await copies.close();
    expect(calls.map((c) => c.workflowId)).toEqual(['incident-a']);
    expect((await owner.query('SELECT id FROM intake_copies')).rows).toEqual([]);
    expect(await copies.record([copy('incident-a', alertOf('uid-a1'), '2026-12-01T10:00:00.000Z')])).toBe(false);
  });
});
