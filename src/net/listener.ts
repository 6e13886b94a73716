/**
 * A stream listener (TCP or Unix domain): `bind` + `listen` + `accept` of the socket tutorial,
 * on Node's `net.Server`. It binds exactly where it is told; callers default to 127.0.0.1.
 */
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { checkUnixPath, formatHostPort, formatUnixPath, type Endpoint } from './address';
import { createError, fromNodeError, SocketLabError } from './errors';
import { StreamConnection } from './stream';
import type { AddressFilter } from './policy';
import type { TlsServerOptions } from './tlsInfo';
import type { TrafficBus } from './traffic';
import { UnixSocketFile } from './unixSocketFile';

/** The default limit of simultaneous connections per listener, as `ncat`'s `--max-conns`. */
export const DEFAULT_MAX_CONNECTIONS = 100;

/**
 * How long a TLS listener waits for a peer's handshake by default (5 s, the time a Socket Lab
 * client gives its connect and handshake), instead of Node's 120 s: a socket that connects and
 * says nothing holds a `max-conns` slot until then.
 */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 5000;

/** Options of {@link StreamListener.listen}. */
export interface ListenOptions {
  /** Length of the accept queue, as `listen(2)`'s backlog; Node's default when absent. */
  readonly backlog?: number;
  /**
   * Connections open at once; a peer over the limit is closed at accept and reported as a
   * `drop` event (Node's `server.maxConnections`). Default {@link DEFAULT_MAX_CONNECTIONS}.
   */
  readonly maxConnections?: number;
  /** Peers not permitted are reset at accept and reported as a `drop` event. */
  readonly filter?: AddressFilter;
  /**
   * Destroy a connection that sends and receives nothing for this many ms. On a TLS listener it
   * bounds the handshake too, when shorter than `handshakeTimeoutMs`.
   */
  readonly idleTimeoutMs?: number;
  /**
   * For a `tls` endpoint: close a peer that has not completed its handshake after this many ms
   * (Node's `handshakeTimeout`), reported as an `ETIMEDOUT` error event. Default
   * {@link DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS}, or `idleTimeoutMs` when that is shorter.
   */
  readonly handshakeTimeoutMs?: number;
  /** For Unix: remove a stale socket file (one nothing listens on) in the way. Default false. */
  readonly removeStale?: boolean;
  /** For a `tls` endpoint: the certificate, key and ALPN protocols. */
  readonly tls?: TlsServerOptions;
  /** The name a `.sock` file gave the listener (`ListeningEvent.name`). */
  readonly name?: string;
}

/** What is at a Unix socket path: a socket file, something else, or nothing. */
function pathKind(path: string): 'socket' | 'other' | 'missing' {
  try {
    return lstatSync(path).isSocket() ? 'socket' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Whether a listener accepts connections on a Unix socket path. Linux lists listening sockets in
 * `/proc/net/unix` (flag `00010000`, `__SO_ACCEPTCON`) under the path as each program passed it to
 * bind(2), possibly relative: an entry with the same file name counts as live, to be safe. When
 * none matches, a connect probe decides (on a live listener it shows up as one connection).
 */
async function unixPathIsLive(path: string): Promise<boolean> {
  try {
    const table = readFileSync('/proc/net/unix', 'utf8');
    const listed = table.split('\n').some((line) => {
      const f = line.trim().split(/\s+/);
      if (f.length < 8 || (parseInt(f[3], 16) & 0x10000) === 0) return false;
      const p = f.slice(7).join(' ');
      return p === path || (!p.startsWith('/') && basename(p) === basename(path));
    });
    if (listed) return true;
  } catch {
    // No /proc (not Linux): the probe below decides.
  }
  return new Promise((resolve) => {
    const probe = netConnect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function bind(server: Server, endpoint: Endpoint, backlog: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (endpoint.transport === 'unix') server.listen({ path: endpoint.path, backlog }, done);
    else if (endpoint.transport !== 'udp') server.listen({ host: endpoint.host, port: endpoint.port, backlog, ipv6Only: false }, done);
  });
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
  /** Peers turned away: over the connection limit, or not permitted. */
  dropped = 0;
  /** Every accepted socket not yet closed, including TLS sockets still in their handshake. */
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly id: string,
    /** The bound endpoint; for TCP with port 0, the port the OS chose. */
    readonly endpoint: Endpoint,
    private readonly bus: TrafficBus,
    /** For a Unix listener: its socket file, removed on close only while it is still its own. */
    private readonly unixFile: UnixSocketFile | undefined,
  ) {}

  /**
   * Binds and listens (`socket.bind` + `socket.listen`).
   *
   * @param endpoint `tcp HOST:PORT` (port 0: any free port) or `unix PATH`
   * @param onConnection called for each accepted connection, in the tick it is accepted
   * @throws SocketLabError `EADDRINUSE` (for Unix, the message tells a live listener from a
   *   stale socket file), `EACCES` (a privileged port), `EADDRNOTAVAIL` (an address not on this
   *   machine), `EBADADDR` (a Unix path longer than `sun_path` holds)
   */
  static async listen(endpoint: Endpoint, options: ListenOptions, bus: TrafficBus, onConnection: (conn: StreamConnection) => void): Promise<StreamListener> {
    if (endpoint.transport === 'udp') throw new TypeError('StreamListener.listen: udp is not a stream');
    const what = endpoint.transport === 'unix' ? `listen unix ${formatUnixPath(endpoint.path)}` : `listen ${endpoint.transport} ${formatHostPort(endpoint.host, endpoint.port)}`;
    if (endpoint.transport === 'unix') checkUnixPath(endpoint.path, what);
    const id = bus.nextId('l');
    const secure = endpoint.transport === 'tls';
    if (secure && !options.tls) throw new TypeError('StreamListener.listen: a tls endpoint needs options.tls');
    const handshakeTimeout = Math.min(options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, options.idleTimeoutMs || Infinity);
    const server: Server = secure
      ? createTlsServer({
          allowHalfOpen: true,
          handshakeTimeout,
          cert: options.tls?.cert,
          key: options.tls?.key,
          ...(options.tls?.alpn ? { ALPNProtocols: [...options.tls.alpn] } : {}),
          ...(options.tls?.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: options.tls.clientCa } : {}),
        })
      : createServer({ allowHalfOpen: true, pauseOnConnect: false });
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    // Set once bound; the handlers below ignore what happens before.
    const bound: { listener?: StreamListener } = {};
    server.on('error', (err) => {
      // Errors while binding reject listen() below; later ones are reported.
      if (!bound.listener) return;
      const e = fromNodeError(err, what);
      bus.emit({ type: 'error', id, code: e.code, message: e.message });
    });
    server.on('drop', (data) => {
      if (!bound.listener) return;
      bound.listener.dropped++;
      bus.emit({ type: 'drop', id, remote: data?.remoteAddress ? formatHostPort(data.remoteAddress, data.remotePort ?? 0) : '(unix peer)', reason: 'max-conns' });
    });
    // For TLS, 'connection' is the raw TCP socket before the handshake: filter there, accept
    // on 'secureConnection'.
    server.on('connection', (socket: Socket) => {
      const l = bound.listener;
      // Every raw socket is tracked, so close() can end those still in a TLS handshake too.
      if (l) {
        l.sockets.add(socket);
        socket.once('close', () => l.sockets.delete(socket));
      }
      if (!l || (options.filter && !options.filter.permits(socket.remoteAddress))) {
        socket.on('error', () => undefined);
        socket.resetAndDestroy();
        if (l) {
          l.dropped++;
          bus.emit({ type: 'drop', id, remote: formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0), reason: 'denied' });
        }
        return;
      }
      if (!secure) accept(l, socket);
    });
    if (secure) {
      server.on('secureConnection', (socket: TLSSocket) => {
        if (bound.listener) accept(bound.listener, socket);
        else socket.destroy();
      });
      server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        const what = `tls handshake with ${formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0)}`;
        const timedOut = (err as { code?: unknown }).code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
        const e = timedOut ? createError('ETIMEDOUT', `${what}: not completed within ${handshakeTimeout} ms; closed`, err) : fromNodeError(err, what);
        bus.emit({ type: 'error', id, code: e.code, message: e.message });
        // Node leaves the socket to this handler (after a handshake timeout it stays open): close it,
        // so its max-conns slot is free again.
        socket.destroy();
      });
    }
    const accept = (l: StreamListener, socket: Socket): void => {
      const path = endpoint.transport === 'unix' ? endpoint.path : undefined;
      const conn = StreamConnection.accept(socket, endpoint.transport, id, bus, path);
      if (secure) conn.reportTls(false);
      if (options.idleTimeoutMs) conn.setIdleTimeout(options.idleTimeoutMs);
      l.connections.add(conn);
      socket.once('close', () => {
        l.connections.delete(conn);
        l.bytesIn += conn.bytesIn;
        l.bytesOut += conn.bytesOut;
      });
      onConnection(conn);
    };
    const unixFile = endpoint.transport === 'unix' ? UnixSocketFile.prepare(endpoint.path) : undefined;
    const bindTo: Endpoint = unixFile ? { transport: 'unix', path: unixFile.bindPath } : endpoint;
    try {
      try {
        await bind(server, bindTo, options.backlog);
      } catch (err) {
        const e = fromNodeError(err, what);
        if (e.code !== 'EADDRINUSE' || endpoint.transport !== 'unix') throw e;
        if (pathKind(endpoint.path) === 'other') {
          throw new SocketLabError('EADDRINUSE', `${what}: the path exists and is not a socket; Socket Lab will not remove it (EADDRINUSE)`, e.errno, { cause: err });
        }
        if (await unixPathIsLive(endpoint.path)) {
          throw new SocketLabError('EADDRINUSE', `${what}: another listener is using this path (EADDRINUSE)`, e.errno, { cause: err });
        }
        if (!options.removeStale) {
          throw new SocketLabError('EADDRINUSE', `${what}: a stale socket file is in the way (nothing listens on it); remove it, or add remove-stale to the block (EADDRINUSE)`, e.errno, { cause: err });
        }
        try {
          // Only a socket file that nothing listens on is removed (checked just above).
          if (pathKind(endpoint.path) === 'socket') unlinkSync(endpoint.path);
          await bind(server, bindTo, options.backlog);
        } catch (retry) {
          throw fromNodeError(retry, what);
        }
      }
    } catch (err) {
      unixFile?.abandon();
      throw err;
    }
    unixFile?.bound();
    let local: Endpoint = endpoint;
    const addr = server.address();
    if (endpoint.transport !== 'unix' && addr && typeof addr === 'object') local = { transport: endpoint.transport, host: addr.address, port: addr.port };
    const listener = new StreamListener(server, id, local, bus, unixFile);
    bound.listener = listener;
    bus.emit({ type: 'listening', id, transport: endpoint.transport, local: local.transport === 'unix' ? formatUnixPath(local.path) : formatHostPort(local.host, local.port), ...(options.name ? { name: options.name } : {}) });
    return listener;
  }

  /**
   * Stops accepting, destroys every open connection, and for a Unix listener removes the socket
   * file it created: only that file (the same device and inode as right after bind), never a
   * file or another process's socket that has taken its path since. Resolves when the server is
   * closed. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // Before the close, while the listening socket still holds its file's inode.
      this.unixFile?.remove();
      this.server.close(() => {
        this.bus.emit({ type: 'close', id: this.id, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
        resolve();
      });
      for (const conn of this.connections) conn.destroy();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}
