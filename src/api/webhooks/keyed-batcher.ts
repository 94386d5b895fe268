/**
 * Group commit per key: items submitted for one key while a call for that key is in flight
 * wait and go together in the next call, so a storm of N concurrent deliveries for one
 * incident costs a handful of Temporal calls instead of N. Every submitter awaits the call
 * that carried its item. Bounded: beyond `maxPending` items a submission is refused at once
 * (back-pressure) instead of queueing what the process cannot keep.
 */
export interface BatcherLimits {
  /** Items queued or in flight, over all keys, before submissions are refused. */
  maxPending: number;
  /** Most items in one call. */
  maxBatch: number;
  /** Calls in flight at once, over all keys (one per key at a time). */
  maxConcurrentCalls: number;
  /** Size budget per call in the units of `sizeOf` (at least one item always goes). */
  maxBatchSize?: number;
  sizeOf?: (item: unknown) => number;
  /**
   * Storm linger: once a call for a key that carried at least `afterBatch` items is answered,
   * that key's next call waits up to `ms` for more items, or until `maxBatch` are waiting.
   * Fewer, larger calls in a storm; a key whose last call was small (a single alert, a
   * trickle) is sent at once, as without it.
   */
  linger?: { afterBatch: number; ms: number };
}

/** Sends one key's batch; resolves with one result per item, in order. */
export type BatchCall<I, R> = (key: string, items: I[]) => Promise<R[]>;

export class OverloadedError extends Error {
  constructor(readonly pending: number) {
    super(`intake is saturated (${pending} alerts in flight)`);
    this.name = 'OverloadedError';
  }
}

interface Waiter<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface KeyQueue<I, R> {
  waiting: Waiter<I, R>[];
  inFlight: boolean;
  ready: boolean;
  /** Set while the key's next call lingers for more items (its last call was a storm's). */
  lingering: ReturnType<typeof setTimeout> | undefined;
}

export class KeyedBatcher<I, R> {
  private readonly queues = new Map<string, KeyQueue<I, R>>();
  private readonly readyKeys: string[] = [];
  private pendingItems = 0;
  private activeCalls = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly call: BatchCall<I, R>,
    private readonly limits: BatcherLimits,
  ) {}

  /** Items queued or in flight right now. */
  get pending(): number {
    return this.pendingItems;
  }

  /** Resolves once no item is queued or in flight (at once when none is): shutdown waits for it. */
  idle(): Promise<void> {
    if (this.pendingItems === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether `count` more items would be accepted now. */
  hasRoomFor(count: number): boolean {
    return this.pendingItems + count <= this.limits.maxPending;
  }

  submit(key: string, item: I): Promise<R> {
    if (!this.hasRoomFor(1)) return Promise.reject(new OverloadedError(this.pendingItems));
    return this.enqueue(key, item);
  }

  /** Submits several items at once, all or none (so a multi-alert delivery is never half-accepted). */
  submitAll(items: { key: string; item: I }[]): Promise<R[]> {
    if (!this.hasRoomFor(items.length)) return Promise.reject(new OverloadedError(this.pendingItems));
    return Promise.all(items.map(({ key, item }) => this.enqueue(key, item)));
  }

  private enqueue(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (queue === undefined) {
        queue = { waiting: [], inFlight: false, ready: false, lingering: undefined };
        this.queues.set(key, queue);
      }
      queue.waiting.push({ item, resolve, reject });
      this.pendingItems += 1;
      this.markReady(key, queue);
      this.pump();
    });
  }

  private markReady(key: string, queue: KeyQueue<I, R>): void {
    if (queue.inFlight || queue.ready) return;
    if (queue.lingering !== undefined) {
      if (queue.waiting.length < this.limits.maxBatch) return;
      // A full batch is waiting: no reason to linger longer.
      clearTimeout(queue.lingering);
      queue.lingering = undefined;
    }
    if (queue.waiting.length === 0) return;
    queue.ready = true;
    this.readyKeys.push(key);
  }

  /** After a storm's call: the key's next call waits up to `linger.ms` for more items (markReady ends it early). */
  private linger(key: string, queue: KeyQueue<I, R>, ms: number): void {
    queue.lingering = setTimeout(() => {
      queue.lingering = undefined;
      if (queue.waiting.length === 0 && !queue.inFlight) {
        if (this.queues.get(key) === queue) this.queues.delete(key);
        return;
      }
      this.markReady(key, queue);
      this.pump();
    }, ms);
    this.markReady(key, queue);
  }

  private pump(): void {
    while (this.activeCalls < this.limits.maxConcurrentCalls && this.readyKeys.length > 0) {
      const key = this.readyKeys.shift() as string;
      const queue = this.queues.get(key);
      if (queue === undefined) continue;
      queue.ready = false;
      this.flush(key, queue);
    }
  }

  private takeBatch(queue: KeyQueue<I, R>): Waiter<I, R>[] {
    const { maxBatch, maxBatchSize, sizeOf } = this.limits;
    if (maxBatchSize === undefined || sizeOf === undefined) return queue.waiting.splice(0, maxBatch);
    let size = 0;
    let count = 0;
    while (count < queue.waiting.length && count < maxBatch) {
      size += sizeOf((queue.waiting[count] as Waiter<I, R>).item);
      if (count > 0 && size > maxBatchSize) break;
      count += 1;
    }
    return queue.waiting.splice(0, count);
  }

  private flush(key: string, queue: KeyQueue<I, R>): void {
    const batch = this.takeBatch(queue);
    queue.inFlight = true;
    this.activeCalls += 1;
    const settle = (each: (waiter: Waiter<I, R>, index: number) => void) => {
      this.pendingItems -= batch.length;
      this.activeCalls -= 1;
      queue.inFlight = false;
      const linger = this.limits.linger;
      if (linger !== undefined && batch.length >= linger.afterBatch) this.linger(key, queue, linger.ms);
      else if (queue.waiting.length === 0) this.queues.delete(key);
      else this.markReady(key, queue);
      batch.forEach(each);
      this.pump();
      if (this.pendingItems === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    };
    this.call(
      key,
      batch.map((w) => w.item),
    ).then(
      (results) => settle((w, i) => w.resolve(results[i] as R)),
      (error: unknown) => settle((w) => w.reject(error)),
    );
  }
}
