import type { NotificationEvent } from '../../src/engine/notification-events';
import { createLogger } from '../../src/logging';
import { isConnectionFailure } from '../../src/db/connection-errors';
import { AuditOutageAlarm } from '../../src/notifications/audit-outage-alarm';
import { createPool } from '../../src/db/pool';

const context = { incidentId: 'inc-1', workflowId: 'incident-inc-1', runId: 'run-1' };
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('isConnectionFailure', () => {
  it('recognizes the errors pg gives when PostgreSQL is unreachable or shutting down', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/none');
    const real = await pool.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    await pool.end();
    expect(isConnectionFailure(real)).toBe(true);
    expect(isConnectionFailure(refused)).toBe(true);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isConnectionFailure(new AggregateError([refused], ''))).toBe(true);
  });

  it('does not take a bad statement or a constraint violation for an outage', () => {
    expect(isConnectionFailure(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionFailure(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isConnectionFailure('ECONNREFUSED')).toBe(false);
  });
});

describe('AuditOutageAlarm', () => {
  it('alerts once per interval however many writes fail, and again after the interval', async () => {
    const sent: NotificationEvent[] = [];
    let now = 1_000_000;
    const alarm = new AuditOutageAlarm(
      { notify: (event) => Promise.resolve(void sent.push(event)) },
      createLogger('test', 'silent'),
      60_000,
      () => now,
    );
    for (let i = 0; i < 5; i += 1) {
      alarm.report(refused, context);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    }
    alarm.report(Object.assign(new Error('duplicate key'), { code: '23505' }), context);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'people.alerted', rule: 'rule-9-fail-safe', context });
    now += 60_000;
    alarm.report(refused, context);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
  });

  it('tries again after a short pause when the notification could not be delivered', async () => {
    let attempts = 0;
    let now = 0;
    const alarm = new AuditOutageAlarm(
      {
        notify: () => {
          attempts += 1;
          return Promise.reject(new Error('smtp down'));
        },
      },
      createLogger('test', 'silent'),
      300_000,
      () => now,
    );
    alarm.report(refused, context);
    await new Promise((r) => setImmediate(r));
    alarm.report(refused, context);
    expect(attempts).toBe(1);
    now += 30_000;
    alarm.report(refused, context);
    await new Promise((r) => setImmediate(r));
    expect(attempts).toBe(2);
  });
});
