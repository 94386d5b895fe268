/**
 * The email notifier against a real SMTP server on loopback and a real PostgreSQL delivery
 * store: rule 15 at incident open (zones resolved from the alert's hosts) and the
 * people.alerted alarm, which must go out even when PostgreSQL cannot be reached.
 */
import type { Alert } from '../../src/alerts/alert';
import { configSchema, type InterlockConfig } from '../../src/config/schema';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { DeliveryStore } from '../../src/notifications/delivery-store';
import { EmailNotifier } from '../../src/notifications/email-notifier';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Directory } from '../../src/notifications/links';
import { EmailClient } from '../../integrations/email';
import { createTestDatabase } from '../support/pg';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp';
import { eventually, stackConfig } from '../support/stack';
import type { Pool } from 'pg';

let smtp: SmtpTestServer;
let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let config: InterlockConfig;

const EMAILS: Record<string, string> = {
  alice: 'alice@soc.example.test',
  omar: 'omar@plant.example.test',
  grace: 'grace@plant.example.test',
  victor: 'victor@safety.example.test',
};

beforeAll(async () => {
  [smtp, db] = await Promise.all([startSmtpServer(), createTestDatabase()]);
  pool = createPool(db.url);
  await runMigrations(pool);
  const base = stackConfig({
    port: 8080,
    temporal: '127.0.0.1:7233',
    namespace: 'default',
    taskQueue: 'interlock',
    databaseUrl: db.url,
    playbooksDir: 'playbooks',
    crowdstrike: 'http://127.0.0.1:1',
    fortigate: 'http://127.0.0.1:1',
  });
  config = configSchema.parse({
    ...base,
    operators: base.operators.map((op) => ({ ...op, email: EMAILS[op.id] })),
    zones: base.zones.map((zone) => (zone.id === 'line1-cell' ? { ...zone, shiftLead: 'omar' } : zone)),
    email: { smtp: { host: smtp.host, port: smtp.port }, from: 'interlock@example.test' },
  });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await Promise.all([smtp?.close(), db?.drop()]);
});

function notifierWith(storePool: Pool): EmailNotifier {
  const email = config.email;
  if (email === undefined) throw new Error('email is not configured');
  return new EmailNotifier(new EmailClient(email), new DeliveryStore(storePool), new Directory(config));
}

function alert(overrides: Partial<Alert>): Alert {
  return {
    classUid: 2004,
    uid: 'generic:modbus-1',
    time: '2026-11-20T11:00:00Z',
    title: 'Modbus write to PLC from IT host',
    severity: 'high',
    severityId: 4,
    rule: {},
    hosts: [],
    ips: [],
    users: [],
    observables: [],
    source: { name: 'generic', product: 'generic' },
    rawSha256: '0'.repeat(64),
    ...overrides,
  };
}

const context = (incidentId: string) => ({ incidentId, workflowId: `incident-${incidentId}`, runId: 'run-1' });

describe('incident.opened (rule 15)', () => {
  it('emails the owner and shift lead of the OT zone the alert names, once per zone', async () => {
    const notifier = notifierWith(pool);
    const event = {
      kind: 'incident.opened' as const,
      context: context('inc-ot-1'),
      title: 'Modbus write to PLC from IT host',
      severity: 'high',
      // The PLC is known by IP only here; the source is an IT laptop (no plant email for it).
      alert: alert({ src: { hostname: 'fin-lt-042', ip: '10.30.5.42' }, dst: { ip: '10.20.1.7' } }),
    };
    await notifier.notify(event);
    await notifier.notify(event); // a retried activity
    const mails = smtp.messages.filter((m) => m.subject.includes('inc-ot-1'));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(
      '[Interlock] OT incident inc-ot-1 in zone line1-cell: Modbus write to PLC from IT host',
    );
    expect(mails[0]?.to.sort()).toEqual(['grace@plant.example.test', 'omar@plant.example.test']);
    // Links open console pages (a browser signs in, then lands there), not API routes.
    expect(mails[0]?.text).toMatch(/Incident: http:\/\/127\.0\.0\.1:8080\/console\/incidents\/inc-ot-1\r?\n/);
    expect(mails[0]?.text).toContain('Audit trail: http://127.0.0.1:8080/console/incidents/inc-ot-1#audit');
    expect(mails[0]?.text).not.toContain('Decide in the console');
  });

  it('emails nobody in the plant for an IT-only incident', async () => {
    await notifierWith(pool).notify({
      kind: 'incident.opened',
      context: context('inc-it-1'),
      title: 'Ransomware behaviour on laptop',
      severity: 'critical',
      alert: alert({ hosts: [{ hostname: 'fin-lt-042', ip: '10.30.5.42' }] }),
    });
    expect(smtp.messages.filter((m) => m.subject.includes('inc-it-1'))).toEqual([]);
  });
});

describe('approval.requested', () => {
  it('tells the zone’s plant contacts what is asked in words, with the technical form beside it', async () => {
    const decision = new PolicyEngine(config).decide({
      type: 'firewall.quarantine_ip',
      target: '10.20.1.7',
      params: {},
    });
    await notifierWith(pool).notify({
      kind: 'approval.requested',
      context: context('inc-words-1'),
      approvalId: 'apr-words-1',
      decision,
      expiresAt: '2026-11-20T12:00:00.000Z',
    });
    const mail = smtp.messages.find((m) => m.subject.includes('inc-words-1'));
    expect(mail?.text).toContain(
      'Proposed action awaiting approval: block 10.20.1.7 (plc-7) at the Fortinet FortiGate',
    );
    expect(mail?.text).toContain('(firewall.quarantine_ip 10.20.1.7 → fortigate:root)');
    expect(mail?.html).toContain('(firewall.quarantine_ip 10.20.1.7 → fortigate:root)');
    expect(mail?.text).toContain('Decide in the console: http://127.0.0.1:8080/console/approvals/apr-words-1');
    expect(mail?.html).toContain(
      '<a href="http://127.0.0.1:8080/console/approvals/apr-words-1">Decide in the console</a>',
    );
  });
});

describe('people.alerted (rules 5 and 9)', () => {
  const alarm = (alertId: string) => ({
    kind: 'people.alerted' as const,
    context: context('inc-alarm'),
    alertId,
    subject: 'Audit store unreachable: OT actions are on hold',
    rule: 'rule-9-fail-safe',
    reason: 'The audit store (PostgreSQL) cannot be reached.',
  });

  it('goes to the OT approvers, the safety owner and the SOC, once per alert ID', async () => {
    const notifier = notifierWith(pool);
    await notifier.notify(alarm('alarm-1'));
    await notifier.notify(alarm('alarm-1'));
    const mails = smtp.messages.filter((m) => m.text.includes('rule-9-fail-safe'));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('[Interlock] Audit store unreachable: OT actions are on hold');
    expect(mails[0]?.to.sort()).toEqual(Object.values(EMAILS).sort());
  });

  it('is delivered when the delivery store cannot be reached', async () => {
    const unreachable = createPool('postgres://postgres@127.0.0.1:1/none');
    try {
      const before = smtp.messages.length;
      await notifierWith(unreachable).notify(alarm('alarm-db-down'));
      const mail = await eventually(() => smtp.messages.slice(before)[0], 'the alarm email');
      expect(mail.subject).toContain('Audit store unreachable');
    } finally {
      await unreachable.end();
    }
  });
});
