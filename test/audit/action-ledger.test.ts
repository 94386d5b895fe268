import type { Pool } from 'pg';
import { actOnce, type GuardedAction } from '../../src/activities/ledger-guard';
import { ActionLedger, type LedgerIntent } from '../../src/audit/action-ledger';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from '../support/pg';

const intent = (key: string, actionDigest = 'd'.repeat(64)): LedgerIntent => ({
  key,
  actionType: 'edr.contain_host',
  target: 'fin-lt-042',
  actionDigest,
});

describe('ActionLedger', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ledger: ActionLedger;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url);
    await runMigrations(pool);
    ledger = new ActionLedger(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const row = async (key: string) =>
    (
      await pool.query<{ status: string; target: string | null; action_digest: string | null; started: boolean }>(
        `SELECT status, target, action_digest, started_at IS NOT NULL AS started FROM action_ledger WHERE idempotency_key = $1`,
        [key],
      )
    ).rows;

  it('finds nothing for an unknown key', async () => {
    expect(await ledger.find('never-recorded')).toBeUndefined();
  });

  it('records intent before the outcome: what, on which target, which digest, since when', async () => {
    expect(await ledger.recordIntent(intent('k-intent'))).toBeUndefined();
    expect(await row('k-intent')).toEqual([
      { status: 'intent', target: 'fin-lt-042', action_digest: 'd'.repeat(64), started: true },
    ]);
    // A second attempt is told an earlier one is under way (or was interrupted).
    expect(await ledger.recordIntent(intent('k-intent'))).toMatchObject({
      status: 'intent',
      actionType: 'edr.contain_host',
      target: 'fin-lt-042',
      startedAt: expect.any(Date),
    });
    await ledger.recordOutcome('k-intent', 'edr.contain_host', { deviceId: 'abc' });
    expect(await ledger.recordIntent(intent('k-intent'))).toEqual({
      status: 'succeeded',
      result: { deviceId: 'abc' },
      recovered: false,
      startedAt: expect.any(Date),
    });
  });

  it('keeps the first outcome, and stores arrays as JSON and undefined as null', async () => {
    await ledger.recordOutcome('wf-1/step-2/contain', 'edr.contain_host', { state: 'contained' });
    await ledger.recordOutcome('wf-1/step-2/contain', 'edr.contain_host', { state: 'changed' });
    expect(await ledger.find('wf-1/step-2/contain')).toMatchObject({ result: { state: 'contained' } });
    await ledger.recordOutcome('k-array', 'firewall.quarantine_ip', [1, 'two']);
    await ledger.recordOutcome('k-undefined', 'firewall.release_ip', undefined);
    expect(await ledger.find('k-array')).toMatchObject({ result: [1, 'two'] });
    expect(await ledger.find('k-undefined')).toMatchObject({ result: null });
  });

  it('gives one attempt the intent when several record it at once', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => ledger.recordIntent(intent('k-race'))));
    expect(answers.filter((a) => a === undefined)).toHaveLength(1);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM action_ledger WHERE idempotency_key = 'k-race'`,
    );
    expect(rows[0]?.n).toBe('1');
  });

  describe('actOnce', () => {
    /** A vendor whose change is either in place or not, counting calls and reads. */
    function vendor(key: string, digest?: string) {
      const seen = { acted: 0, read: 0, inPlace: false, readAt: undefined as Date | undefined };
      const action: GuardedAction<{ by: string }> = {
        ...intent(key, digest),
        act: async () => {
          seen.acted += 1;
          seen.inPlace = true;
          return { by: 'call' };
        },
        inPlace: async (startedAt) => {
          seen.read += 1;
          seen.readAt = startedAt;
          return seen.inPlace ? { by: 'read' } : undefined;
        },
      };
      return { seen, action };
    }

    it('acts once, then returns the recorded result without calling or reading', async () => {
      const { seen, action } = vendor('g-fresh');
      expect(await actOnce(ledger, action)).toEqual({ result: { by: 'call' } });
      expect(await actOnce(ledger, action)).toEqual({ result: { by: 'call' } });
      expect(seen).toMatchObject({ acted: 1, read: 0 });
    });

    it('after an attempt interrupted once the vendor acted, reads the state and does not act again', async () => {
      const { seen, action } = vendor('g-interrupted');
      // The first attempt recorded its intent, the vendor made the change, the outcome was never recorded.
      await ledger.recordIntent(action);
      seen.inPlace = true;

      const outcome = await actOnce(ledger, action);
      expect(outcome).toEqual({ result: { by: 'read' }, recovered: { intentRecordedAt: expect.any(String) } });
      expect(seen).toMatchObject({ acted: 0, read: 1 });
      expect(seen.readAt?.toISOString()).toBe(outcome.recovered?.intentRecordedAt);
      // Recorded as recovered: a later retry says so too, and reads nothing.
      expect(await ledger.find('g-interrupted')).toMatchObject({ status: 'succeeded', recovered: true });
      expect(await actOnce(ledger, action)).toEqual(outcome);
      expect(seen).toMatchObject({ acted: 0, read: 1 });
    });

    it('after an attempt interrupted before the vendor acted, reads the state and acts', async () => {
      const { seen, action } = vendor('g-not-reached');
      await ledger.recordIntent(action);
      expect(await actOnce(ledger, action)).toEqual({ result: { by: 'call' } });
      expect(seen).toMatchObject({ acted: 1, read: 1 });
    });

    it('keeps the intent when the call fails, so the retry reads first', async () => {
      const { seen, action } = vendor('g-failed');
      await expect(
        actOnce(ledger, {
          ...action,
          act: async () => {
            seen.inPlace = true; // the vendor acted, but the answer never arrived
            throw new Error('socket hang up');
          },
        }),
      ).rejects.toThrow('socket hang up');
      expect(await ledger.find('g-failed')).toMatchObject({ status: 'intent' });
      expect(await actOnce(ledger, action)).toMatchObject({ result: { by: 'read' }, recovered: expect.any(Object) });
      expect(seen).toMatchObject({ acted: 0, read: 1 });
    });

    it('refuses to judge an interrupted attempt that intended another action', async () => {
      const { seen, action } = vendor('g-changed', 'a'.repeat(64));
      await ledger.recordIntent({ ...action, actionDigest: 'b'.repeat(64) });
      await expect(actOnce(ledger, action)).rejects.toMatchObject({ type: 'LedgerIntentMismatch', nonRetryable: true });
      expect(seen).toMatchObject({ acted: 0, read: 0 });
    });
  });
});
