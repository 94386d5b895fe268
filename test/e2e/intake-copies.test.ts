/**
 * The copy ledger end to end (src/api/webhooks/copy-ledger.ts): the real API and worker
 * processes, Temporal and PostgreSQL. Identical re-deliveries of an alert Temporal accepted
 * are answered 202 from PostgreSQL's intake_copies and every one of them is counted by the
 * incident; rows of an API that died are forwarded by a live one once stale; with the ledger
 * unavailable (its table locked) copies are still answered 202, through Temporal, and counted;
 * an API that drains (SIGTERM) forwards what it recorded before it exits.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { Client } from 'pg';
import { CopyLedger, alertPayloads } from '../../src/api/webhooks/copy-ledger';
import { createPool } from '../../src/db/pool';
import { correlationKey, incidentIdFor } from '../../src/intake/correlation';
import { getNormalizer } from '../../src/intake/normalizers';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import { ENCRYPTION_KEY, REPO_ROOT, TOKENS, eventually, startStack, type Stack } from '../support/stack';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function withConcurrency<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

/** `count` deliveries of `body` to Splunk, `limit` in flight: their statuses and answers. */
function storm(body: string, count: number, limit: number) {
  return withConcurrency(count, limit, async () => {
    const response = await fetch(`${stack.apiUrl}/webhooks/splunk?token=${TOKENS.splunk}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, body: (await response.json()) as { incidentId: string; deduplicated: boolean } };
  });
}

async function alertCount(incidentId: string): Promise<number> {
  const response = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
  if (response.status !== 200) return 0;
  return ((await response.json()) as { state?: { alertCount?: number } }).state?.alertCount ?? 0;
}

function counted(incidentId: string, expected: number, what: string): Promise<number> {
  return eventually(
    async () => {
      const n = await alertCount(incidentId);
      if (n > expected) throw new Error(`counted ${n}, more than ${expected}`);
      return n === expected ? n : undefined;
    },
    what,
    60_000,
  );
}

async function copiesMetric(path: 'ledger' | 'temporal'): Promise<number> {
  const text = await (await stack.api('/metrics', { operator: 'alice' })).text();
  const line = text.split('\n').find((l) => l.startsWith(`interlock_intake_copies_total{path="${path}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** A body of its own (another search ID: another alert uid), joining the same incident (same host). */
function sample(sid: string): string {
  return SPLUNK_SAMPLE.replaceAll('scheduler__admin__search__RMD5a1f3_at_1763712000_4411', sid);
}

it('answers a storm of copies 202 from the ledger, and the incident counts every delivery', async () => {
  const body = sample('copies_storm_1');
  const [first] = await storm(body, 1, 1);
  expect(first).toMatchObject({ status: 202, body: { deduplicated: false } });
  const incidentId = (first as { body: { incidentId: string } }).body.incidentId;
  const ledgerBefore = await copiesMetric('ledger');

  const answers = await storm(body, 1_500, 100);
  expect(answers.filter((a) => a.status !== 202)).toEqual([]);
  expect(answers.every((a) => a.body.incidentId === incidentId && a.body.deduplicated)).toBe(true);
  // Copies, all of them: Temporal accepted the alert before the first copy arrived.
  expect((await copiesMetric('ledger')) - ledgerBefore).toBe(1_500);

  await counted(incidentId, 1_501, 'the incident to count every copy');
  // Forwarded, so deleted: nothing waits in the ledger.
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    await eventually(
      async () => ((await db.query('SELECT id FROM intake_copies')).rowCount === 0 ? true : undefined),
      'the ledger to be empty',
    );
  } finally {
    await db.end();
  }

  // Audited in aggregate, as copies through Temporal are: one received, the rest duplicates.
  type AuditRecord = { eventType: string; details?: { deliveries?: number } };
  await eventually(
    async () => {
      const audit = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'alice' });
      const records = ((await audit.json()) as { records: AuditRecord[] }).records;
      const total = records
        .filter((r) => r.eventType === 'alert.duplicate' || r.eventType === 'alert.received')
        .reduce((n, r) => n + (r.details?.deliveries ?? 1), 0);
      return total === 1_501 ? true : undefined;
    },
    'every copy to be audited',
    30_000,
  );
}, 180_000);

it("forwards the rows of an API that died once they are stale, through another API's forwarder", async () => {
  const body = sample('copies_dead_owner_1');
  const [first] = await storm(body, 1, 1);
  expect(first?.status).toBe(202);
  const incidentId = (first as { body: { incidentId: string } }).body.incidentId;
  const base = await counted(incidentId, 1_502, "the new alert's first delivery");

  // The rows a dead API left: written as an API writes them (its codec, its owner name).
  const normalize = getNormalizer('splunk');
  const rawSha256 = createHash('sha256').update(body).digest('hex');
  const receivedAt = new Date().toISOString();
  const [alert] = normalize?.(JSON.parse(body), { source: 'splunk', rawSha256, receivedAt }) ?? [];
  if (alert === undefined) throw new Error('the sample did not normalize');
  const key = correlationKey(alert);
  expect(incidentIdFor(key)).toBe(incidentId);
  const pool = createPool(stack.databaseUrl);
  try {
    const codec = new AesGcmPayloadCodec(
      [{ id: ENCRYPTION_KEY.id, key: Buffer.from(ENCRYPTION_KEY.key, 'base64') }],
      ENCRYPTION_KEY.id,
    );
    const dead = new CopyLedger(
      pool,
      alertPayloads({
        payloadConverter: defaultPayloadConverter,
        failureConverter: defaultFailureConverter,
        payloadCodecs: [codec],
      }),
      () => Promise.reject(new Error('dead')),
      { owner: 'api-that-died/1/dead' },
    );
    const copies = Array.from({ length: 40 }, () => ({
      workflowId: incidentId,
      correlationKey: key,
      alert,
      receiptTimed: false,
      receivedAt,
    }));
    expect(await dead.record(copies.slice(0, 25))).toBe(true);
    expect(await dead.record(copies.slice(25))).toBe(true);
    dead.stop();
    // Fresh: another process's rows are left to it.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await alertCount(incidentId)).toBe(base);
    expect((await pool.query('SELECT sum(deliveries)::int AS n FROM intake_copies')).rows[0]).toEqual({ n: 40 });
    // Stale (the API's STALE_MS, 30 s, moved back rather than waited for): the live API takes them.
    await pool.query("UPDATE intake_copies SET created_at = now() - interval '31 seconds'");
    await counted(incidentId, base + 40, "the dead API's copies to be counted");
    expect((await pool.query('SELECT id FROM intake_copies')).rowCount).toBe(0);
  } finally {
    await pool.end();
  }
}, 120_000);

it('answers copies 202 through Temporal while the ledger is unavailable, and counts them', async () => {
  const body = sample('copies_ledger_down_1');
  const [first] = await storm(body, 1, 1);
  expect(first?.status).toBe(202);
  const incidentId = (first as { body: { incidentId: string } }).body.incidentId;
  const base = await counted(incidentId, 1_543, "the new alert's first delivery");
  const temporalBefore = await copiesMetric('temporal');

  // PostgreSQL does not take the ledger's INSERTs: its table is locked for the whole storm.
  const blocker = new Client({ connectionString: stack.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE intake_copies IN ACCESS EXCLUSIVE MODE');
    const started = Date.now();
    const answers = await storm(body, 300, 50);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    expect(answers.every((a) => a.body.deduplicated)).toBe(true);
    // One ledger wait (500 ms) at most, then straight to Temporal.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await copiesMetric('temporal')) - temporalBefore).toBe(300);
    await counted(incidentId, base + 300, 'the copies sent through Temporal to be counted');
  } finally {
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
  // The INSERT that was waiting for the lock rolled back: no copy counted twice.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(await alertCount(incidentId)).toBe(base + 300);
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    expect((await db.query('SELECT id FROM intake_copies')).rowCount).toBe(0);
  } finally {
    await db.end();
  }
}, 120_000);

it('forwards the copies it recorded when the API drains (SIGTERM), before it exits', async () => {
  // After the ledger's outage of the test before, copies skip it for 5 s (RETRY_MS).
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  const body = sample('copies_drain_1');
  const [first] = await storm(body, 1, 1);
  expect(first?.status).toBe(202);
  const incidentId = (first as { body: { incidentId: string } }).body.incidentId;
  const base = await counted(incidentId, 1_844, "the new alert's first delivery");
  const ledgerBefore = await copiesMetric('ledger');
  const answers = await storm(body, 200, 50);
  expect(answers.filter((a) => a.status !== 202)).toEqual([]);
  expect((await copiesMetric('ledger')) - ledgerBefore).toBe(200);
  // At once: most of them still wait in the ledger for the forwarder's next pass.
  const exit = await stack.signalApi('SIGTERM');
  expect(exit.code).toBe(0);
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    expect((await db.query('SELECT id FROM intake_copies')).rowCount).toBe(0);
  } finally {
    await db.end();
  }
  await stack.startApi();
  await counted(incidentId, base + 200, 'the copies forwarded at drain to be counted');
}, 120_000);
