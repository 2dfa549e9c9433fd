/**
 * A bounded async queue: producers push and learn when to pause, one consumer iterates.
 * Before a consumer starts iterating, events are kept up to the high-water mark (a caller may
 * begin iterating a little late) and dropped beyond it: a caller that only wants the results
 * must not make the hosts wait for a reader that never comes.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed = false;
  private consumer = false;
  private wake: (() => void) | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly highWaterMark = 2048) {}

  /** False when the queue is over its high-water mark: the producer should wait for `drained()`. */
  push(item: T): boolean {
    if (this.closed || (!this.consumer && this.items.length >= this.highWaterMark)) return true;
    this.items.push(item);
    this.wakeConsumer();
    return !this.consumer || this.items.length < this.highWaterMark;
  }

  drained(): Promise<void> {
    if (!this.consumer || this.items.length < this.highWaterMark / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer();
  }

  /**
   * Resolves the consumer's wait once: resolving an already-resolved promise is not free
   * (~200 ns), and a fast producer would pay it for every event until the consumer runs.
   */
  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Everything queued so far, one array at a time: a consumer of a fast stream (a million lines)
   * pays one await per batch, not per event.
   */
  async *batches(): AsyncGenerator<T[]> {
    this.consumer = true;
    try {
      for (;;) {
        if (this.items.length) {
          const batch = this.items;
          this.items = [];
          this.releaseWaiters();
          yield batch;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // A consumer that stops early must not leave producers paused forever.
      this.consumer = false;
      this.items.length = 0;
      this.releaseWaiters();
    }
  }

  /**
   * One event at a time, served from the batches: while a batch lasts, `next()` hands back an
   * already-settled promise instead of entering an async function per event.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const batches = this.batches();
    let current: T[] = [];
    let index = 0;
    const nextBatch = async (): Promise<IteratorResult<T>> => {
      const step = await batches.next();
      if (step.done) return { done: true, value: undefined };
      current = step.value;
      index = 0;
      return next();
    };
    const next = (): Promise<IteratorResult<T>> =>
      index < current.length ? Promise.resolve({ done: false, value: current[index++] }) : nextBatch();
    return {
      next,
      return: async (): Promise<IteratorResult<T>> => {
        await batches.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
