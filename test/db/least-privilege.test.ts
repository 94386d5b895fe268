/**
 * Rule 16: the service's database role can only insert and read audit rows. The schema is
 * migrated by the owner (the test's superuser); the service runs as a LOGIN member of
 * interlock_app, as docs/audit.md documents.
 */
import type { Pool } from 'pg';
import { ConsoleSessionStore } from '../../src/api/console/auth/session-store';
import { AuditStore } from '../../src/audit/audit-store';
import { IncidentIndex } from '../../src/audit/incident-index';
import type { AuditEventInput } from '../../src/audit/types';
import { runMigrations } from '../../src/db/migrate';
import { migratedServiceDatabase, type ServiceDatabase } from '../support/pg-cluster';

function event(n: number, incidentId = 'inc-000000000000000000000001'): AuditEventInput {
  return {
    idempotencyKey: `lp-${n}`,
    time: new Date(Date.UTC(2026, 10, 20, 11, 0, n)).toISOString(),
    incidentId,
    actor: { type: 'system', id: 'interlock', channel: 'engine' },
    eventType: 'alert.received',
    trigger: {
      source: 'generic',
      alertUid: `a-${n}`,
      title: 'Modbus write',
      severity: 'high',
      rawSha256: 'f'.repeat(64),
    },
  };
}

describe('least-privileged service role', () => {
  let db: ServiceDatabase;
  let owner: Pool;
  let service: Pool;
  let store: AuditStore;

  beforeAll(async () => {
    db = await migratedServiceDatabase();
    ({ owner, service } = db);
    store = new AuditStore(service);
    for (let n = 1; n <= 3; n++) await store.append(event(n));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lets the service start on a migrated schema, append and read audit records, and use its other tables', async () => {
    await expect(runMigrations(service)).resolves.toBeUndefined();
    expect((await store.listByIncident('inc-000000000000000000000001')).map((r) => r.seq)).toEqual([1, 2, 3]);
    await service.query(`INSERT INTO action_ledger (idempotency_key, action_type, result) VALUES ('k1', 't', '{}')`);
    expect(await store.verify()).toEqual({ ok: true, checked: 3 });
  });

  it('lets the service list incidents by a facet, kept by the projection, but not write the facet lists itself', async () => {
    const page = await new IncidentIndex(service).list({ source: 'generic', limit: 10, offset: 0 });
    expect(page.incidents.map((i) => i.incidentId)).toEqual(['inc-000000000000000000000001']);
    await expect(
      service.query(`INSERT INTO incident_facets VALUES ('source:forged', now(), 'inc-000000000000000000000001')`),
    ).rejects.toThrow(/permission denied for table incident_facets/);
    await expect(service.query('DELETE FROM incident_facets')).rejects.toThrow(/permission denied/);
  });

  it('lets the service create, touch and end console sessions', async () => {
    const sessions = new ConsoleSessionStore(service, { idleMs: 60_000, absoluteMs: 120_000 });
    const { token } = await sessions.create({ id: 'omar', name: 'Omar', roles: ['ot-engineer'] }, 'api-key');
    expect((await sessions.touch(token))?.operator.id).toBe('omar');
    await sessions.end(token);
    expect(await sessions.touch(token)).toBeUndefined();
  });

  it.each([
    ['UPDATE', `UPDATE audit_events SET event_type = 'alert.duplicate' WHERE seq = 2`],
    [
      'UPDATE of the record',
      `UPDATE audit_events SET record = record || '{"eventType":"alert.duplicate"}' WHERE seq = 2`,
    ],
    ['DELETE', 'DELETE FROM audit_events WHERE seq = 3'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('refuses %s of audit rows for the service role', async (_, sql) => {
    await expect(service.query(sql)).rejects.toThrow(/permission denied for table audit_events/);
  });

  it('refuses the service role switching the append-only trigger off or changing the schema', async () => {
    await expect(service.query('ALTER TABLE audit_events DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
    await expect(service.query('DROP TABLE audit_events')).rejects.toThrow(/must be owner/);
    await expect(service.query(`DELETE FROM schema_migrations`)).rejects.toThrow(/permission denied/);
  });

  it('refuses UPDATE and DELETE by the trigger even for the owner', async () => {
    await expect(owner.query(`UPDATE audit_events SET event_type = 'x' WHERE seq = 1`)).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(owner.query('DELETE FROM audit_events WHERE seq = 1')).rejects.toThrow(/append-only: DELETE refused/);
    expect(await store.verify()).toEqual({ ok: true, checked: 3 });
  });

  it('names the record a superuser edited with the trigger disabled', async () => {
    const client = await owner.connect();
    try {
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await client.query(
        `UPDATE audit_events SET record = jsonb_set(record, '{trigger,title}', '"nothing to see"') WHERE seq = 2`,
      );
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    } finally {
      client.release();
    }
    const result = await store.verify();
    expect(result).toEqual({
      ok: false,
      checked: 2,
      firstBroken: {
        seq: 2,
        reason: expect.stringMatching(/hash mismatch/) as unknown,
        idempotencyKey: 'lp-2',
        incidentId: 'inc-000000000000000000000001',
        eventType: 'alert.received',
      },
    });
  });
});
