/**
 * Collects items and hands them over in batches, at most one batch per interval, so a flood of
 * traffic events becomes a few posts a second to the traffic view's page. Bounded: when more than
 * `max` items wait, the oldest waiting are let go and counted, never silently lost.
 */
export class Batcher<T> {
  private queue: T[] = [];
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param deliver receives each batch, oldest first, and how many items were let go before it
   * @param intervalMs the least time between two batches (ms); the first item waits at most this long
   * @param max items that may wait at once
   */
  constructor(
    private readonly deliver: (items: T[], dropped: number) => void,
    private readonly intervalMs = 50,
    private readonly max = 20_000,
  ) {}

  /** Adds an item; a batch goes out within `intervalMs`. */
  push(item: T): void {
    this.queue.push(item);
    if (this.queue.length > this.max) {
      const cut = this.queue.length - this.max;
      this.queue.splice(0, cut);
      this.dropped += cut;
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hands over what waits now, if anything. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 && this.dropped === 0) return;
    const items = this.queue;
    const dropped = this.dropped;
    this.queue = [];
    this.dropped = 0;
    this.deliver(items, dropped);
  }

  /** Forgets what waits, without delivering it, and stops the timer. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.dropped = 0;
  }
}
