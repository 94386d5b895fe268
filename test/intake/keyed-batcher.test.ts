import { KeyedBatcher, OverloadedError } from '../../src/api/webhooks/keyed-batcher';

/** A call whose completion the test controls, recording each batch it was given. */
function controlledCall() {
  const batches: { key: string; items: number[]; finish: (ok?: boolean) => void }[] = [];
  const call = (key: string, items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({
        key,
        items,
        finish: (ok = true) => (ok ? resolve(items.map((i) => `${key}:${i}`)) : reject(new Error('temporal down'))),
      });
    });
  return { batches, call };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedBatcher', () => {
  it('sends what arrives during an in-flight call as one next call, and answers each submitter', async () => {
    const { batches, call } = controlledCall();
    const batcher = new KeyedBatcher(call, { maxPending: 100, maxBatch: 50, maxConcurrentCalls: 4 });
    const first = batcher.submit('inc-a', 0);
    const rest = Array.from({ length: 9 }, (_, i) => batcher.submit('inc-a', i + 1));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[0]]);
    batches[0]?.finish();
    await expect(first).resolves.toBe('inc-a:0');
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    batches[1]?.finish();
    await expect(Promise.all(rest)).resolves.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `inc-a:${i}`));
    expect(batcher.pending).toBe(0);
  });

  it('keeps one call per key in flight, runs keys in parallel up to the limit, and splits by maxBatch', async () => {
    const { batches, call } = controlledCall();
    const batcher = new KeyedBatcher(call, { maxPending: 100, maxBatch: 2, maxConcurrentCalls: 2 });
    const all = [
      batcher.submit('a', 1),
      batcher.submit('b', 1),
      batcher.submit('c', 1),
      batcher.submit('a', 2),
      batcher.submit('a', 3),
      batcher.submit('a', 4),
    ];
    await tick();
    expect(batches.map((b) => [b.key, b.items])).toEqual([
      ['a', [1]],
      ['b', [1]],
    ]);
    batches[0]?.finish();
    await tick();
    // c was waiting for a slot before a's next batch became ready.
    expect(batches.slice(2).map((b) => [b.key, b.items])).toEqual([['c', [1]]]);
    batches[1]?.finish();
    await tick();
    expect(batches.slice(3).map((b) => [b.key, b.items])).toEqual([['a', [2, 3]]]);
    for (let i = 2; i < 6; i += 1) {
      batches[i]?.finish();
      await tick();
    }
    expect(batches.map((b) => b.items.length).reduce((a, b) => a + b)).toBe(6);
    await expect(Promise.all(all)).resolves.toHaveLength(6);
  });

  it('refuses beyond maxPending (all or none for a multi-item delivery) and frees room when calls finish', async () => {
    const { batches, call } = controlledCall();
    const batcher = new KeyedBatcher(call, { maxPending: 3, maxBatch: 10, maxConcurrentCalls: 1 });
    const accepted = [batcher.submit('a', 1), batcher.submit('a', 2)];
    await expect(
      batcher.submitAll([
        { key: 'b', item: 1 },
        { key: 'b', item: 2 },
      ]),
    ).rejects.toBeInstanceOf(OverloadedError);
    const third = batcher.submit('a', 3);
    await expect(batcher.submit('a', 4)).rejects.toThrow('intake is saturated (3 alerts in flight)');
    await tick();
    batches[0]?.finish();
    await tick();
    batches[1]?.finish();
    await expect(Promise.all([...accepted, third])).resolves.toEqual(['a:1', 'a:2', 'a:3']);
    expect(batcher.hasRoomFor(3)).toBe(true);
  });

  it('rejects every submitter of a failed call, and the next call still runs', async () => {
    const { batches, call } = controlledCall();
    const batcher = new KeyedBatcher(call, { maxPending: 10, maxBatch: 10, maxConcurrentCalls: 1 });
    const failed = batcher.submit('a', 1);
    await tick();
    const later = batcher.submit('a', 2);
    batches[0]?.finish(false);
    await expect(failed).rejects.toThrow('temporal down');
    await tick();
    batches[1]?.finish();
    await expect(later).resolves.toBe('a:2');
  });

  it('closes a batch at the size budget, always sending at least one item', async () => {
    const { batches, call } = controlledCall();
    const batcher = new KeyedBatcher(call, {
      maxPending: 10,
      maxBatch: 10,
      maxConcurrentCalls: 1,
      maxBatchSize: 10,
      sizeOf: (n) => n as number,
    });
    const all = [batcher.submit('a', 1), batcher.submit('a', 20), batcher.submit('a', 4), batcher.submit('a', 5)];
    await tick();
    for (let i = 0; i < 3; i += 1) {
      batches[i]?.finish();
      await tick();
    }
    expect(batches.map((b) => b.items)).toEqual([[1], [20], [4, 5]]);
    await expect(Promise.all(all)).resolves.toHaveLength(4);
  });

  describe('storm linger', () => {
    const linger = { afterBatch: 3, ms: 50 };
    afterEach(() => jest.useRealTimers());

    /**
     * A lingering batcher on fake timers whose first call (item 0) is answered while `storm` wait:
     * they are its second call, the storm's, still in flight.
     */
    async function stormInFlight(storm: number[]) {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
      const { batches, call } = controlledCall();
      const batcher = new KeyedBatcher(call, { maxPending: 100, maxBatch: 10, maxConcurrentCalls: 1, linger });
      const answers = [batcher.submit('a', 0)];
      await tick();
      answers.push(...storm.map((i) => batcher.submit('a', i)));
      batches[0]?.finish();
      await tick();
      return { batches, batcher, answers };
    }

    it('sends a single alert at once, and a small batch as soon as its call is answered', async () => {
      const { batches, call } = controlledCall();
      const batcher = new KeyedBatcher(call, { maxPending: 100, maxBatch: 10, maxConcurrentCalls: 1, linger });
      const first = batcher.submit('a', 1);
      await tick();
      expect(batches.map((b) => b.items)).toEqual([[1]]);
      const second = [batcher.submit('a', 2), batcher.submit('a', 3)];
      batches[0]?.finish();
      await first;
      await tick();
      // The last call carried one item: no storm, no waiting.
      expect(batches.map((b) => b.items)).toEqual([[1], [2, 3]]);
      batches[1]?.finish();
      await expect(Promise.all(second)).resolves.toEqual(['a:2', 'a:3']);
    });

    it("after a storm's call, waits up to linger.ms for more, then sends them in one call", async () => {
      const { batches, batcher, answers } = await stormInFlight([1, 2, 3]);
      expect(batches.map((b) => b.items)).toEqual([[0], [1, 2, 3]]);
      // A storm's call (3 items) answered: the next one waits for more.
      answers.push(batcher.submit('a', 4));
      batches[1]?.finish();
      await tick();
      answers.push(batcher.submit('a', 5));
      jest.advanceTimersByTime(linger.ms - 1);
      await tick();
      expect(batches).toHaveLength(2);
      jest.advanceTimersByTime(1);
      await tick();
      expect(batches.map((b) => b.items)).toEqual([[0], [1, 2, 3], [4, 5]]);
      batches[2]?.finish();
      await expect(Promise.all(answers)).resolves.toEqual([0, 1, 2, 3, 4, 5].map((i) => `a:${i}`));
      expect(batcher.pending).toBe(0);
    });

    it('stops lingering as soon as as many items wait as the last call carried, and forgets an idle key after linger.ms', async () => {
      const { batches, batcher, answers } = await stormInFlight([1, 2, 3, 4]);
      batches[1]?.finish();
      await tick();
      // The last call carried 4 (its senders): the next one waits for 4, not for maxBatch.
      answers.push(...[5, 6, 7].map((i) => batcher.submit('a', i)));
      await tick();
      expect(batches).toHaveLength(2);
      answers.push(batcher.submit('a', 8));
      await tick();
      expect(batches.map((b) => b.items)).toEqual([[0], [1, 2, 3, 4], [5, 6, 7, 8]]);
      batches[2]?.finish();
      await Promise.all(answers);
      // Nothing arrives within linger.ms: the key is forgotten, its next alert goes at once.
      jest.advanceTimersByTime(linger.ms);
      const late = batcher.submit('a', 9);
      await tick();
      expect(batches.map((b) => b.items).at(-1)).toEqual([9]);
      batches[3]?.finish();
      await expect(late).resolves.toBe('a:9');
      await expect(batcher.idle()).resolves.toBeUndefined();
    });

    it('counts those that waited during the call among the senders the next call waits for', async () => {
      const { batches, batcher, answers } = await stormInFlight([1, 2, 3]);
      // A storm's call of 3 in flight; 2 more senders wait meanwhile.
      answers.push(batcher.submit('a', 4), batcher.submit('a', 5));
      batches[1]?.finish();
      await tick();
      // 3 come back: 5 wait, the 3 + 2 senders of the storm, and go together.
      answers.push(...[6, 7].map((i) => batcher.submit('a', i)));
      await tick();
      expect(batches).toHaveLength(2);
      answers.push(batcher.submit('a', 8));
      await tick();
      expect(batches.map((b) => b.items)).toEqual([[0], [1, 2, 3], [4, 5, 6, 7, 8]]);
      batches[2]?.finish();
      await expect(Promise.all(answers)).resolves.toHaveLength(9);
    });

    it('stops lingering once maxBatch items, or the size budget, wait', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
      const { batches, call } = controlledCall();
      const batcher = new KeyedBatcher(call, {
        maxPending: 100,
        maxBatch: 4,
        maxConcurrentCalls: 1,
        maxBatchSize: 10,
        sizeOf: (item) => item as number,
        linger,
      });
      const answers = [batcher.submit('a', 1)];
      await tick();
      // Six wait; the next call takes the first four (maxBatch), the call after it the rest.
      answers.push(...[1, 1, 1, 1, 1, 1].map((i) => batcher.submit('a', i)));
      batches[0]?.finish();
      await tick();
      expect(batches.map((b) => b.items)).toEqual([[1], [1, 1, 1, 1]]);
      batches[1]?.finish();
      await tick();
      // Lingering for 4 after a call of 4: 2 wait, then one of 8 fills the size budget (2 + 8 >= 10).
      expect(batches).toHaveLength(2);
      answers.push(batcher.submit('a', 8));
      await tick();
      expect(batches.map((b) => b.items).at(-1)).toEqual([1, 1, 8]);
      batches[2]?.finish();
      await expect(Promise.all(answers)).resolves.toHaveLength(8);
      expect(batcher.pending).toBe(0);
    });
  });
});
