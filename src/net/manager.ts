/**
 * The sockets a person opens by hand (from the command palette or the tree): listeners, clients
 * and the connections listeners accept, by id, with send and close. Pure Node; the extension's
 * commands call it, and its traffic goes to the same bus as everything else.
 */
import { DatagramSocket } from './datagram';
import type { Endpoint } from './address';
import { UDP_PEERS_LISTED, udpPeerId } from './registry';
import { createError } from './errors';
import { StreamListener } from './listener';
import { StreamConnection } from './stream';
import type { TlsClientOptions, TlsServerOptions } from './tlsInfo';
import type { TrafficBus } from './traffic';
import type { SocketHolder } from './owner';

/** Options of the manager, from the user's settings. */
export interface ManagerOptions {
  /** How long a connect or send may wait, ms. */
  readonly timeoutMs: number;
  /** Connections a listener accepts at once (`max-conns`). */
  readonly maxConnections: number;
  /**
   * Keep an accepted connection half-open when its peer half-closes. Default false: the
   * listener flushes what it was sending and closes its side too, as `nc` does, so a client
   * that has gone does not hold a `maxConnections` slot.
   */
  readonly keepHalfOpen?: boolean;
}

type Closable = { close(): Promise<void> };

/** Owns hand-opened sockets; {@link SocketManager.closeAll} ends them all. A {@link SocketHolder} of the extension's socket owner. */
export class SocketManager implements SocketHolder {
  private readonly streams = new Map<string, StreamConnection>();
  private readonly datagrams = new Map<string, DatagramSocket>();
  private readonly listeners = new Map<string, StreamListener>();
  /** The ids of the connections the listeners accepted (the rest of `streams` are clients). */
  private readonly accepted = new Set<string>();
  /**
   * The peers of each UDP listener: by peer id ({@link udpPeerId}), the address each datagram
   * came from, where a reply goes; the first {@link UDP_PEERS_LISTED}, as the registry lists them.
   */
  private readonly peers = new Map<string, Map<string, { readonly address: string; readonly port: number }>>();

  private readonly unsubscribe: () => void;

  constructor(
    readonly bus: TrafficBus,
    private readonly options: () => ManagerOptions,
  ) {
    // Connections the peer closed are forgotten; listeners stay until stopped.
    this.unsubscribe = bus.subscribe((e) => {
      if (e.type === 'close') {
        this.streams.delete(e.id);
        this.datagrams.delete(e.id);
        this.accepted.delete(e.id);
        this.peers.delete(e.id);
      } else if (e.type === 'half-close' && e.direction === 'in' && this.accepted.has(e.id) && !this.options().keepHalfOpen) {
        // After every subscriber has seen the peer's FIN: close() emits our own half-close.
        const conn = this.streams.get(e.id);
        if (conn) queueMicrotask(() => void conn.close());
      }
    });
  }

  /**
   * Starts a listener. Accepted connections stay open until closed; what they receive is
   * reported on the bus (the log, the tree) and not queued.
   *
   * @returns the listener's id, e.g. `l3`
   * @throws SocketLabError `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `ENOTFOUND`
   */
  async listen(endpoint: Endpoint, tls?: TlsServerOptions): Promise<string> {
    if (endpoint.transport === 'udp') {
      const socket = await DatagramSocket.bind(endpoint.host, endpoint.port, this.bus);
      const peers = new Map<string, { address: string; port: number }>();
      socket.onDatagram = (d) => {
        const id = udpPeerId(socket.id, d.from);
        if (!peers.has(id) && peers.size < UDP_PEERS_LISTED) peers.set(id, { address: d.address, port: d.port });
      };
      this.datagrams.set(socket.id, socket);
      this.peers.set(socket.id, peers);
      return socket.id;
    }
    const listener = await StreamListener.listen(endpoint, { maxConnections: this.options().maxConnections, ...(tls ? { tls } : {}) }, this.bus, (conn) => {
      conn.discardIncoming();
      this.streams.set(conn.id, conn);
      this.accepted.add(conn.id);
    });
    this.listeners.set(listener.id, listener);
    return listener.id;
  }

  /**
   * Connects a client. What it receives is reported on the bus and not queued.
   *
   * @returns the connection's id, e.g. `c4`
   * @throws SocketLabError `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, TLS verification errors
   */
  async connect(endpoint: Endpoint, tls?: TlsClientOptions): Promise<string> {
    if (endpoint.transport === 'udp') {
      const socket = await DatagramSocket.connect(endpoint.host, endpoint.port, this.bus);
      socket.onDatagram = () => undefined;
      this.datagrams.set(socket.id, socket);
      return socket.id;
    }
    const conn = await StreamConnection.connect(endpoint, { timeoutMs: this.options().timeoutMs, ...(tls ? { tls } : {}) }, this.bus);
    conn.discardIncoming();
    this.streams.set(conn.id, conn);
    return conn.id;
  }

  /** A UDP listener's peer by its id: the listener's socket and the peer's address. */
  private peer(id: string): { socket: DatagramSocket; to: { address: string; port: number } } | undefined {
    const colon = id.indexOf(':');
    if (colon < 0) return undefined;
    const socket = this.datagrams.get(id.slice(0, colon));
    const to = this.peers.get(id.slice(0, colon))?.get(id);
    return socket && to ? { socket, to } : undefined;
  }

  /** True when {@link send} can send on this id: an open connection, UDP client or UDP listener's peer this manager owns. */
  canSend(id: string): boolean {
    return this.streams.has(id) || this.datagrams.get(id)?.remote !== undefined || this.peer(id) !== undefined;
  }

  /**
   * Sends bytes on a connection (a client, an accepted connection, or a UDP client), or one
   * datagram to a peer of a UDP listener (`sendto` the address it sent from).
   * @throws SocketLabError `ECLOSED` when the id is not an open connection or known peer, or what the send raises
   */
  async send(id: string, data: Buffer): Promise<void> {
    const stream = this.streams.get(id);
    if (stream) return stream.send(data, { timeoutMs: this.options().timeoutMs });
    const datagram = this.datagrams.get(id);
    if (datagram?.remote) return datagram.send(data);
    const peer = this.peer(id);
    if (peer) return peer.socket.send(data, peer.to);
    throw createError('ECLOSED', datagram ? `${id} is a UDP listener: send to one of its peers (listed under it once it has received from them)` : `${id} is not an open connection`);
  }

  /**
   * Sends the same bytes to every open connection of a listener (ncat's broker), or one datagram to
   * each known peer of a UDP listener; resolves with how many.
   * @throws SocketLabError `ECLOSED` when the id is not a running listener of this manager
   */
  async sendToAll(listenerId: string, data: Buffer): Promise<number> {
    const datagram = this.datagrams.get(listenerId);
    const peers = datagram ? this.peers.get(listenerId) : undefined;
    if (datagram && peers) {
      const targets = [...peers.values()];
      await Promise.all(targets.map((to) => datagram.send(data, to)));
      return targets.length;
    }
    const listener = this.listeners.get(listenerId);
    if (!listener) throw createError('ECLOSED', `${listenerId} is not a running listener`);
    const targets = [...listener.connections].filter((c) => c.state === 'open' || c.state === 'half-closed');
    await Promise.all(targets.map((c) => c.send(data, { timeoutMs: this.options().timeoutMs })));
    return targets.length;
  }

  /** Closes a connection, or stops a listener and its connections. Unknown ids are ignored. */
  async close(id: string): Promise<void> {
    const target: Closable | undefined = this.streams.get(id) ?? this.datagrams.get(id) ?? this.listeners.get(id);
    this.streams.delete(id);
    this.datagrams.delete(id);
    this.listeners.delete(id);
    this.accepted.delete(id);
    this.peers.delete(id);
    await target?.close();
  }

  /** Closes the socket with this id when this manager holds it ({@link SocketHolder}); true when it did. */
  async closeSocket(id: string): Promise<boolean> {
    if (!this.has(id)) return false;
    await this.close(id);
    return true;
  }

  /** True when the id is a socket this manager still holds. */
  has(id: string): boolean {
    return this.streams.has(id) || this.datagrams.has(id) || this.listeners.has(id);
  }

  /** Closes every socket; listeners remove the Unix socket files they made. Safe to call twice. */
  async closeAll(): Promise<void> {
    const all: Closable[] = [...this.streams.values(), ...this.datagrams.values(), ...this.listeners.values()];
    this.streams.clear();
    this.datagrams.clear();
    this.listeners.clear();
    this.accepted.clear();
    this.peers.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }

  /** Closes everything and stops following the bus. */
  async dispose(): Promise<void> {
    this.unsubscribe();
    await this.closeAll();
  }
}
