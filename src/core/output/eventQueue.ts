/**
 * A bounded async queue: producers push and learn when to pause, one consumer iterates.
 * Before a consumer starts iterating, events are kept up to the high-water mark (a caller may
 * begin iterating a little late) and dropped beyond it: a caller that only wants the results
 * must not make the hosts wait for a reader that never comes.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private closed = false;
  private consumer = false;
  private wake: (() => void) | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly highWaterMark = 2048) {}

  /** False when the queue is over its high-water mark: the producer should wait for `drained()`. */
  push(item: T): boolean {
    if (this.closed || (!this.consumer && this.items.length >= this.highWaterMark)) return true;
    this.items.push(item);
    this.wake?.();
    return !this.consumer || this.items.length < this.highWaterMark;
  }

  drained(): Promise<void> {
    if (!this.consumer || this.items.length < this.highWaterMark / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    this.consumer = true;
    try {
      for (;;) {
        while (this.items.length) {
          const item = this.items.shift() as T;
          if (this.drainWaiters.length && this.items.length < this.highWaterMark / 2) this.releaseWaiters();
          yield item;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // A consumer that stops early must not leave producers paused forever.
      this.consumer = false;
      this.items.length = 0;
      this.releaseWaiters();
    }
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
