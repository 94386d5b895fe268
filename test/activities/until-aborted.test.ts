/**
 * untilAborted (src/activities/enforcement.ts), found by the fault run: an admission's first
 * attempt whose deadline passed while the action ledger recorded its intent (PostgreSQL slow or
 * restarting) started the vendor call anyway and left it behind; its later rejection had no
 * listener and ended the worker process (unhandled rejection). Now the call is not started.
 */
import { IntegrationError } from '../../integrations';
import { untilAborted } from '../../src/activities/enforcement';

/** Rejections nobody handled while `run` ran (and a moment after). */
async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await run();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

/** A vendor call that fails `ms` after it starts, as an abandoned axios request does. */
function failingCall(ms: number, started: { count: number }) {
  return () => {
    started.count += 1;
    return new Promise<never>((_, reject) => setTimeout(() => reject(new Error('abandoned: deadline reached')), ms));
  };
}

it('does not start the vendor call when the deadline has already passed, and fails as a retryable timeout', async () => {
  const started = { count: 0 };
  let outcome: unknown;
  const unhandled = await unhandledDuring(async () => {
    outcome = await untilAborted(failingCall(10, started), AbortSignal.abort(new Error('deadline'))).catch(
      (e: unknown) => e,
    );
  });
  expect(started.count).toBe(0);
  expect(outcome).toBeInstanceOf(IntegrationError);
  expect(outcome).toMatchObject({ kind: 'timeout', retryable: true, message: 'vendor call abandoned: deadline' });
  expect(unhandled).toEqual([]);
});

it('abandons a call under way at the deadline, and its later failure is handled', async () => {
  const started = { count: 0 };
  const controller = new AbortController();
  let outcome: unknown;
  const unhandled = await unhandledDuring(async () => {
    const pending = untilAborted(failingCall(50, started), controller.signal);
    controller.abort(new Error('deadline'));
    outcome = await pending.catch((e: unknown) => e);
  });
  expect(started.count).toBe(1);
  expect(outcome).toMatchObject({ kind: 'timeout', retryable: true });
  expect(unhandled).toEqual([]);
});

it('settles like the call without a signal', async () => {
  await expect(untilAborted(() => Promise.resolve('done'), undefined)).resolves.toBe('done');
});
