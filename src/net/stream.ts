/**
 * A stream connection (TCP or Unix domain) with the receive calls of the socket tutorial:
 * `recv` (the next chunk), `recv(N)`, receive until a delimiter, and receive until the peer closes.
 * Built on Node's `net.Socket`; sends honour backpressure (`write()` / `'drain'`) and the receive
 * queue pauses the socket when it holds more than its high-water mark, so a peer that floods
 * cannot grow memory without bound.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { checkUnixPath, formatHostPort, formatUnixPath, type Endpoint, type Transport } from './address';
import { createError, fromNodeError, SocketLabError } from './errors';
import { byteCount, escapeBytes } from './payload';
import { summarizeTls, type TlsClientOptions, type TlsSummary } from './tlsInfo';
import type { TrafficBus } from './traffic';
import { MAX_TIMER_MS, Notifier, onAbort, SENT, timerDelay, type WaitOptions } from './wait';

/** The life of a connection, as the tree and transcript show it. */
export type ConnectionState = 'open' | 'half-closed' | 'closed' | 'error';

/** Bytes the receive queue holds before it pauses reading from the socket (1 MiB). */
export const RECV_HIGH_WATER = 1024 * 1024;

/**
 * Bytes an echo or a relay lets wait in a connection's write queue before it pauses the peer it
 * reads from (1 MiB). Above Node's 16 KiB, so the chunks of one read burst (libuv reads up to 32
 * in one turn) go on while the first are written, and leave together in one `writev(2)`.
 */
export const PASS_HIGH_WATER = 1024 * 1024;

/** What one read of a socket asks for in libuv (`uv__read`): a chunk this long may have more behind it. */
const LIBUV_READ_BYTES = 64 * 1024;

/** The default bound of `recv until` and `recv all` (16 MiB). */
export const RECV_MAX_BYTES = 16 * 1024 * 1024;

/** Bytes of what had arrived that an error message shows, escaped. */
export const ERROR_PREVIEW_BYTES = 64;

/** Receive options: a deadline and, for the accumulating receives, a byte bound. */
export interface RecvOptions extends WaitOptions {
  /** Fail with `ETOOBIG` rather than hold more than this many bytes; default {@link RECV_MAX_BYTES}. */
  readonly maxBytes?: number;
  /** How the operation is named in errors, e.g. `recv line`; default the method's own name. */
  readonly label?: string;
}

function describe(socket: Socket, side: 'local' | 'remote', transport: Transport, path: string | undefined, accepted: boolean): string {
  if (transport === 'unix') {
    // The listening side's end is the path; a connecting Unix socket has no name of its own.
    return (side === 'local') === accepted ? (path === undefined ? '(unix)' : formatUnixPath(path)) : '(unnamed)';
  }
  const addr = side === 'local' ? socket.localAddress : socket.remoteAddress;
  const port = side === 'local' ? socket.localPort : socket.remotePort;
  return addr === undefined || port === undefined ? '?' : formatHostPort(addr, port);
}

/**
 * One open TCP or Unix stream connection, client or accepted. Every event is reported on the
 * bus; no error escapes as an uncaught exception.
 */
export class StreamConnection {
  readonly local: string;
  readonly remote: string;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private demand = 0;
  private peerEnded = false;
  private closed = false;
  private failure: SocketLabError | undefined;
  private readonly changed = new Notifier(this);
  private closing: Promise<void> | undefined;
  private bytesInTotal = 0;
  private bytesOutTotal = 0;
  /** The stream offset of the first queued byte; once the queue is empty, where the last receive ended. */
  private queueStart = 0;
  /** While {@link StreamConnection.echo} runs, chunks are written back as they arrive. */
  private echoing = false;
  /**
   * Where arriving chunks are written while {@link StreamConnection.echo} (this connection) or
   * {@link StreamConnection.forward} (another) runs; undefined otherwise.
   */
  private sink: StreamConnection | undefined;
  /** While {@link StreamConnection.forward} runs with one: what each arriving chunk becomes before it is passed on. */
  private transform: ((chunk: Buffer) => Buffer) | undefined;
  /** True while this connection's writes wait for 'drain' and a source of them is paused for it. */
  private draining = false;
  /** Set by {@link StreamConnection.discardIncoming}: chunks are reported, not queued. */
  private discarding = false;
  private echoTimeoutMs = 0;
  private echoTimedOut = false;
  /** When the running echo last had traffic, `performance.now()` ms. */
  private echoActiveAt = 0;
  /** Fires when the running echo may have waited `echoTimeoutMs` for a chunk. */
  private echoTimer: NodeJS.Timeout | undefined;
  private idleTimeoutMs = 0;

  private constructor(
    private socket: Socket,
    readonly id: string,
    readonly transport: Transport,
    private readonly bus: TrafficBus,
    listener: string | undefined,
    path: string | undefined,
    /** For a relay's upstream leg, the connection it carries (`via`); for a client, its `.sock` name. */
    tags: { readonly via?: string; readonly name?: string } = {},
  ) {
    this.local = describe(socket, 'local', transport, path, listener !== undefined);
    this.remote = describe(socket, 'remote', transport, path, listener !== undefined);
    this.attach(socket);
    // Each send goes out at once, as a person typing into nc expects (no Nagle delay).
    if (transport !== 'unix') socket.setNoDelay(true);
    bus.emit({ type: 'open', id, transport, local: this.local, remote: this.remote, ...(listener ? { listener } : {}), ...(tags.via ? { via: tags.via } : {}), ...(tags.name ? { name: tags.name } : {}) });
  }

  private readonly onData = (chunk: Buffer): void => {
    const offset = this.bytesInTotal;
    this.bytesInTotal += chunk.length;
    const ts = this.bus.emitData(this.id, 'in', chunk, offset);
    // An echoed or discarded chunk changes nothing a wait checks: no waiter is woken for it.
    if (this.sink) {
      this.echoActiveAt = performance.now();
      this.sink.passChunk(this.transform ? this.transform(chunk) : chunk, ts, this);
    } else if (!this.discarding) {
      if (this.queued === 0) this.queueStart = offset;
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (this.queued >= Math.max(RECV_HIGH_WATER, this.demand)) this.socket.pause();
      this.changed.notify();
    }
  };

  private readonly onTimeout = (): void => this.onSocketTimeout();

  private readonly uncork = (): void => this.socket.uncork();

  private readonly onEnd = (): void => {
    this.peerEnded = true;
    this.bus.emit({ type: 'half-close', id: this.id, direction: 'in' });
    this.changed.notify();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.bus.emit({ type: 'close', id: this.id, bytesIn: this.bytesInTotal, bytesOut: this.bytesOutTotal });
    this.changed.notify();
    this.changed.release();
  };

  /** Handles socket errors: remembers the first, reports it, wakes waiting receives. */
  private readonly onError = (err: Error): void => {
    const e = fromNodeError(err, `${this.transport} ${this.remote}`);
    this.failure ??= e;
    this.bus.emit({ type: 'error', id: this.id, code: e.code, message: e.message });
    this.changed.notify();
  };

  /** Listens to `socket`'s events: the connection's own socket, or the TLS socket that STARTTLS put over it. */
  private attach(socket: Socket): void {
    socket.on('error', this.onError);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
  }

  /**
   * Connects to a TCP endpoint (IPv4, IPv6 or a host name, via Node's `net.connect`) or a Unix
   * socket path, like Python's `socket.connect`.
   *
   * @throws SocketLabError `ECONNREFUSED`, `ENOTFOUND`, `ENOENT` (no such socket file),
   *   `EBADADDR` (a Unix path longer than `sun_path` holds), `ETIMEDOUT` after
   *   `opts.timeoutMs`, `ECANCELED`
   */
  static connect(endpoint: Endpoint, opts: WaitOptions & { readonly tls?: TlsClientOptions; /** For a relay's upstream leg: the accepted connection it serves (`OpenEvent.via`). */ readonly via?: string; /** The `.sock` name of the client (`OpenEvent.name`). */ readonly name?: string }, bus: TrafficBus): Promise<StreamConnection> {
    if (endpoint.transport === 'udp') throw new TypeError('StreamConnection.connect: udp is not a stream');
    const what = endpoint.transport === 'unix' ? `connect unix ${formatUnixPath(endpoint.path)}` : `connect ${endpoint.transport} ${formatHostPort(endpoint.host, endpoint.port)}`;
    if (endpoint.transport === 'unix') {
      try {
        checkUnixPath(endpoint.path, what);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let socket: Socket;
    if (endpoint.transport === 'unix') socket = netConnect({ path: endpoint.path, allowHalfOpen: true });
    else if (endpoint.transport === 'tcp') socket = netConnect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true });
    else {
      const t = opts.tls ?? {};
      const servername = t.servername ?? (isIP(endpoint.host) ? undefined : endpoint.host);
      const options: ConnectionOptions & { allowHalfOpen: boolean } = {
        host: endpoint.host,
        port: endpoint.port,
        allowHalfOpen: true,
        rejectUnauthorized: !t.insecure,
        ...(servername ? { servername } : {}),
        ...(t.ca ? { ca: t.ca } : {}),
        ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}),
        ...(t.alpn ? { ALPNProtocols: [...t.alpn] } : {}),
      };
      socket = tlsConnect(options);
    }
    const ready = endpoint.transport === 'tls' ? 'secureConnect' : 'connect';
    return new Promise((resolve, reject) => {
      const fail = (err: SocketLabError): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onError = (err: Error): void => fail(fromNodeError(err, what));
      const timer = setTimeout(() => fail(createError('ETIMEDOUT', `${what}: timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
      const offAbort = opts.signal ? onAbort(opts.signal, () => fail(createError('ECANCELED', `${what}: cancelled`))) : undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        offAbort?.();
      };
      socket.on('error', onError);
      socket.once(ready, () => {
        cleanup();
        const path = endpoint.transport === 'unix' ? endpoint.path : undefined;
        const conn = new StreamConnection(socket, bus.nextId('c'), endpoint.transport, bus, undefined, path, { ...(opts.via ? { via: opts.via } : {}), ...(opts.name ? { name: opts.name } : {}) });
        if (endpoint.transport === 'tls') conn.reportTls(Boolean(opts.tls?.insecure));
        resolve(conn);
      });
    });
  }

  /** The negotiated TLS session, for a TLS connection after its handshake. */
  tls: TlsSummary | undefined;

  /** Records and reports the TLS session of this (TLS) connection. */
  reportTls(insecure: boolean): void {
    this.tls = summarizeTls(this.socket as TLSSocket);
    this.bus.emit({ type: 'tls', id: this.id, session: this.tls, insecure });
  }

  /**
   * STARTTLS (RFC 3207 for SMTP, RFC 2595 for IMAP and POP3, and their kin): makes a TLS handshake
   * on this open TCP connection, as Python's `ctx.wrap_socket(s, server_hostname=host)` does on a
   * connected socket, with the same verification as {@link connect} to a `tls` endpoint. From then
   * on every send and receive is encrypted on the wire and plain here.
   * @param host the name or address the certificate must name (unless `tls.servername` says another)
   * @throws SocketLabError `ESTARTTLS` when bytes the steps have not read are queued (they came
   *   before the handshake, in the clear), or the connection is not an open TCP one; the handshake's
   *   errors as a TLS connect has them (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`,
   *   `ERR_SSL_…`), `ETIMEDOUT` after `opts.timeoutMs`, `ECANCELED`
   */
  async startTls(host: string, tls: TlsClientOptions, opts: WaitOptions): Promise<TlsSummary> {
    const what = `starttls on ${this.id}`;
    if (this.transport !== 'tcp') throw createError('ESTARTTLS', `${what}: STARTTLS upgrades a TCP connection, and this one is ${this.transport}`);
    if (this.tls) throw createError('ESTARTTLS', `${what}: the connection is TLS already`);
    if (this.closed || this.peerEnded || this.socket.writableEnded) throw createError('ESTARTTLS', `${what}: the connection is closed or half-closed`);
    if (this.queued > 0) throw createError('ESTARTTLS', `${what}: ${byteCount(this.queued)} arrived before the handshake and were not read: read the server's reply first ("${escapeBytes(this.peek(ERROR_PREVIEW_BYTES + 1), ERROR_PREVIEW_BYTES)}")`);
    const raw = this.socket;
    raw.off('error', this.onError);
    raw.off('data', this.onData);
    raw.off('timeout', this.onTimeout);
    raw.off('end', this.onEnd);
    raw.off('close', this.onClose);
    const servername = tls.servername ?? (isIP(host) ? undefined : host);
    const secure = tlsConnect({
      socket: raw,
      host,
      rejectUnauthorized: !tls.insecure,
      ...(servername ? { servername } : {}),
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      ...(tls.alpn ? { ALPNProtocols: [...tls.alpn] } : {}),
    });
    // The TLS socket is the connection's from now on, in this tick: its errors are ours to report.
    this.socket = secure;
    this.attach(secure);
    secure.setNoDelay(true);
    if (this.idleTimeoutMs > 0) secure.setTimeout(this.idleTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: SocketLabError): void => {
        cleanup();
        secure.destroy();
        reject(err);
      };
      const onHandshakeError = (err: Error): void => fail(fromNodeError(err, what));
      const timer = setTimeout(() => fail(createError('ETIMEDOUT', `${what}: the TLS handshake timed out after ${opts.timeoutMs} ms`)), timerDelay(opts.timeoutMs));
      const offAbort = opts.signal ? onAbort(opts.signal, () => fail(createError('ECANCELED', `${what}: cancelled`))) : undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        secure.off('error', onHandshakeError);
        secure.off('secureConnect', onSecure);
        offAbort?.();
      };
      const onSecure = (): void => {
        cleanup();
        resolve();
      };
      secure.on('error', onHandshakeError);
      secure.once('secureConnect', onSecure);
    });
    this.reportTls(Boolean(tls.insecure));
    return summarizeTls(secure);
  }

  /**
   * Wraps a socket that a listener accepted. Call in the `'connection'` handler, so the error
   * listener is attached in the tick that created the socket.
   */
  static accept(socket: Socket, transport: Transport, listenerId: string, bus: TrafficBus, path?: string): StreamConnection {
    return new StreamConnection(socket, bus.nextId('c'), transport, bus, listenerId, path);
  }


  /**
   * Destroys the connection when nothing is sent or received for `ms` (Node's
   * `socket.setTimeout`), reporting an `ETIMEDOUT` error event. 0 turns it off.
   */
  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  private onSocketTimeout(): void {
    if (this.echoing && this.echoTimeoutMs > 0 && this.echoTimeoutMs <= this.idleTimeoutMs) {
      // The echo's limit is the shorter one: the echo fails, the connection stays.
      this.echoTimedOut = true;
      this.changed.notify();
      return;
    }
    const e = createError('ETIMEDOUT', `${this.transport} ${this.remote}: idle for ${this.idleTimeoutMs} ms; closed`);
    this.failure ??= e;
    this.bus.emit({ type: 'error', id: this.id, code: e.code, message: e.message });
    this.socket.destroy();
    this.changed.notify();
  }

  /**
   * The stream offset just past the last byte a receive returned (the `offset` of the `in` data
   * events counts the same bytes): a receive's result of N bytes began at `receivedEnd - N`.
   */
  get receivedEnd(): number {
    return this.queueStart;
  }

  /** Bytes received so far. */
  get bytesIn(): number {
    return this.bytesInTotal;
  }

  /** Bytes written so far. */
  get bytesOut(): number {
    return this.bytesOutTotal;
  }

  /** True once the peer closed its side (its FIN, `'end'`), received bytes still queued or not. */
  get peerClosed(): boolean {
    return this.peerEnded;
  }

  /** The connection's state: open, half-closed (either side sent FIN), closed or error. */
  get state(): ConnectionState {
    if (this.failure) return 'error';
    if (this.closed) return 'closed';
    if (this.peerEnded || this.socket.writableEnded) return 'half-closed';
    return 'open';
  }

  /**
   * Sends bytes, like `socket.sendall`: resolves when Node has taken them all, waiting for
   * `'drain'` when the socket's buffer is full (a peer that never reads stalls this promise
   * rather than growing memory).
   *
   * @throws SocketLabError `ECLOSED` after a local shutdown or close, `EPIPE` or `ECONNRESET`
   *   when the peer has gone, `ETIMEDOUT` when
   *   the buffer does not drain in time, `ECANCELED`
   */
  send(data: Buffer, opts: WaitOptions): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed || this.socket.writableEnded) {
      return Promise.reject(createError('ECLOSED', `send on ${this.id}: the connection is closed for sending`));
    }
    this.bus.emitData(this.id, 'out', data, this.bytesOutTotal);
    this.bytesOutTotal += data.length;
    // The common case, a socket buffer with room, needs no waiting (and no async frame).
    if (this.socket.write(data)) return SENT;
    return this.waitForDrain(data.length, opts);
  }

  private async waitForDrain(bytes: number, opts: WaitOptions): Promise<void> {
    let drained = false;
    const onDrain = (): void => {
      drained = true;
      this.changed.notify();
    };
    this.socket.once('drain', onDrain);
    // After end() (a close while sending) Node emits 'finish' once everything is written, not 'drain'.
    this.socket.once('finish', onDrain);
    try {
      await this.changed.waitFor(() => {
        if (drained) return true;
        if (this.failure) throw this.failure;
        if (this.closed) throw createError('ECLOSED', `send on ${this.id}: the connection closed while sending`);
        return undefined;
      }, opts, `send ${bytes} bytes`);
    } finally {
      this.socket.off('drain', onDrain);
      this.socket.off('finish', onDrain);
    }
  }

  /** Takes up to `max` bytes from the head of the queue (all of the first chunk when undefined). */
  private take(max: number | undefined): Buffer {
    let out: Buffer;
    const head = this.queue[0];
    if (max === undefined || (head.length <= max && (head.length === max || this.queue.length === 1))) {
      // The whole head chunk is what is asked for: no copy.
      out = this.queue.shift() as Buffer;
    } else {
      const parts: Buffer[] = [];
      let want = max;
      while (want > 0 && this.queue.length > 0) {
        const head = this.queue[0];
        if (head.length <= want) {
          parts.push(head);
          this.queue.shift();
          want -= head.length;
        } else {
          parts.push(head.subarray(0, want));
          this.queue[0] = head.subarray(want);
          want = 0;
        }
      }
      out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    this.queued -= out.length;
    this.queueStart += out.length;
    this.resumeIfRoom();
    return out;
  }

  private resumeIfRoom(): void {
    if (this.socket.isPaused() && this.queued < Math.max(RECV_HIGH_WATER, this.demand)) this.socket.resume();
  }

  /**
   * Runs a wait while declaring how many bytes it may need queued, so reading is not paused early.
   * Not an async function: a receive is on the data path, and an async call allocates a frame.
   */
  private withDemand<T>(bytes: number, wait: () => Promise<T>): Promise<T> {
    this.demand = bytes;
    this.resumeIfRoom();
    const waited = wait();
    // The demand ends with the wait: at once when it ended at once, else when the notifier has
    // no pending wait left ({@link waitsEnded}).
    if (!this.changed.waiting) this.demand = 0;
    return waited;
  }

  /** The notifier's last pending wait ended: no receive declares a demand any more. */
  waitsEnded(): void {
    this.demand = 0;
  }

  /**
   * Receives like Python's `socket.recv`: the next chunk as it arrived (`max` undefined), or up
   * to `max` bytes of what has arrived. Resolves with an empty buffer when the peer has closed
   * its side and nothing is left, as `recv` returns `b''`.
   *
   * @throws SocketLabError `ETIMEDOUT` when nothing arrives in time, `ECONNRESET`, `ECANCELED`
   */
  recv(max: number | undefined, opts: WaitOptions): Promise<Buffer> {
    if (this.queued > 0) return Promise.resolve(this.take(max));
    const what = max === undefined ? 'recv' : `recv ${max}`;
    return this.changed.waitFor(() => {
      if (this.queued > 0) return this.take(max);
      if (this.failure) throw this.failure;
      if (this.peerEnded || this.closed) return Buffer.alloc(0);
      return undefined;
    }, opts, what);
  }

  /**
   * Receives until `delimiter` has arrived and returns everything up to and including it;
   * bytes after it stay queued for the next receive.
   *
   * @throws SocketLabError `EOF` when the peer closes first, `ETOOBIG` past `opts.maxBytes`,
   *   `ETIMEDOUT`, `ECONNRESET`, `ECANCELED`
   */
  recvUntil(delimiter: Buffer, opts: RecvOptions): Promise<Buffer> {
    const max = opts.maxBytes ?? RECV_MAX_BYTES;
    const what = opts.label ?? 'recv until';
    // The queued bytes already searched: a match can begin only in their last (delimiter
    // length - 1) bytes or after them, so each chunk is searched (and copied) about once.
    let searched = 0;
    // One byte past the bound is read, so a peer that sends more is told apart from one that stops at it.
    return this.withDemand(max + 1, () =>
      this.changed.waitFor(() => {
        if (this.queued < searched) searched = 0;
        if (this.queued > searched) {
          const at = this.indexInQueue(delimiter, Math.max(0, searched - delimiter.length + 1));
          searched = this.queued;
          if (at >= 0 && at + delimiter.length <= max) return this.take(at + delimiter.length);
          if (at >= 0 || this.queued > max) throw createError('ETOOBIG', `${what}: no delimiter in the first ${max} bytes`);
        }
        if (this.failure) throw this.withArrived(this.failure, what);
        if (this.peerEnded || this.closed) {
          throw createError('EOF', `${what}: the peer closed the connection before the delimiter arrived; ${this.arrived()}`);
        }
        return undefined;
      }, opts, what, () => this.arrived()),
    );
  }

  /**
   * Where `needle` begins in the queued bytes, searching from byte `from` of the queue; -1 when
   * absent. Only the chunks from `from` on are read (joined when the match may span them).
   */
  private indexInQueue(needle: Buffer, from: number): number {
    // The new bytes are at the tail: walk back from it to the chunk that holds byte `from`.
    let i = this.queue.length - 1;
    let chunkStart = this.queued - this.queue[i].length;
    while (chunkStart > from) chunkStart -= this.queue[--i].length;
    const first = this.queue[i].subarray(from - chunkStart);
    const region = i === this.queue.length - 1 ? first : Buffer.concat([first, ...this.queue.slice(i + 1)]);
    const at = region.indexOf(needle);
    return at < 0 ? -1 : from + at;
  }

  /** The first `n` queued bytes, without taking them. */
  private peek(n: number): Buffer {
    const parts: Buffer[] = [];
    let want = n;
    for (const chunk of this.queue) {
      if (want <= 0) break;
      parts.push(chunk.subarray(0, want));
      want -= parts[parts.length - 1].length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * What has arrived and not been received, for an error message: `nothing arrived`, or
   * `7 bytes arrived: "+PONG\r\n"` (the first {@link ERROR_PREVIEW_BYTES} bytes, escaped).
   */
  private arrived(): string {
    if (this.queued === 0) return 'nothing arrived';
    return `${byteCount(this.queued)} arrived: "${escapeBytes(this.peek(ERROR_PREVIEW_BYTES + 1), ERROR_PREVIEW_BYTES)}"`;
  }

  /** The connection's error as a receive meets it: the same code, and what had arrived before it. */
  private withArrived(failure: SocketLabError, what: string): SocketLabError {
    if (this.queued === 0) return failure;
    return new SocketLabError(failure.code, `${what}: ${failure.message}; before it, ${this.arrived()}`, failure.errno, { cause: failure });
  }

  /**
   * Receives until the peer closes its side (FIN) and returns everything, like a `recv` loop
   * that stops at `b''`.
   *
   * @throws SocketLabError `ETOOBIG` past `opts.maxBytes`, `ETIMEDOUT`, `ECONNRESET`, `ECANCELED`
   */
  recvAll(opts: RecvOptions): Promise<Buffer> {
    const max = opts.maxBytes ?? RECV_MAX_BYTES;
    // One byte past the bound is read: a peer that sends more fails at once, not at the timeout.
    return this.withDemand(max + 1, () =>
      this.changed.waitFor(() => {
        if (this.queued > max) throw createError('ETOOBIG', `recv all: the peer sent more than ${max} bytes`);
        if (this.peerEnded) return this.queued > 0 ? this.take(this.queued) : Buffer.alloc(0);
        if (this.failure) throw this.withArrived(this.failure, 'recv all');
        if (this.closed) return this.queued > 0 ? this.take(this.queued) : Buffer.alloc(0);
        return undefined;
      }, opts, 'recv all', () => `${this.arrived()} (the peer has not closed its side)`),
    );
  }

  /**
   * Receives exactly `n` bytes, like a `recv` loop that stops at `n` (`MSG_WAITALL`).
   *
   * @throws SocketLabError `EOF` when the peer closes first (the message says how many bytes
   *   came), `ETIMEDOUT`, `ECONNRESET`, `ECANCELED`
   */
  recvExactly(n: number, opts: WaitOptions & { readonly label?: string }): Promise<Buffer> {
    const what = opts.label ?? `recv exactly ${n}`;
    if (n > RECV_MAX_BYTES) return Promise.reject(createError('ETOOBIG', `${what}: at most ${RECV_MAX_BYTES} bytes`));
    return this.withDemand(n, () =>
      this.changed.waitFor(() => {
        if (this.queued >= n) return this.take(n);
        if (this.failure) throw this.withArrived(this.failure, what);
        if (this.peerEnded || this.closed) throw createError('EOF', `${what}: the peer closed the connection after ${this.queued} of ${n} bytes${this.queued > 0 ? `: "${escapeBytes(this.peek(ERROR_PREVIEW_BYTES + 1), ERROR_PREVIEW_BYTES)}"` : ''}`);
        return undefined;
      }, opts, what, () => `${this.queued} of ${n} bytes arrived${this.queued > 0 ? `: "${escapeBytes(this.peek(ERROR_PREVIEW_BYTES + 1), ERROR_PREVIEW_BYTES)}"` : ''}`),
    );
  }

  /**
   * Sends back everything the peer sends until it closes its side, like a `recv`/`sendall` loop
   * but on the data path itself (each chunk is written back in the tick it arrives, as `pipe()`
   * does); a peer that does not read pauses reading until its window opens again ('drain').
   *
   * @param opts `timeoutMs` bounds each wait for the next chunk (an idle limit), not the whole echo
   * @returns the bytes echoed
   * @throws SocketLabError `ETIMEDOUT` when the peer is silent longer than `timeoutMs`,
   *   `ECONNRESET`, `ECANCELED`
   */
  echo(opts: WaitOptions): Promise<number> {
    return this.pass(this, opts, 'echo');
  }

  /**
   * Sends everything this connection's peer sends on to `to`'s peer, each chunk in the tick it
   * arrives, until this peer closes its side; then half-closes `to` (the FIN is passed on, as
   * socat does). One direction of a relay: `a.forward(b)` with `b.forward(a)` relays both ways.
   * While `to`'s peer does not read, reading from this peer pauses (backpressure), so memory stays
   * bounded whatever the two peers do.
   *
   * @param opts `timeoutMs` bounds each wait for the next chunk (0: no limit; the connection's
   *   idle timeout, if set, still applies)
   * @param transform what each chunk becomes on its way (a relay's rewrites); the `in` data event
   *   has the chunk as it came, `to`'s `out` event what was sent
   * @returns the bytes forwarded (after `transform`)
   * @throws SocketLabError `ETIMEDOUT` when this peer is silent longer than `timeoutMs`,
   *   `ECONNRESET` when it resets, `ECANCELED`
   */
  async forward(to: StreamConnection, opts: WaitOptions, transform?: (chunk: Buffer) => Buffer): Promise<number> {
    this.transform = transform;
    let n: number;
    try {
      n = await this.pass(to, opts, 'forward');
    } finally {
      this.transform = undefined;
    }
    to.shutdown();
    return n;
  }

  /** Runs {@link StreamConnection.echo} (`to` is this connection) or {@link StreamConnection.forward}. */
  private async pass(to: StreamConnection, opts: WaitOptions, what: string): Promise<number> {
    const before = to.bytesOutTotal;
    // What arrived before the echo or relay began goes first.
    while (this.queued > 0) {
      const chunk = this.take(undefined);
      to.passChunk(this.transform ? this.transform(chunk) : chunk, Date.now(), this);
    }
    this.sink = to;
    this.echoing = true;
    this.echoTimedOut = false;
    this.echoTimeoutMs = opts.timeoutMs;
    this.echoActiveAt = performance.now();
    // 0 (or less) means no limit, as for socket.setTimeout.
    if (opts.timeoutMs > 0) this.armEchoTimer(opts.timeoutMs);
    // The idle limit restarts when an echo starts and ends, as it always has.
    if (this.idleTimeoutMs > 0) this.socket.setTimeout(this.idleTimeoutMs);
    try {
      // One wait for the whole echo: the echo timer enforces the per-chunk limit.
      await this.changed.waitFor(() => {
        if (this.peerEnded || this.closed) return true;
        if (this.failure) throw this.failure;
        if (this.echoTimedOut) throw createError('ETIMEDOUT', `${what}: no data for ${opts.timeoutMs} ms`);
        return undefined;
      }, { ...opts, timeoutMs: MAX_TIMER_MS }, what);
      return to.bytesOutTotal - before;
    } finally {
      this.sink = undefined;
      this.echoing = false;
      this.echoTimeoutMs = 0;
      clearTimeout(this.echoTimer);
      this.echoTimer = undefined;
      if (this.idleTimeoutMs > 0) this.socket.setTimeout(this.idleTimeoutMs);
    }
  }

  /**
   * The echo's limit on the wait for the next chunk. A chunk only stamps `echoActiveAt` (a timer
   * per chunk, or Node's `socket.setTimeout` refreshed on every read and write, costs more than
   * the rest of the echo); the timer checks the stamp when it fires and re-arms for the rest.
   */
  private armEchoTimer(ms: number): void {
    this.echoTimer = setTimeout(() => {
      this.echoTimer = undefined;
      if (!this.echoing) return;
      const quiet = performance.now() - this.echoActiveAt;
      if (quiet >= this.echoTimeoutMs) {
        // An echo that waited too long for the next chunk fails; the connection stays.
        this.echoTimedOut = true;
        this.changed.notify();
      } else {
        this.armEchoTimer(this.echoTimeoutMs - quiet);
      }
    }, timerDelay(ms));
  }

  /**
   * Writes a chunk that `from`'s peer sent (this connection's own, for an echo); `ts` is the stamp
   * of its arrival, in this same tick. When more than {@link PASS_HIGH_WATER} bytes wait to be
   * written, `from` stops reading until they have all gone.
   */
  private passChunk(chunk: Buffer, ts: number, from: StreamConnection): void {
    if (this.socket.writableEnded || this.closed) return;
    this.bus.emitData(this.id, 'out', chunk, this.bytesOutTotal, ts);
    this.bytesOutTotal += chunk.length;
    // A full read (libuv reads 64 KiB at a time) says more is waiting: corked until the loop's
    // next turn, the burst's chunks leave in one writev(2), as socat's -b buffer would. A shorter
    // read emptied the socket, and an interactive peer's message goes out at once.
    if (chunk.length >= LIBUV_READ_BYTES && !this.socket.writableCorked) {
      this.socket.cork();
      setImmediate(this.uncork);
    }
    this.socket.write(chunk);
    if (this.draining || this.socket.writableLength < PASS_HIGH_WATER) return;
    from.socket.pause();
    this.draining = true;
    this.socket.once('drain', () => {
      this.draining = false;
      // A peer that reads again counts as traffic, as a completed write refreshes Node's socket timer.
      from.echoActiveAt = performance.now();
      from.socket.resume();
    });
  }

  /**
   * Stops queueing what arrives, for a connection nobody reads with `recv` (one opened from the
   * palette): every chunk is still reported on the bus, so it shows in the log and the tree, and
   * the socket keeps reading, so the peer is never blocked by a full queue.
   */
  discardIncoming(): void {
    this.discarding = true;
    this.queue.length = 0;
    this.queued = 0;
    this.resumeIfRoom();
  }

  /**
   * Half-closes: sends FIN and keeps reading, like `shutdown(SHUT_WR)`. Safe to call twice.
   * @returns false when the sending side was already shut down or the connection closed
   */
  shutdown(): boolean {
    // A socket that was reset or failed is destroyed before its 'close' event: it sends no FIN.
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return false;
    this.socket.end();
    this.bus.emit({ type: 'half-close', id: this.id, direction: 'out' });
    return true;
  }

  /**
   * Closes like `close(2)`: flushes what was sent, sends FIN and releases the socket without
   * waiting for the peer. Resolves when the socket is closed; after `lingerMs` of a peer that
   * does not read, the socket is destroyed. Safe to call twice.
   */
  close(lingerMs = 2000): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.socket.destroy(), lingerMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.shutdown();
      if (this.socket.writableFinished) this.socket.destroy();
      else this.socket.once('finish', () => this.socket.destroy());
    });
    return this.closing;
  }

  /** Destroys the socket at once (pending writes are dropped). Safe to call twice. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Aborts the connection: a TCP peer gets a RST (`SO_LINGER` 0, Node's `resetAndDestroy`), and
   * its next receive fails with `ECONNRESET`; other transports have no reset and are destroyed.
   * Safe to call twice.
   */
  reset(): void {
    // After a FIN of its own the kernel takes no SO_LINGER (EINVAL): such a socket is destroyed.
    if (this.transport === 'tcp' && !this.socket.destroyed && !this.socket.writableEnded) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }
}
