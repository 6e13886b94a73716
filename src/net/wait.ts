/**
 * Waiting with a deadline and cancellation, shared by the stream and datagram sockets.
 */
import { createError } from './errors';

/** How long an operation may wait, and how to cancel it. */
export interface WaitOptions {
  /** Give up after this many ms with `ETIMEDOUT`. */
  readonly timeoutMs: number;
  /** Abort to give up at once with `ECANCELED`. */
  readonly signal?: AbortSignal;
}

/**
 * A level-triggered change notifier: a socket calls {@link Notifier.notify} whenever its state
 * changes (data, end, close, error), and a waiting operation re-checks its condition.
 */
export class Notifier {
  // Usually zero or one waiter: an array, and nothing allocated when nobody waits (every chunk
  // received notifies).
  private wakers: (() => void)[] = [];

  /** Wakes every waiter. */
  notify(): void {
    if (this.wakers.length === 0) return;
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  /**
   * Re-evaluates `ready` after every change until it returns a value other than `undefined`.
   *
   * @param ready checks the condition; may throw to end the wait with an error
   * @param deadline absolute time (ms since the epoch) after which the wait fails
   * @param what the operation, for the timeout message, e.g. `recv until "\r\n"`
   * @throws SocketLabError `ETIMEDOUT` after the deadline, `ECANCELED` when the signal aborts,
   *   or whatever `ready` throws
   */
  async waitFor<T>(ready: () => T | undefined, opts: WaitOptions, what: string): Promise<T> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      await this.nextChange(deadline, opts, what);
    }
  }

  private nextChange(deadline: number, opts: WaitOptions, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { signal } = opts;
      if (signal?.aborted) {
        reject(createError('ECANCELED', `${what}: cancelled`));
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.wakers.indexOf(wake);
        if (i >= 0) this.wakers.splice(i, 1);
      };
      const wake = (): void => {
        done();
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(createError('ECANCELED', `${what}: cancelled`));
      };
      const timer = setTimeout(() => {
        done();
        reject(createError('ETIMEDOUT', `${what}: timed out after ${opts.timeoutMs} ms`));
      }, Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wakers.push(wake);
    });
  }
}
