/**
 * `npm run bench:audit` — audit append throughput with the hash chain and the incidents
 * projection written in the same transaction (issue 18), from 1 and from 4 concurrent
 * processes, each an AuditStore (group commit) with many appends in flight, as a worker's
 * activities append. A throwaway database on the test PostgreSQL. Not a test: prints figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditStore } from '../src/audit/audit-store';
import type { AuditEventInput } from '../src/audit/types';
import { runMigrations } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { createTestDatabase } from '../test/support/pg';

const SECONDS = Number(process.env['BENCH_AUDIT_SECONDS'] ?? 20);
const IN_FLIGHT = Number(process.env['BENCH_AUDIT_IN_FLIGHT'] ?? 64);
/** Incidents each process spreads its records over (each append updates one projection row). */
const INCIDENTS = Number(process.env['BENCH_AUDIT_INCIDENTS'] ?? 2_000);
const TARGET = 5_000;

const EVENT_TYPES: AuditEventInput['eventType'][] = [
  'alert.received',
  'policy.decided',
  'action.executed',
  'playbook.started',
  'case.updated',
];

function record(writer: string, n: number): AuditEventInput {
  const incident = `inc-${writer}-${n % INCIDENTS}`;
  const eventType = EVENT_TYPES[n % EVENT_TYPES.length] ?? 'alert.received';
  return {
    idempotencyKey: `${writer}-${n}`,
    time: new Date().toISOString(),
    incidentId: incident,
    workflowId: incident,
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType,
    ...(eventType === 'alert.received' && {
      trigger: {
        source: ['splunk', 'nozomi', 'generic'][n % 3] ?? 'generic',
        alertUid: `uid-${n}`,
        title: 'Suspicious SMB traffic from an engineering workstation',
        severity: ['low', 'medium', 'high', 'critical'][n % 4] ?? 'low',
        rawSha256: 'ab'.repeat(32),
      },
    }),
    ...(eventType === 'policy.decided' && {
      target: { ref: `10.1.${n % 250}.7`, zone: `zone-${n % 12}`, known: true },
      decision: { outcome: 'allow', rule: 'it-auto-contain', reason: 'IT asset, no OT zone' },
    }),
    ...(eventType === 'case.updated' && {
      details: { changes: { tags: { added: [`t${n % 5}`], removed: [] } } },
    }),
  };
}

/** A child process: appends for SECONDS once told to start, then reports its count. */
async function child(url: string, name: string): Promise<void> {
  const pool = createPool(url, { max: 4 });
  const store = new AuditStore(pool);
  await new Promise<void>((r) => process.once('message', () => r()));
  const deadline = performance.now() + SECONDS * 1000;
  let next = 0;
  let written = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      await store.append(record(name, next++));
      written++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  await new Promise<void>((r) => process.send?.({ written }, () => r()));
  await pool.end();
}

async function run(url: string, processes: number): Promise<number> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i++) {
    children.push(
      fork(resolve(__dirname, 'run.cjs'), [resolve(__filename)], {
        env: {
          ...process.env,
          BENCH_AUDIT_CHILD: url,
          BENCH_AUDIT_NAME: `p${processes}-${i}-${randomBytes(2).toString('hex')}`,
        },
      }),
    );
  }
  // Let each connect and compile before the clock starts.
  await new Promise((r) => setTimeout(r, 3_000));
  const counts = children.map(
    (c) =>
      new Promise<number>((r, reject) => {
        c.once('message', (m: { written: number }) => r(m.written));
        c.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`append process exited with ${code}`))));
      }),
  );
  const started = performance.now();
  for (const c of children) c.send('go');
  const written = (await Promise.all(counts)).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))));
  return written / seconds;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const pool = createPool(db.url, { max: 2 });
  try {
    await runMigrations(pool);
    // Rows of one transaction share its xmin: how many records each transaction (chain lock) wrote.
    const groups = async () => {
      const { rows } = await pool.query<{ records: string; transactions: string }>(
        'SELECT count(*) AS records, count(DISTINCT xmin::text) AS transactions FROM audit_events',
      );
      return { records: Number(rows[0]?.records), transactions: Number(rows[0]?.transactions) };
    };
    const perTransaction = (before: { records: number; transactions: number }, after: typeof before) => {
      const transactions = after.transactions - before.transactions;
      const records = after.records - before.records;
      return `${transactions} transactions, ${(records / Math.max(1, transactions)).toFixed(1)} records each`;
    };
    const start = await groups();
    const one = await run(db.url, 1);
    const afterOne = await groups();
    const four = await run(db.url, 4);
    const afterFour = await groups();
    const { rows } = await pool.query<{ records: string; incidents: string }>(
      'SELECT (SELECT count(*) FROM audit_events) AS records, (SELECT count(*) FROM incidents) AS incidents',
    );
    const verified = await new AuditStore(pool).verify();
    const verdict = (rate: number) => (rate >= TARGET ? 'ok' : 'MISSED');
    process.stdout.write(
      [
        `audit append benchmark (hash chain + incidents projection in the same transaction; ${SECONDS} s per run, ${IN_FLIGHT} appends in flight per process, ${INCIDENTS} incidents per process)`,
        `1 process   ${one.toFixed(0)} records/s (${perTransaction(start, afterOne)})`,
        `4 processes ${four.toFixed(0)} records/s (${perTransaction(afterOne, afterFour)}) (target >= ${TARGET}: ${verdict(four)})`,
        `written ${rows[0]?.records} records over ${rows[0]?.incidents} incidents; chain verifies: ${verified.ok}`,
      ].join('\n') + '\n',
    );
  } finally {
    await pool.end();
    await db.drop();
  }
}

const childUrl = process.env['BENCH_AUDIT_CHILD'];
(childUrl === undefined ? main() : child(childUrl, process.env['BENCH_AUDIT_NAME'] ?? 'p')).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:audit failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
