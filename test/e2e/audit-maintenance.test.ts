/**
 * Scheduled audit maintenance (issue 19): the worker creates Temporal Schedules for retention
 * pruning and chain-head anchoring at startup; a triggered prune removes old records through
 * the service's prune function and leaves a checkpoint; anchoring writes the file and a syslog
 * datagram; removing the newest records as the database owner is then reported by verify.
 * Real API and worker processes, real Temporal and PostgreSQL.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { parse } from 'yaml';
import { readNewestFileAnchor } from '../../src/audit/anchor';
import { AuditStore } from '../../src/audit/audit-store';
import type { AuditEventInput } from '../../src/audit/types';
import { createPool } from '../../src/db/pool';
import { ANCHOR_SCHEDULE_ID, PRUNE_SCHEDULE_ID } from '../../src/worker/maintenance-schedules';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import { ENCRYPTION_KEY, eventually, startStack, type Stack } from '../support/stack';

const DAY = 86_400_000;
let stack: Stack;
let connection: Connection;
let client: Client;
let owner: Pool;
let dir: string;
let anchorFile: string;
let syslog: Socket;
const datagrams: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'interlock-anchors-'));
  anchorFile = join(dir, 'audit-anchors.jsonl');
  syslog = createSocket('udp4');
  syslog.on('message', (message) => datagrams.push(message.toString()));
  await new Promise<void>((resolve) => syslog.bind(0, '127.0.0.1', resolve));
  stack = await startStack({
    configure: (config) => {
      config['audit'] = {
        retention: '90d',
        pruneAt: '04:30',
        anchor: {
          every: '10m',
          file: anchorFile,
          syslog: { host: '127.0.0.1', port: syslog.address().port, protocol: 'udp' },
        },
      };
    },
  });
  const config = parse(readFileSync(stack.configPath, 'utf8')) as { temporal: { address: string; namespace: string } };
  connection = await Connection.connect({ address: config.temporal.address });
  // The stack encrypts payloads: the workflows' results are read with its key.
  const codec = new AesGcmPayloadCodec(
    [{ id: ENCRYPTION_KEY.id, key: Buffer.from(ENCRYPTION_KEY.key, 'base64') }],
    ENCRYPTION_KEY.id,
  );
  client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs: [codec] } });
  owner = createPool(stack.databaseUrl);
}, 120_000);

afterAll(async () => {
  await owner?.end();
  await connection?.close();
  await stack?.stop();
  syslog?.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function event(daysAgo: number): AuditEventInput {
  counter += 1;
  return {
    idempotencyKey: `maintenance-${counter}`,
    time: new Date(Date.now() - daysAgo * DAY).toISOString(),
    incidentId: 'inc-maintenance',
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType: 'alert.received',
  };
}

/** Triggers the schedule now and waits for the workflow run it started. */
async function runSchedule(scheduleId: string): Promise<unknown> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const action = await eventually(async () => {
    const { recentActions } = (await handle.describe()).info;
    return recentActions.length > before ? recentActions[recentActions.length - 1] : undefined;
  }, `a run of ${scheduleId}`);
  return client.workflow.getHandle(action.action.workflow.workflowId).result();
}

async function verify(): Promise<Record<string, unknown>> {
  const response = await stack.api('/audit/verify', { operator: 'alice' });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('audit maintenance schedules', () => {
  it('exist after the worker started, as the configuration says', async () => {
    const prune = await client.schedule.getHandle(PRUNE_SCHEDULE_ID).describe();
    expect(prune.action).toMatchObject({ type: 'startWorkflow', workflowType: 'auditPruneWorkflow' });
    expect(prune.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }),
    ]);
    const anchor = await client.schedule.getHandle(ANCHOR_SCHEDULE_ID).describe();
    expect(anchor.action).toMatchObject({ type: 'startWorkflow', workflowType: 'auditAnchorWorkflow' });
    expect(anchor.spec.intervals).toEqual([expect.objectContaining({ every: 600_000 })]);
  });

  it('prune records older than the retention when triggered, leaving a checkpoint the chain verifies from', async () => {
    const store = new AuditStore(owner);
    for (const daysAgo of [400, 300, 120, 5]) await store.append(event(daysAgo));
    const result = await runSchedule(PRUNE_SCHEDULE_ID);
    expect(result).toMatchObject({ pruned: 3, checkpointSeq: 3 });
    const { rows } = await owner.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq');
    expect(rows.map((r) => Number(r.seq))).toEqual([4]);
    expect(await verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 3 } });
  });

  it('anchor the chain head to the file and to syslog', async () => {
    const store = new AuditStore(owner);
    for (const daysAgo of [2, 1, 0]) await store.append(event(daysAgo));
    const head = await store.head();
    expect(head.seq).toBe(7);
    const anchored = await runSchedule(ANCHOR_SCHEDULE_ID);
    expect(anchored).toMatchObject({ seq: 7, hash: head.hash });
    expect(await readNewestFileAnchor(anchorFile)).toMatchObject({ seq: 7, hash: head.hash });
    const datagram = await eventually(
      () => datagrams.find((d) => d.includes(`seq="7"`)),
      'the syslog datagram of the anchor',
    );
    expect(datagram).toMatch(
      new RegExp(
        `^<37>1 \\S+ \\S+ interlock \\d+ audit-anchor \\[interlock-anchor@32473 seq="7" hash="${head.hash}"\\]`,
      ),
    );
    expect(await verify()).toMatchObject({ ok: true, anchor: { seq: 7, hash: head.hash } });
  });

  it('let verify report the newest records removed by the database owner', async () => {
    const client = await owner.connect();
    try {
      // The owner (here a superuser) switches the append-only trigger off to hide the last two records.
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await client.query('DELETE FROM audit_events WHERE seq > 5');
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    } finally {
      client.release();
    }
    // The shorter chain still links: only the anchor shows what is missing.
    expect(await new AuditStore(owner).verify()).toMatchObject({ ok: true });
    const result = await verify();
    expect(result).toMatchObject({ ok: false, firstBroken: { seq: 7 }, anchor: { seq: 7 } });
    expect((result['firstBroken'] as { reason: string }).reason).toMatch(
      /^truncated: the newest record is seq 5, behind the audit anchor of .*: records 6\.\.7 were removed$/,
    );
  });
});
