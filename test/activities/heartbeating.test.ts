/**
 * heartbeating(): a regular action activity heartbeats every ACTION_HEARTBEAT_EVERY_MS while its
 * call runs, and not at its start — the server counts the heartbeat timeout from the attempt's
 * start, so a call that ends sooner costs no heartbeat (one server write fewer per action).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeating } from '../../src/activities/activity-support';
import { ACTION_HEARTBEAT_EVERY_MS } from '../../src/engine/vendor-deadlines';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function environment(isLocal = false) {
  const env = new MockActivityEnvironment({ isLocal });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  return { env, beats };
}

describe('heartbeating', () => {
  it('sends no heartbeat for a call that ends before the first interval', async () => {
    const { env, beats } = environment();
    const result = await env.run(() => heartbeating(async () => 'done'));
    expect(result).toBe('done');
    await sleep(20);
    expect(beats).toHaveLength(0);
  });

  it('heartbeats every interval while the call runs, and stops when it ends', async () => {
    const { env, beats } = environment();
    await env.run(() => heartbeating(() => sleep(ACTION_HEARTBEAT_EVERY_MS + 300)));
    expect(beats).toHaveLength(1);
    await sleep(ACTION_HEARTBEAT_EVERY_MS + 100);
    expect(beats).toHaveLength(1);
  });

  it('hands the call the activity cancellation signal', async () => {
    const { env } = environment();
    const signal = await env.run(() => heartbeating(async (s) => s));
    expect(signal).toBe(env.context.cancellationSignal);
  });

  it('does not heartbeat in a local activity', async () => {
    const { env, beats } = environment(true);
    await env.run(() => heartbeating(() => sleep(ACTION_HEARTBEAT_EVERY_MS + 300)));
    expect(beats).toHaveLength(0);
  });
});
