import type { Pool } from 'pg';
import { AuditInputError, AuditStore, auditEventInputSchema } from '../../src/audit/audit-store';
import { GENESIS_HASH, computeRecordHash } from '../../src/audit/hash';
import type { AuditEventInput, VerifyResult } from '../../src/audit/types';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

function expectBroken(result: VerifyResult, seq: number, reason: RegExp, checked?: number): void {
  expect(result.ok).toBe(false);
  expect(result.firstBroken?.seq).toBe(seq);
  expect(result.firstBroken?.reason).toMatch(reason);
  if (checked !== undefined) expect(result.checked).toBe(checked);
}

let counter = 0;
function event(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  counter++;
  return {
    idempotencyKey: `evt-${counter}`,
    time: new Date(Date.UTC(2026, 2, 1, 10, 0, counter)).toISOString(),
    incidentId: 'inc-a',
    workflowId: 'incident-inc-a',
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType: 'alert.received',
    ...overrides,
  };
}

describe('AuditStore', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let store: AuditStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, { max: 20 });
    await runMigrations(pool);
    store = new AuditStore(pool);
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  /** Plays the attacker with superuser rights: switches the append-only trigger off. */
  async function tamper(sql: string, params: unknown[] = []): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await client.query(sql, params);
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    } finally {
      client.release();
    }
  }

  it('appends a chain starting from the genesis hash and lists an incident in order', async () => {
    const first = await store.append(event({ eventType: 'alert.received' }));
    const other = await store.append(event({ incidentId: 'inc-b' }));
    const second = await store.append(
      event({
        eventType: 'policy.decided',
        target: { ref: '10.0.0.5', known: false, zone: 'unknown' },
        decision: { outcome: 'approve', rule: 'rule-1-unknown-is-ot', reason: 'unknown target' },
      }),
    );

    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, eventType: 'alert.received' });
    expect(other).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(second).toMatchObject({ seq: 3, prevHash: other.hash });
    const { seq, prevHash, hash, ...content } = second;
    expect(hash).toBe(computeRecordHash(prevHash, content, seq));

    const listed = await store.listByIncident('inc-a');
    expect(listed).toEqual([first, second]);
    expect(await store.listByIncident('inc-none')).toEqual([]);
    expect(await store.verify()).toEqual({ ok: true, checked: 3 });
  });

  it('stores a retried append once and returns the original record', async () => {
    const input = event();
    const original = await store.append(input);
    await store.append(event());
    // A retry may carry a fresh timestamp; the first write still wins.
    const retried = await store.append({ ...input, time: '2030-01-01T00:00:00.000Z' });

    expect(retried).toEqual(original);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('2');
  });

  it('serializes 50 concurrent appends into one gapless chain that verifies', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => event({ incidentId: `inc-${i % 3}` }));
    // Each input twice, concurrently: retries racing their originals must still be stored once.
    const records = await Promise.all([...inputs, ...inputs].map((input) => store.append(input)));

    const seqs = [...new Set(records.map((r) => r.seq))].sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('50');
    expect(await store.verify()).toEqual({ ok: true, checked: 50 });
    expect(await store.verify({ incidentId: 'inc-1' })).toEqual({ ok: true, checked: 17 });
  });

  it('appends a batch in order under one lock: existing and repeated keys return the stored record', async () => {
    const earlierInput = event();
    const earlier = await store.append(earlierInput);
    const [a, b] = [
      event(),
      event({ incidentId: 'inc-b', details: { quote: 'it\'s "quoted", {braces} \\ and ünïcode' } }),
    ];
    if (a === undefined || b === undefined) throw new Error('unreachable');
    const records = await store.appendMany([
      a,
      { ...earlierInput, time: '2030-01-01T00:00:00.000Z' },
      b,
      { ...a, time: '2031-01-01T00:00:00.000Z' },
    ]);

    expect(records.map((r) => r.seq)).toEqual([2, 1, 3, 2]);
    expect(records[1]).toEqual(earlier);
    expect(records[3]).toEqual(records[0]);
    expect(records[2]).toMatchObject({ prevHash: records[0]?.hash, details: b.details });
    expect(await store.listByIncident('inc-b')).toEqual([records[2]]);
    expect(await store.verify()).toEqual({ ok: true, checked: 3 });
    expect(await store.appendMany([])).toEqual([]);
  });

  it('hashes in the database exactly as hash.ts does, whatever the text and numbers', async () => {
    const tricky = [
      event({ details: { text: '😀 日本語 é\n\t\u001f "q" \\ </script>', n: 1e21, small: 1e-7, neg: -0.5 } }),
      event({ details: { ['\u00e9']: 1, ['~']: [true, null, { b: 2, a: 1 }], Seq: 'x', seq0: 'y' } }),
      event({ incidentId: 'inc-ü', result: { status: 'succeeded', output: 'ok' } as AuditEventInput['result'] }),
    ];
    const records = await store.appendMany(tricky);
    for (const record of records) {
      const { seq, prevHash, hash, ...content } = record;
      expect(hash).toBe(computeRecordHash(prevHash, content, seq));
    }
    expect(await store.verify()).toEqual({ ok: true, checked: 3 });
  });

  it('writes nothing of a batch with one invalid event, naming the event', async () => {
    const bad = { ...event(), eventType: 'made.up' } as unknown as AuditEventInput;
    await expect(store.appendMany([event(), bad])).rejects.toThrow(/event 1.*eventType/s);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('0');
  });

  it('serializes concurrent batches into one gapless chain that verifies', async () => {
    const batches = Array.from({ length: 20 }, (_, i) => [
      event({ incidentId: `inc-${i}` }),
      event({ incidentId: `inc-${i}` }),
    ]);
    await Promise.all([...batches, ...batches].map((batch) => store.appendMany(batch)));
    expect(await store.verify()).toEqual({ ok: true, checked: 40 });
    const listed = await store.listByIncident('inc-7');
    // A batch's records are adjacent in the chain.
    expect(listed.map((r) => r.idempotencyKey)).toEqual(batches[7]?.map((e) => e.idempotencyKey));
    expect((listed[1]?.seq ?? 0) - (listed[0]?.seq ?? 0)).toBe(1);
  });

  it('group-commits concurrent calls: one transaction for the calls made while none was written', async () => {
    const calls = Array.from({ length: 30 }, (_, i) =>
      store.appendMany([event({ incidentId: `inc-${i}` }), event({ incidentId: `inc-${i}` })]),
    );
    const results = await Promise.all(calls);
    // Each call gets its own records back, in order and adjacent in the chain.
    results.forEach((records, i) => {
      expect(records.map((r) => r.incidentId)).toEqual([`inc-${i}`, `inc-${i}`]);
      expect((records[1]?.seq ?? 0) - (records[0]?.seq ?? 0)).toBe(1);
    });
    // Rows written by one transaction share its xmin: calls made in the same tick form one group.
    const { rows } = await pool.query<{ n: string }>('SELECT count(DISTINCT xmin::text) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('1');
    expect(await store.verify()).toEqual({ ok: true, checked: 60 });
  });

  it('fails only the call whose write the database refuses, not the others in its group', async () => {
    await pool.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.incident_id = 'poison' THEN RAISE EXCEPTION 'poisoned record'; END IF; RETURN NEW; END $$`);
    await pool.query(
      'CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_poison()',
    );
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => store.appendMany([event({ incidentId: i === 5 ? 'poison' : `inc-${i}` })])),
    );
    expect(results.map((r) => r.status)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i === 5 ? 'rejected' : 'fulfilled')),
    );
    expect(results[5]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/poisoned record/) },
    });
    expect(await store.verify()).toEqual({ ok: true, checked: 11 });
  });

  it('keeps exactly what it hashed: undefined members dropped, extra nested fields kept', async () => {
    const record = await store.append(
      event({
        playbookId: undefined,
        target: { ref: 'plc-1', known: true, purdueLevel: 1, mode: 'approve' } as AuditEventInput['target'],
        details: { nested: { a: [1, 2.5, null] }, when: new Date('2026-01-01T00:00:00Z') },
      }),
    );
    expect(record).not.toHaveProperty('playbookId');
    expect(record.target).toMatchObject({ mode: 'approve' });
    expect(record.details).toEqual({ nested: { a: [1, 2.5, null] }, when: '2026-01-01T00:00:00.000Z' });
    expect(await store.listByIncident('inc-a')).toEqual([record]);
    expect(await store.verify()).toEqual({ ok: true, checked: 1 });
  });

  it('refuses invalid events with the field path, writing none of them', async () => {
    const bad = { ...event(), eventType: 'made.up', time: 'yesterday' } as unknown as AuditEventInput;
    await expect(store.append(bad)).rejects.toThrow(AuditInputError);
    await expect(store.append(bad)).rejects.toThrow(/eventType.*time|time.*eventType/s);
    await expect(store.append({ ...event(), seq: 99 } as unknown as AuditEventInput)).rejects.toThrow(/seq/);
    await expect(store.append(event({ details: { text: 'a\u0000b' } }))).rejects.toThrow(/NUL/);
    // Canonical JSON (the hash input) cannot hold a lone surrogate: refused, not retried forever.
    const loneSurrogate = store.append(event({ details: { text: 'note \udc00.txt' } }));
    await expect(loneSurrogate).rejects.toThrow(AuditInputError);
    await expect(loneSurrogate).rejects.toThrow('audit event contains a lone UTF-16 surrogate');
    await expect(store.append(event({ details: { ['\ud800key']: 'x' } }))).rejects.toThrow(AuditInputError);
    // A paired surrogate (an emoji) and an escaped backslash before "ud800" are ordinary text.
    await expect(store.append(event({ details: { text: '\ud83d\ude00 \\ud800' } }))).resolves.toBeDefined();
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('1');
  });

  it('exports the zod schema of AuditEventInput', () => {
    expect(auditEventInputSchema.safeParse(event()).success).toBe(true);
    expect(auditEventInputSchema.safeParse({ ...event(), actor: { type: 'robot', id: 'x' } }).success).toBe(false);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the trigger', async () => {
    await store.append(event());
    await expect(pool.query(`UPDATE audit_events SET event_type = 'x'`)).rejects.toThrow(
      /audit_events is append-only: UPDATE refused/,
    );
    await expect(pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only: TRUNCATE refused/);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    expect(rows[0]?.n).toBe('1');
  });

  it('names the edited record when a superuser bypasses the trigger', async () => {
    for (let i = 0; i < 5; i++) await store.append(event({ incidentId: i === 2 ? 'inc-x' : 'inc-a' }));
    await tamper(
      `UPDATE audit_events SET record = jsonb_set(record, '{eventType}', '"incident.closed"') WHERE seq = 3`,
    );

    expectBroken(await store.verify(), 3, /hash mismatch/, 3);
    expectBroken(await store.verify({ incidentId: 'inc-x' }), 3, /hash mismatch/, 1);
    // Another incident's records are intact and linked.
    expect(await store.verify({ incidentId: 'inc-a' })).toMatchObject({ ok: true, checked: 4 });
  });

  it('detects an edit that recomputes the record hash through the next link', async () => {
    for (let i = 0; i < 4; i++) await store.append(event());
    const { rows } = await pool.query<{ record: AuditEventInput; prev_hash: string }>(
      'SELECT record, prev_hash FROM audit_events WHERE seq = 2',
    );
    const edited = { ...rows[0]!.record, eventType: 'incident.closed' as const };
    await tamper(
      `UPDATE audit_events SET record = $1::jsonb, event_type = 'incident.closed', hash = $2 WHERE seq = 2`,
      [JSON.stringify(edited), computeRecordHash(rows[0]!.prev_hash, edited, 2)],
    );
    expectBroken(await store.verify(), 3, /prev_hash does not match/, 3);
    expectBroken(await store.verify({ incidentId: 'inc-a' }), 3, /prev_hash does not match/);
  });

  it('detects a column edited outside the hashed record', async () => {
    for (let i = 0; i < 3; i++) await store.append(event());
    await tamper(`UPDATE audit_events SET incident_id = 'inc-elsewhere' WHERE seq = 2`);
    expectBroken(await store.verify(), 2, /column mismatch/, 2);
  });

  it('detects deletion of a middle record, in the chain and for the incident', async () => {
    for (let i = 0; i < 6; i++) await store.append(event({ incidentId: i === 3 ? 'inc-x' : 'inc-a' }));
    await tamper('DELETE FROM audit_events WHERE seq = 4');

    expectBroken(await store.verify(), 5, /seq gap: record\(s\) 4\.\.4 missing/, 3);
    expectBroken(await store.verify({ incidentId: 'inc-a' }), 5, /seq gap: record 4/);
  });

  it('verifies across page boundaries', async () => {
    // More than one verify page (1000 rows), written directly for speed with a valid chain.
    let prevHash = GENESIS_HASH;
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let seq = 1; seq <= 1203; seq++) {
      const input = event({ incidentId: seq % 2 === 0 ? 'inc-even' : 'inc-odd' });
      const hash = computeRecordHash(prevHash, input, seq);
      const base = values.length;
      values.push(
        seq,
        input.idempotencyKey,
        input.time,
        input.incidentId,
        input.eventType,
        JSON.stringify(input),
        prevHash,
        hash,
      );
      tuples.push(`(${Array.from({ length: 8 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
      prevHash = hash;
      if (tuples.length === 500 || seq === 1203) {
        await pool.query(
          `INSERT INTO audit_events (seq, idempotency_key, time, incident_id, event_type, record, prev_hash, hash) VALUES ${tuples.join(', ')}`,
          values,
        );
        values.length = 0;
        tuples.length = 0;
      }
    }
    expect(await store.verify()).toEqual({ ok: true, checked: 1203 });
    expect(await store.verify({ incidentId: 'inc-odd' })).toEqual({ ok: true, checked: 602 });
    const next = await store.append(event());
    expect(next.seq).toBe(1204);

    await tamper(`UPDATE audit_events SET record = jsonb_set(record, '{incidentId}', '"inc-odd"') WHERE seq = 1100`);
    expectBroken(await store.verify(), 1100, /hash mismatch/, 1100);
  });
});
