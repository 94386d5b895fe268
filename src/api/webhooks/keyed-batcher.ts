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
   * that key's next call waits for as many items as that call carried plus those already
   * waiting when it was answered — the storm's senders, those it answered coming back — or
   * until a full batch (`maxBatch` items or `maxBatchSize`) is waiting, or `ms` have passed.
   * Fewer, larger calls in a storm, each as large as the storm's senders allow, however long
   * this process takes to read them; a key whose last call was small (a single alert, a
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
  /** The waiting items' size in the units of `sizeOf` (0 without it). */
  waitingSize: number;
  inFlight: boolean;
  ready: boolean;
  /** Set while the key's next call lingers for more items (its last call was a storm's). */
  lingering: ReturnType<typeof setTimeout> | undefined;
  /** While lingering: the items the next call waits for (the last call's and those waiting when it was answered). */
  lingerFor: number;
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
        queue = { waiting: [], waitingSize: 0, inFlight: false, ready: false, lingering: undefined, lingerFor: 0 };
        this.queues.set(key, queue);
      }
      queue.waiting.push({ item, resolve, reject });
      if (this.limits.sizeOf !== undefined) queue.waitingSize += this.limits.sizeOf(item);
      this.pendingItems += 1;
      this.markReady(key, queue);
      this.pump();
    });
  }

  private markReady(key: string, queue: KeyQueue<I, R>): void {
    if (queue.inFlight || queue.ready) return;
    if (queue.lingering !== undefined) {
      if (!this.lingerDone(queue)) return;
      // The storm's senders, or a full batch, are waiting: no reason to linger longer.
      clearTimeout(queue.lingering);
      queue.lingering = undefined;
    }
    if (queue.waiting.length === 0) return;
    queue.ready = true;
    this.readyKeys.push(key);
  }

  /** Whether a lingering key's next call has waited for enough: the storm's senders, or a full batch. */
  private lingerDone(queue: KeyQueue<I, R>): boolean {
    const { maxBatch, maxBatchSize } = this.limits;
    return (
      queue.waiting.length >= Math.min(queue.lingerFor, maxBatch) ||
      (maxBatchSize !== undefined && queue.waitingSize >= maxBatchSize)
    );
  }

  /**
   * After a storm's call of `carried` items: the key's next call waits up to `linger.ms` for as
   * many more than wait now — the senders it answered coming back (markReady ends it early once
   * they, or a full batch, wait).
   */
  private linger(key: string, queue: KeyQueue<I, R>, ms: number, carried: number): void {
    queue.lingerFor = carried + queue.waiting.length;
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
      const next = sizeOf((queue.waiting[count] as Waiter<I, R>).item);
      if (count > 0 && size + next > maxBatchSize) break;
      size += next;
      count += 1;
    }
    queue.waitingSize -= size;
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
      if (linger !== undefined && batch.length >= linger.afterBatch) this.linger(key, queue, linger.ms, batch.length);
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
