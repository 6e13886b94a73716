/**
 * Collects items and hands them over in batches, at most one batch per interval, so a flood of
 * traffic events becomes a few posts a second to the traffic view's page. Bounded by count and by
 * weight (payload bytes): when more waits, the oldest waiting are let go and counted, never
 * silently lost.
 */
export class Batcher<T> {
  private queue: T[] = [];
  private head = 0;
  private weight = 0;
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param deliver receives each batch, oldest first, and how many items were let go before it
   * @param intervalMs the least time between two batches (ms); the first item waits at most this long
   * @param max items that may wait at once
   * @param maxWeight total weight that may wait at once (e.g. payload bytes)
   * @param weigh an item's weight; by default every item weighs 0
   */
  constructor(
    private readonly deliver: (items: T[], dropped: number) => void,
    private readonly intervalMs = 50,
    private readonly max = 20_000,
    private readonly maxWeight = Infinity,
    private readonly weigh: (item: T) => number = () => 0,
  ) {}

  /** Adds an item; a batch goes out within `intervalMs`. */
  push(item: T): void {
    this.queue.push(item);
    this.weight += this.weigh(item);
    // Let the oldest go (but always keep the newest item), by moving a head index: no copying.
    while (this.queue.length - this.head > 1 && (this.queue.length - this.head > this.max || this.weight > this.maxWeight)) {
      this.weight -= this.weigh(this.queue[this.head]);
      this.queue[this.head] = undefined as T;
      this.head++;
      this.dropped++;
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hands over what waits now, if anything. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === this.head && this.dropped === 0) return;
    const items = this.head === 0 ? this.queue : this.queue.slice(this.head);
    const dropped = this.dropped;
    this.clear();
    this.deliver(items, dropped);
  }

  /** Forgets what waits, without delivering it, and stops the timer. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
    this.weight = 0;
    this.dropped = 0;
  }
}
