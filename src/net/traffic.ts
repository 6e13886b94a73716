/**
 * Traffic events: everything that happens on Socket Lab's sockets, as typed records with a
 * timestamp and a connection id. The CLI transcript, the log, the tree and the traffic view all
 * consume the same events; the socket core never prints.
 */
import type { Transport } from './address';
import type { TlsSummary } from './tlsInfo';

/** Fields common to every event. */
interface EventBase {
  /** Wall-clock time of the event, ms since the epoch (`Date.now()`). */
  readonly ts: number;
  /** The connection, listener or datagram socket the event belongs to, e.g. `c3`, `l1`. */
  readonly id: string;
}

/** A listener is bound and accepting (TCP, Unix) or receiving (UDP). */
export interface ListeningEvent extends EventBase {
  readonly type: 'listening';
  readonly transport: Transport;
  /** The bound address, `127.0.0.1:40123` or a socket path. */
  readonly local: string;
  /** The name a `.sock` file gave it (`listen … as greeter`), which every view shows first. */
  readonly name?: string;
}

/** A connection is open: connected by a client, or accepted by a listener (`listener` set). */
export interface OpenEvent extends EventBase {
  readonly type: 'open';
  readonly transport: Transport;
  readonly local: string;
  readonly remote: string;
  /** The id of the listener that accepted it; absent for a client. */
  readonly listener?: string;
  /** For a relay's upstream connection (`forward`): the accepted connection whose bytes it carries, the other leg of one conversation. */
  readonly via?: string;
  /** For a client: the name a `.sock` file gave it (`connect … as session`), which every view shows first. */
  readonly name?: string;
}

/** Bytes crossed the socket: `in` received from the peer, `out` written to it. */
export interface DataEvent extends EventBase {
  readonly type: 'data';
  readonly direction: 'in' | 'out';
  /** The payload: one chunk as `'data'` delivered it, or one datagram. */
  readonly payload: Buffer;
  /**
   * The stream offset of the payload's first byte: how many bytes went this direction on this
   * socket before it (TCP's relative sequence number; for a datagram socket, the sum of the
   * datagrams before it). {@link MarkEvent}s point into these offsets.
   */
  readonly offset: number;
  /** For datagrams, the peer's address (`host:port`). */
  readonly peer?: string;
}

/** A half-close: `in` the peer sent FIN, `out` Socket Lab sent FIN (`shutdown(SHUT_WR)`). */
export interface HalfCloseEvent extends EventBase {
  readonly type: 'half-close';
  readonly direction: 'in' | 'out';
}

/** The connection, listener or datagram socket is closed. */
export interface CloseEvent extends EventBase {
  readonly type: 'close';
  /** Bytes received and sent over the socket's lifetime. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** An error on a socket; a `close` event follows for connections. */
export interface ErrorEvent extends EventBase {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
}

/** A listener turned a peer away: over its connection limit, or not allowed by its lists. */
export interface DropEvent extends EventBase {
  readonly type: 'drop';
  /** The peer, `host:port`. */
  readonly remote: string;
  readonly reason: 'max-conns' | 'denied';
}

/** A TLS handshake completed on a connection. */
export interface TlsEvent extends EventBase {
  readonly type: 'tls';
  readonly session: TlsSummary;
  /** True when verification was skipped on request (`insecure`). */
  readonly insecure: boolean;
}

/**
 * How a block read bytes that crossed a socket: a frame it cut (`recv frame`, spec §8.1), or a
 * field that a capture or expectation looked at (§8.4, §8.5). Views draw these over the payloads;
 * they are not traffic of their own (pcapng and the replay leave them out).
 */
export interface MarkEvent extends EventBase {
  readonly type: 'mark';
  readonly mark: 'frame' | 'field';
  readonly direction: 'in' | 'out';
  /** Where the marked bytes begin: a stream offset of this socket and direction, as {@link DataEvent.offset}. */
  readonly offset: number;
  /** How many bytes are marked. */
  readonly length: number;
  /** What read them: the step (`recv frame u16`, `expect hex 20 02 at 0`) or the capture (`id = 4660`). */
  readonly label: string;
}

/** Any traffic event, discriminated by `type`. */
export type TrafficEvent = ListeningEvent | OpenEvent | DataEvent | HalfCloseEvent | CloseEvent | ErrorEvent | DropEvent | TlsEvent | MarkEvent;

/** Distributive omit, so each member of the union keeps its own fields. */
export type WithoutStamp<E> = E extends unknown ? Omit<E, 'ts'> : never;

/**
 * Where sockets report their traffic. One bus per run (CLI) or per extension host; it numbers
 * the sockets it sees, so ids are unique within it.
 */
export class TrafficBus {
  private readonly listeners = new Set<(e: TrafficEvent) => void>();
  private counter = 0;

  /** A fresh id with the given prefix: `c` connection, `l` listener, `u` datagram socket. */
  nextId(prefix: 'c' | 'l' | 'u'): string {
    return `${prefix}${++this.counter}`;
  }

  /**
   * Stamps the event with the time and delivers it to every subscriber, in order. The event
   * object is stamped in place (it is the caller's fresh literal): copying it with a spread would
   * give every event a new hidden class and slow every consumer on the data path.
   */
  emit(event: WithoutStamp<TrafficEvent>): void {
    const stamped = event as TrafficEvent & { ts: number };
    stamped.ts = Date.now();
    for (const l of this.listeners) l(stamped);
  }

  /**
   * Reports bytes that crossed a stream socket: the same event as
   * `emit({ type: 'data', id, direction, payload, offset })`, built with its stamp in one literal: it is
   * the event of every chunk, and stamping afterwards gives each one a separate property array
   * (a second allocation, and a third more memory while a subscriber keeps it).
   *
   * @param offset the stream offset of the payload's first byte ({@link DataEvent.offset})
   * @param ts the stamp, when the caller has the time of this same tick already (an echo's
   *   reply to the chunk just received); default `Date.now()`
   * @returns the stamp
   */
  emitData(id: string, direction: 'in' | 'out', payload: Buffer, offset: number, ts = Date.now()): number {
    const event: DataEvent = { type: 'data', id, direction, payload, offset, ts };
    for (const l of this.listeners) l(event);
    return ts;
  }

  /**
   * A bus that takes its ids from this one but delivers nothing: the sockets of a load's sessions
   * past its sample, whose traffic no capture, view or transcript receives.
   */
  quiet(): TrafficBus {
    const q = new TrafficBus();
    q.nextId = (prefix) => this.nextId(prefix);
    return q;
  }

  /** Subscribes; the returned function unsubscribes. */
  subscribe(listener: (e: TrafficEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
