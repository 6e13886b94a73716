/**
 * The `await` step: counts, from the run's traffic bus, the connections each listener accepted,
 * the datagrams each UDP listener received and the bytes each connection received, and wakes the
 * steps that wait for a count.
 */
import { createError } from '../../net/errors';
import type { TrafficEvent } from '../../net/traffic';
import { Notifier, type WaitOptions } from '../../net/wait';
import type { AwaitEvent } from '../ast';

/** What an `await NAME …` names: the bus id of a running listener or of a kept connection. */
export interface AwaitTarget {
  readonly id: string;
  /** `listener` for `listen … as NAME`, `connection` for `connect … as NAME keep`. */
  readonly kind: 'listener' | 'connection';
}

/** How each event is counted and told, for the step's result and its timeout message. */
const UNITS: Record<AwaitEvent, readonly [one: string, many: string]> = {
  accepted: ['connection accepted', 'connections accepted'],
  datagram: ['datagram received', 'datagrams received'],
  data: ['byte received', 'bytes received'],
};

/** `n` of an event, in words: `1 connection accepted`, `0 bytes received`. */
export function countOf(event: AwaitEvent, n: number): string {
  const [one, many] = UNITS[event];
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The counts of one run. {@link AwaitCounts.observe} sees every traffic event of the run's bus
 * (a cheap map update per event); {@link AwaitCounts.await} waits for a count without polling:
 * it re-checks its condition when a counted event arrives ({@link Notifier}).
 */
export class AwaitCounts {
  /** Connections accepted, by listener id. */
  private readonly accepted = new Map<string, number>();
  /** Datagrams (UDP listener) or bytes (connection) received, by socket id. */
  private readonly datagrams = new Map<string, number>();
  private readonly bytes = new Map<string, number>();
  /** Connections a listener accepted that are open now, whose data is not counted. */
  private readonly sessions = new Set<string>();
  private readonly notifier = new Notifier();

  /**
   * Counts `event`: an `open` with a listener is an accepted connection; `data` in is a datagram
   * and bytes. A listener's accepted connections are never awaited (only listeners and kept
   * connections are), so their bytes are not counted: a long run of many short sessions keeps
   * no entry per connection.
   */
  observe(event: TrafficEvent): void {
    if (event.type === 'close') {
      this.sessions.delete(event.id);
      return;
    }
    if (event.type === 'open') {
      if (event.listener === undefined) return;
      this.accepted.set(event.listener, (this.accepted.get(event.listener) ?? 0) + 1);
      this.sessions.add(event.id);
    } else if (event.type === 'data' && event.direction === 'in' && !this.sessions.has(event.id)) {
      this.datagrams.set(event.id, (this.datagrams.get(event.id) ?? 0) + 1);
      this.bytes.set(event.id, (this.bytes.get(event.id) ?? 0) + event.payload.length);
    } else {
      return;
    }
    this.notifier.notify();
  }

  /** How many of `event` the socket `id` has seen since it opened. */
  count(id: string, event: AwaitEvent): number {
    const counts = event === 'accepted' ? this.accepted : event === 'datagram' ? this.datagrams : this.bytes;
    return counts.get(id) ?? 0;
  }

  /**
   * Waits until the socket `id` has seen `n` of `event` in all (counted since it opened, so an
   * event before the wait counts).
   *
   * @param what the statement, for the timeout message, e.g. `await greeter accepted 2`
   * @returns the count reached (at least `n`)
   * @throws SocketLabError `ETIMEDOUT` after `opts.timeoutMs`, saying how many arrived so far;
   *   `ECANCELED` when the signal aborts
   */
  await(id: string, event: AwaitEvent, n: number, opts: WaitOptions, what: string): Promise<number> {
    return this.notifier.waitFor(
      () => {
        const c = this.count(id, event);
        return c >= n ? c : undefined;
      },
      opts,
      what,
      () => `${countOf(event, this.count(id, event))} so far, of ${n}`,
    );
  }

  /** Clears the wait timer; the run calls it when it stops. Safe to call twice. */
  release(): void {
    this.notifier.release();
  }
}

/** The error of an `await` whose name has no running listener or open kept connection now. */
export function notRunning(name: string, event: AwaitEvent): Error {
  const what = event === 'data' ? `no open connection named "${name}": its connect … as ${name} keep block has not run, or its connection closed` : `no listener named "${name}" is running: its listen … as ${name} block has not run, or was stopped`;
  return createError('ECLOSED', `await ${name} ${event}: ${what}`);
}
