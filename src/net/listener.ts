/**
 * A stream listener (TCP or Unix domain): `bind` + `listen` + `accept` of the socket tutorial,
 * on Node's `net.Server`. It binds exactly where it is told; callers default to 127.0.0.1.
 */
import { unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { formatHostPort, type Endpoint } from './address';
import { fromNodeError, SocketLabError } from './errors';
import { StreamConnection } from './stream';
import type { TrafficBus } from './traffic';

/** Options of {@link StreamListener.listen}. */
export interface ListenOptions {
  /** Length of the accept queue, as `listen(2)`'s backlog; Node's default when absent. */
  readonly backlog?: number;
}

/**
 * A bound, listening TCP or Unix stream socket. Each accepted connection is handed to the
 * `onConnection` callback as a {@link StreamConnection}.
 */
export class StreamListener {
  /** The connections accepted and not yet closed. */
  readonly connections = new Set<StreamConnection>();
  /** Bytes received and sent by the connections that have closed. */
  bytesIn = 0;
  bytesOut = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly id: string,
    /** The bound endpoint; for TCP with port 0, the port the OS chose. */
    readonly endpoint: Endpoint,
    private readonly bus: TrafficBus,
  ) {}

  /**
   * Binds and listens (`socket.bind` + `socket.listen`).
   *
   * @param endpoint `tcp HOST:PORT` (port 0: any free port) or `unix PATH`
   * @param onConnection called for each accepted connection, in the tick it is accepted
   * @throws SocketLabError `EADDRINUSE` (for Unix, also when a stale socket file is in the way),
   *   `EACCES` (a privileged port), `EADDRNOTAVAIL` (an address not on this machine)
   */
  static listen(
    endpoint: Endpoint,
    options: ListenOptions,
    bus: TrafficBus,
    onConnection: (conn: StreamConnection) => void,
  ): Promise<StreamListener> {
    if (endpoint.transport === 'udp') throw new TypeError('StreamListener.listen: udp is not a stream');
    const id = bus.nextId('l');
    const what = endpoint.transport === 'unix' ? `listen unix ${endpoint.path}` : `listen tcp ${formatHostPort(endpoint.host, endpoint.port)}`;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    return new Promise((resolve, reject) => {
      let listener: StreamListener | undefined;
      server.on('error', (err) => {
        const e = fromNodeError(err, what);
        if (!listener) {
          reject(
            e.code === 'EADDRINUSE' && endpoint.transport === 'unix'
              ? new SocketLabError('EADDRINUSE', `${what}: the path is in use by another listener or a stale socket file; remove it if nothing listens there (EADDRINUSE)`, e.errno, { cause: err })
              : e,
          );
          return;
        }
        bus.emit({ type: 'error', id, code: e.code, message: e.message });
      });
      server.on('connection', (socket) => {
        if (!listener) {
          socket.destroy();
          return;
        }
        const path = endpoint.transport === 'unix' ? endpoint.path : undefined;
        const conn = StreamConnection.accept(socket, endpoint.transport, id, bus, path);
        const l = listener;
        l.connections.add(conn);
        socket.once('close', () => {
          l.connections.delete(conn);
          l.bytesIn += conn.bytesIn;
          l.bytesOut += conn.bytesOut;
        });
        onConnection(conn);
      });
      const onListening = (): void => {
        let bound: Endpoint = endpoint;
        const addr = server.address();
        if (endpoint.transport === 'tcp' && addr && typeof addr === 'object') {
          bound = { transport: 'tcp', host: addr.address, port: addr.port };
        }
        listener = new StreamListener(server, id, bound, bus);
        const local = bound.transport === 'unix' ? bound.path : bound.transport === 'tcp' ? formatHostPort(bound.host, bound.port) : '';
        bus.emit({ type: 'listening', id, transport: endpoint.transport, local });
        resolve(listener);
      };
      if (endpoint.transport === 'unix') server.listen({ path: endpoint.path, backlog: options.backlog }, onListening);
      else server.listen({ host: endpoint.host, port: endpoint.port, backlog: options.backlog, ipv6Only: false }, onListening);
    });
  }

  /**
   * Stops accepting, destroys every open connection, and for a Unix listener removes the socket
   * file it created. Resolves when the server is closed. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => {
        if (this.endpoint.transport === 'unix') {
          try {
            unlinkSync(this.endpoint.path);
          } catch {
            // Node usually unlinks the path itself on close; nothing left to remove.
          }
        }
        this.bus.emit({ type: 'close', id: this.id, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
        resolve();
      });
      for (const conn of this.connections) conn.destroy();
    });
    return this.closing;
  }
}
