/**
 * A UDP socket with the calls of the socket tutorial: `bind`, `sendto`, `recvfrom`, and a
 * connected client (`connect` then `send`/`recv`). Built on Node's `dgram`. Each datagram keeps
 * its boundary: one `recv` returns one datagram.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatHostPort } from './address';
import { createError, fromNodeError, SocketLabError } from './errors';
import { DEFAULT_MAX_CONNECTIONS } from './listener';
import type { AddressFilter } from './policy';
import type { TrafficBus } from './traffic';
import { Notifier, type WaitOptions } from './wait';

/** Datagrams the receive queue holds before it drops the oldest (counted in `dropped`). */
export const DATAGRAM_QUEUE_LIMIT = 1024;

/** One received datagram and where it came from. */
export interface Datagram {
  readonly payload: Buffer;
  readonly address: string;
  readonly port: number;
  /** The sender as `host:port` (`[::1]:5000` for IPv6). */
  readonly from: string;
  /** The stream offset of its first byte: the bytes of the datagrams this socket received before it (`DataEvent.offset`). */
  readonly offset: number;
}

async function resolveHost(host: string, what: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw fromNodeError(err, what);
  }
}

function bindSocket(socket: Socket, host: string, port: number, exclusive = true): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** The limited broadcast address, and Python's name for it (`'<broadcast>'`). */
export const BROADCAST_ADDRESS = '255.255.255.255';

/** Options of a UDP socket beyond its address. */
export interface DatagramOptions {
  /** Allow sending to broadcast addresses (`SO_BROADCAST`, Node's `setBroadcast`). */
  readonly broadcast?: boolean;
  /**
   * Sessions that run at once, for a listener with {@link DatagramSocket.onSession} (ncat's `--max-conns`, applied to UDP peers): a datagram that arrives while that
   * many run is dropped and reported as a `drop` event with the reason `max-conns`, as a stream
   * listener turns away a connection over its limit. Default {@link DEFAULT_MAX_CONNECTIONS}.
   */
  readonly maxSessions?: number;
  /** For a UDP relay's upstream socket: the listener's peer it carries (`OpenEvent.via`). */
  readonly via?: string;
  /** The name a `.sock` file gave the socket (`ListeningEvent.name`, `OpenEvent.name`). */
  readonly name?: string;
  /** Multicast groups to join (`IP_ADD_MEMBERSHIP`, Node's `addMembership`), with an optional interface address. */
  readonly groups?: readonly { readonly group: string; readonly iface?: string }[];
}

/** True for an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. */
export function isMulticast(address: string): boolean {
  if (isIP(address) === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return isIP(address) === 6 && /^ff/i.test(address);
}

/** Node reports a send or connect to a broadcast address without SO_BROADCAST as EACCES. */
function broadcastHint(err: unknown, what: string): SocketLabError {
  const e = fromNodeError(err, what);
  if (e.code !== 'EACCES') return e;
  return new SocketLabError('EACCES', `${what}: sending to a broadcast address needs the broadcast line (SO_BROADCAST) (EACCES)`, e.errno, { cause: err });
}

/**
 * A bound UDP socket: a listener (`bind`), or a client connected to one peer. Datagrams go to
 * {@link DatagramSocket.onDatagram} when set, else to a bounded queue that `recv` reads.
 */
export class DatagramSocket {
  /** When set, each datagram is handed here instead of being queued. */
  onDatagram: ((d: Datagram) => void) | undefined;
  /** When set, called once the socket has closed (a UDP relay closes its upstream sockets with its listener). */
  onClose: (() => void) | undefined;
  /**
   * When set, each datagram starts a session here instead (a listener's steps, run for it); the
   * session counts against the `maxSessions` option until its promise settles.
   */
  onSession: ((d: Datagram) => Promise<void>) | undefined;
  /** Datagrams dropped: the queue was full, the sender was not permitted, or too many sessions ran. */
  dropped = 0;
  /** Sessions of {@link DatagramSocket.onSession} running now. */
  private sessions = 0;
  private maxSessions = DEFAULT_MAX_CONNECTIONS;
  private readonly queue: Datagram[] = [];
  private readonly changed = new Notifier();
  private failure: SocketLabError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private bytesInTotal = 0;
  private bytesOutTotal = 0;

  private constructor(
    private readonly socket: Socket,
    readonly id: string,
    /** The bound address, `host:port`. */
    readonly local: string,
    /** The connected peer, `host:port`, for a client. */
    readonly remote: string | undefined,
    private readonly bus: TrafficBus,
    private readonly filter?: AddressFilter,
  ) {
    socket.on('message', (payload, rinfo) => {
      const from = formatHostPort(rinfo.address, rinfo.port);
      if (this.filter && !this.filter.permits(rinfo.address)) {
        this.dropped++;
        bus.emit({ type: 'drop', id, remote: from, reason: 'denied' });
        return;
      }
      if (this.onSession && this.sessions >= this.maxSessions) {
        this.dropped++;
        bus.emit({ type: 'drop', id, remote: from, reason: 'max-conns' });
        return;
      }
      const offset = this.bytesInTotal;
      this.bytesInTotal += payload.length;
      const d: Datagram = { payload, address: rinfo.address, port: rinfo.port, from, offset };
      bus.emit({ type: 'data', id, direction: 'in', payload, offset, peer: from });
      if (this.onSession) {
        this.sessions++;
        const ended = (): void => void this.sessions--;
        this.onSession(d).then(ended, ended);
        return;
      }
      if (this.onDatagram) {
        this.onDatagram(d);
        return;
      }
      this.queue.push(d);
      if (this.queue.length > DATAGRAM_QUEUE_LIMIT) {
        this.queue.shift();
        this.dropped++;
      }
      this.changed.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.onClose?.();
      bus.emit({ type: 'close', id, bytesIn: this.bytesInTotal, bytesOut: this.bytesOutTotal });
      this.changed.notify();
      this.changed.release();
    });
  }

  private attachErrorHandler(what: string): void {
    this.socket.on('error', (err) => {
      const e = fromNodeError(err, what);
      this.failure ??= e;
      this.bus.emit({ type: 'error', id: this.id, code: e.code, message: e.message });
      this.changed.notify();
    });
  }

  /**
   * Binds a UDP socket to receive datagrams, as `socket.bind((host, port))` on a `SOCK_DGRAM`.
   *
   * @param host an IPv4 or IPv6 address or a host name (its first address is used)
   * @param port 0 for any free port
   * @param filter datagrams from senders it does not permit are dropped (a `drop` event)
   * @param options broadcast, multicast groups, and the cap on sessions running at once
   * @throws SocketLabError `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `ENOTFOUND`
   */
  static async bind(host: string, port: number, bus: TrafficBus, filter?: AddressFilter, options: DatagramOptions = {}): Promise<DatagramSocket> {
    const what = `listen udp ${formatHostPort(host, port)}`;
    const address = await resolveHost(host, what);
    const groups = options.groups ?? [];
    // Several receivers of one multicast group share the port, as with SO_REUSEADDR in C.
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: groups.length > 0 });
    try {
      await bindSocket(socket, address, port, groups.length === 0);
      if (options.broadcast) socket.setBroadcast(true);
      for (const g of groups) {
        try {
          socket.addMembership(g.group, g.iface);
        } catch (err) {
          throw fromNodeError(err, `join ${g.group}${g.iface ? ` on ${g.iface}` : ''}`);
        }
      }
    } catch (err) {
      socket.close();
      throw fromNodeError(err, what);
    }
    const bound = socket.address();
    const local = formatHostPort(bound.address, bound.port);
    const ds = new DatagramSocket(socket, bus.nextId('u'), local, undefined, bus, filter);
    if (options.maxSessions !== undefined) ds.maxSessions = options.maxSessions;
    ds.attachErrorHandler(`udp ${local}`);
    bus.emit({ type: 'listening', id: ds.id, transport: 'udp', local, ...(options.name ? { name: options.name } : {}) });
    return ds;
  }

  /**
   * Opens a UDP client connected to one peer (`connect` on a `SOCK_DGRAM`): it sends there by
   * default and receives only from there.
   *
   * @throws SocketLabError `ENOTFOUND`, `ECANCELED`
   */
  static async connect(host: string, port: number, bus: TrafficBus, options: DatagramOptions = {}): Promise<DatagramSocket> {
    const target = host === '<broadcast>' ? BROADCAST_ADDRESS : host;
    const what = `connect udp ${formatHostPort(target, port)}`;
    const address = await resolveHost(target, what);
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    try {
      if (options.broadcast) {
        // SO_BROADCAST must be set before connect(2) to a broadcast address, and needs a bound socket.
        await bindSocket(socket, isIP(address) === 6 ? '::' : '0.0.0.0', 0);
        socket.setBroadcast(true);
      }
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // Node hands a failed connect(2) (e.g. EACCES for a broadcast address) to this callback.
        socket.connect(port, address, (err?: Error) => {
          socket.off('error', reject);
          if (err) reject(err);
          else resolve();
        });
      });
    } catch (err) {
      socket.close();
      throw broadcastHint(err, what);
    }
    const bound = socket.address();
    const remote = formatHostPort(address, port);
    const ds = new DatagramSocket(socket, bus.nextId('u'), formatHostPort(bound.address, bound.port), remote, bus);
    ds.attachErrorHandler(`udp ${remote}`);
    bus.emit({ type: 'open', id: ds.id, transport: 'udp', local: ds.local, remote, ...(options.via ? { via: options.via } : {}), ...(options.name ? { name: options.name } : {}) });
    return ds;
  }

  /** Bytes received so far. */
  get bytesIn(): number {
    return this.bytesInTotal;
  }

  /** Bytes sent so far. */
  get bytesOut(): number {
    return this.bytesOutTotal;
  }

  /**
   * Sends one datagram: to the connected peer, or to `to` (`sendto`).
   *
   * @throws SocketLabError `EMSGSIZE` for a payload over the datagram limit, `ECONNREFUSED`
   *   (an earlier datagram was refused by the peer's host), `ECLOSED`
   */
  send(payload: Buffer, to?: { address: string; port: number }): Promise<void> {
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined; // an ICMP error is reported once, as send(2) does
      return Promise.reject(f);
    }
    if (this.closed) return Promise.reject(createError('ECLOSED', `send on ${this.id}: the socket is closed`));
    const peer = to ? formatHostPort(to.address, to.port) : this.remote;
    return new Promise((resolve, reject) => {
      const done = (err: Error | null): void => {
        if (err) {
          reject(broadcastHint(err, `send udp ${peer ?? ''}`));
          return;
        }
        const offset = this.bytesOutTotal;
        this.bytesOutTotal += payload.length;
        this.bus.emit({ type: 'data', id: this.id, direction: 'out', payload, offset, ...(peer ? { peer } : {}) });
        resolve();
      };
      if (to) this.socket.send(payload, to.port, to.address, done);
      else this.socket.send(payload, done);
    });
  }

  /**
   * Receives the next datagram, as `recvfrom`. With `max`, a longer datagram is cut to `max`
   * bytes and the rest discarded, as `recv(N)` does on a datagram socket.
   *
   * @throws SocketLabError `ETIMEDOUT`, `ECONNREFUSED` (ICMP port unreachable on a connected
   *   socket), `ECLOSED`, `ECANCELED`
   */
  recv(max: number | undefined, opts: WaitOptions): Promise<Datagram> {
    return this.changed.waitFor(() => {
      const d = this.queue.shift();
      if (d) return max !== undefined && d.payload.length > max ? { ...d, payload: d.payload.subarray(0, max) } : d;
      if (this.failure) {
        const f = this.failure;
        this.failure = undefined; // an ICMP error is reported once, as recv(2) does
        throw f;
      }
      if (this.closed) throw createError('ECLOSED', `recv on ${this.id}: the socket is closed`);
      return undefined;
    }, opts, max === undefined ? 'recv' : `recv ${max}`);
  }

  /** Closes the socket. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      this.socket.close(() => resolve());
    });
    return this.closing;
  }
}
