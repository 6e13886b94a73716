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
 * The promise a send returns when the socket took its bytes at once (`socket.write` returned
 * true): already resolved, and the same object every time, so a caller on the data path can
 * compare with it and go on without waiting a microtask (`StreamConnection.send`).
 */
export const SENT: Promise<void> = Promise.resolve();

/** The longest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a Node timer delay: whole milliseconds from 1 to {@link MAX_TIMER_MS}. */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(ms)));
}

/** One pending {@link Notifier.waitFor}: a plain record, so a wait allocates little. */
interface Waiter {
  readonly ready: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  /** When the wait fails, `performance.now()` ms. */
  readonly deadline: number;
  readonly opts: WaitOptions;
  readonly what: string;
  /** What arrived so far, for the timeout message, e.g. `7 bytes arrived: "+PONG\r\n"`. */
  readonly progress: (() => string) | undefined;
  /** Cancels the wait's own abort callback: only for a signal other than the one its notifier's other waits are on. */
  offAbort: (() => void) | undefined;
}

/** The callbacks waiting on each signal; the signal itself has one `'abort'` listener. */
const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts. However many operations wait on one signal at once
 * (a run's signal is shared by every step of every session), the signal gets one `'abort'`
 * listener: a listener per wait would pass Node's limit of 10 per event target and print
 * `MaxListenersExceededWarning`, and would grow with the number of waits.
 *
 * @returns a function that removes the callback (safe to call twice, and after the abort)
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    callbacks = set;
    abortCallbacks.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        abortCallbacks.delete(signal);
        for (const cb of [...set]) cb();
        set.clear();
      },
      { once: true },
    );
  }
  const set = callbacks;
  set.add(callback);
  return () => void set.delete(callback);
}

/** The notifiers with waits on each signal; the signal has one abort callback ({@link onAbort}) for all of them. */
const waitingOn = new WeakMap<AbortSignal, Set<Notifier>>();

/** Lists `notifier` as waiting on `signal` until {@link unwatch}: when it aborts, the notifier's waits on it end. */
function watch(signal: AbortSignal, notifier: Notifier): void {
  let notifiers = waitingOn.get(signal);
  if (!notifiers) {
    const set = new Set<Notifier>();
    notifiers = set;
    waitingOn.set(signal, set);
    onAbort(signal, () => {
      waitingOn.delete(signal);
      for (const n of [...set]) n.cancel(signal);
    });
  }
  notifiers.add(notifier);
}

function unwatch(signal: AbortSignal, notifier: Notifier): void {
  waitingOn.get(signal)?.delete(notifier);
}

/**
 * Waits `ms` milliseconds (clamped by {@link timerDelay}), like `timers/promises`' `setTimeout`,
 * but registers with `signal` through {@link onAbort}.
 *
 * @param what the operation, for the cancellation message, e.g. `wait`
 * @throws SocketLabError `ECANCELED` when the signal aborts first
 */
export function sleep(ms: number, signal: AbortSignal | undefined, what = 'wait'): Promise<void> {
  if (signal?.aborted) return Promise.reject(createError('ECANCELED', `${what}: cancelled`));
  return new Promise<void>((resolve, reject) => {
    let off: (() => void) | undefined;
    const timer = setTimeout(() => {
      off?.();
      resolve();
    }, timerDelay(ms));
    if (signal) {
      off = onAbort(signal, () => {
        clearTimeout(timer);
        reject(createError('ECANCELED', `${what}: cancelled`));
      });
    }
  });
}

/**
 * A level-triggered change notifier: a socket calls {@link Notifier.notify} whenever its state
 * changes (data, end, close, error), and each waiting operation re-checks its condition there
 * and then.
 *
 * Waits are on the data path (a 1-byte ping-pong waits once per round), so a wait costs one
 * promise and no timer of its own: one Node timer per notifier is armed at the earliest
 * deadline and stays armed (unref'd) between waits; when it fires, it fails the waits that are
 * past their deadline and re-arms for the rest. The owner calls {@link Notifier.release} when
 * its socket closes.
 */
export class Notifier {
  // Usually zero or one waiter; nothing is allocated when nobody waits (every chunk notifies).
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (`performance.now()` ms); Infinity when none is armed. */
  private timerDue = Infinity;
  /**
   * The signal the waits usually share (a run's): the notifier is listed with it ({@link watch})
   * from its first wait until {@link release}, rather than each wait registering a callback of
   * its own (two closures and a set's growth on every receive). Listed once, not per wait: a
   * thousand sessions waiting in turn on one signal would otherwise churn its set, whose table
   * V8 copies as holes fill it (about 200 bytes a round). A wait on another signal while none is
   * pending lists the notifier with that one instead.
   */
  private signal: AbortSignal | undefined;

  /** @param owner told when the last pending wait ends (the stream's receive demand ends with it) */
  constructor(private readonly owner?: { waitsEnded(): void }) {}

  /** Re-checks every waiter's condition, in the order they began waiting. */
  notify(): void {
    const n = this.waiters.length;
    if (n === 0) return;
    if (n === 1) this.check(this.waiters[0]);
    else for (const w of this.waiters.slice()) if (this.waiters.includes(w)) this.check(w);
  }

  /**
   * Evaluates `ready` now and again after every change until it returns a value other than
   * `undefined`.
   *
   * @param ready checks the condition; may throw to end the wait with an error
   * @param opts `timeoutMs` after which the wait fails, and a signal that cancels it
   * @param what the operation, for the timeout message, e.g. `recv until "\r\n"`
   * @param progress what has arrived so far, appended to the timeout message after `; `
   * @throws SocketLabError `ETIMEDOUT` after `opts.timeoutMs`, `ECANCELED` when the signal
   *   aborts, or whatever `ready` throws
   */
  waitFor<T>(ready: () => T | undefined, opts: WaitOptions, what: string, progress?: () => string): Promise<T> {
    const start = performance.now();
    let first: T | undefined;
    try {
      first = ready();
    } catch (err) {
      return Promise.reject(err);
    }
    if (first !== undefined) return Promise.resolve(first);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(createError('ECANCELED', `${what}: cancelled`));
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        ready,
        resolve: resolve as (value: unknown) => void,
        reject,
        // A timeout that is not a positive number fails at the next timer tick, as setTimeout would.
        deadline: start + (opts.timeoutMs > 0 ? opts.timeoutMs : 0),
        opts,
        what,
        progress,
        offAbort: undefined,
      };
      if (signal && signal !== this.signal) {
        if (this.waiters.length === 0) {
          if (this.signal !== undefined) unwatch(this.signal, this);
          this.signal = signal;
          watch(signal, this);
        } else w.offAbort = onAbort(signal, () => this.fail(w, createError('ECANCELED', `${what}: cancelled`)));
      }
      this.waiters.push(w);
      this.arm(w.deadline);
    });
  }

  /** True while a wait is pending. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Clears the timer when nobody waits, and unlists the notifier from its signal; the owner calls
   * it when its socket closes. Safe to call twice.
   */
  release(): void {
    if (this.waiters.length > 0) return;
    if (this.signal !== undefined) unwatch(this.signal, this);
    this.signal = undefined;
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private check(w: Waiter): void {
    let value: unknown;
    try {
      value = w.ready();
    } catch (err) {
      this.fail(w, err);
      return;
    }
    if (value === undefined || !this.remove(w)) return;
    w.resolve(value);
  }

  /** Ends each wait on `signal` with `ECANCELED`: the signal aborted. */
  cancel(signal: AbortSignal): void {
    for (const w of this.waiters.slice()) if (w.opts.signal === signal) this.fail(w, createError('ECANCELED', `${w.what}: cancelled`));
  }

  private fail(w: Waiter, err: unknown): void {
    if (this.remove(w)) w.reject(err);
  }

  /** Unregisters a wait; false when it had already ended. */
  private remove(w: Waiter): boolean {
    const i = this.waiters.indexOf(w);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    w.offAbort?.();
    if (this.waiters.length === 0) {
      // The timer stays armed for the next wait, but does not keep the process alive by itself.
      this.timer?.unref();
      this.owner?.waitsEnded();
    }
    return true;
  }

  /** Makes sure the timer fires by `deadline` and keeps the process alive while waits are pending. */
  private arm(deadline: number): void {
    if (deadline >= this.timerDue) {
      this.timer?.ref();
      return;
    }
    if (deadline === Infinity) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = timerDelay(deadline - performance.now());
    this.timerDue = performance.now() + delay;
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = performance.now();
    // Node's timer clock can run a little behind performance.now(): a wait not yet due re-arms.
    for (const w of this.waiters.slice()) {
      if (w.deadline <= now) this.fail(w, createError('ETIMEDOUT', `${w.what}: timed out after ${w.opts.timeoutMs} ms${w.progress ? `; ${w.progress()}` : ''}`));
    }
    let next = Infinity;
    for (const w of this.waiters) next = Math.min(next, w.deadline);
    this.arm(next);
  }
}
