/**
 * A stream connection (TCP or Unix domain) with the receive calls of the socket tutorial:
 * `recv` (the next chunk), `recv(N)`, receive until a delimiter, and receive until the peer closes.
 * Built on Node's `net.Socket`; sends honour backpressure (`write()` / `'drain'`) and the receive
 * queue pauses the socket when it holds more than its high-water mark, so a peer that floods
 * cannot grow memory without bound.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { formatHostPort, type Endpoint, type Transport } from './address';
import { createError, fromNodeError, type SocketLabError } from './errors';
import { summarizeTls, type TlsClientOptions, type TlsSummary } from './tlsInfo';
import type { TrafficBus } from './traffic';
import { MAX_TIMER_MS, Notifier, timerDelay, type WaitOptions } from './wait';

/** The life of a connection, as the tree and transcript show it. */
export type ConnectionState = 'open' | 'half-closed' | 'closed' | 'error';

/** Bytes the receive queue holds before it pauses reading from the socket (1 MiB). */
export const RECV_HIGH_WATER = 1024 * 1024;

const RESOLVED: Promise<void> = Promise.resolve();

/** The default bound of `recv until` and `recv all` (16 MiB). */
export const RECV_MAX_BYTES = 16 * 1024 * 1024;

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
    return (side === 'local') === accepted ? (path ?? '(unix)') : '(unnamed)';
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
  private readonly changed = new Notifier();
  private closing: Promise<void> | undefined;
  private bytesInTotal = 0;
  private bytesOutTotal = 0;
  /** While {@link StreamConnection.echo} runs, chunks are written back as they arrive. */
  private echoing = false;
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
    private readonly socket: Socket,
    readonly id: string,
    readonly transport: Transport,
    private readonly bus: TrafficBus,
    listener: string | undefined,
    path: string | undefined,
  ) {
    this.local = describe(socket, 'local', transport, path, listener !== undefined);
    this.remote = describe(socket, 'remote', transport, path, listener !== undefined);
    this.attachErrorHandler();
    // Each send goes out at once, as a person typing into nc expects (no Nagle delay).
    if (transport !== 'unix') socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesInTotal += chunk.length;
      const ts = bus.emitData(id, 'in', chunk);
      // An echoed or discarded chunk changes nothing a wait checks: no waiter is woken for it.
      if (this.echoing) {
        this.echoActiveAt = performance.now();
        this.echoChunk(chunk, ts);
      } else if (!this.discarding) {
        this.queue.push(chunk);
        this.queued += chunk.length;
        if (this.queued >= Math.max(RECV_HIGH_WATER, this.demand)) socket.pause();
        this.changed.notify();
      }
    });
    socket.on('timeout', () => this.onSocketTimeout());
    socket.on('end', () => {
      this.peerEnded = true;
      bus.emit({ type: 'half-close', id, direction: 'in' });
      this.changed.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      bus.emit({ type: 'close', id, bytesIn: this.bytesInTotal, bytesOut: this.bytesOutTotal });
      this.changed.notify();
      this.changed.release();
    });
    bus.emit({ type: 'open', id, transport, local: this.local, remote: this.remote, ...(listener ? { listener } : {}) });
  }

  /**
   * Connects to a TCP endpoint (IPv4, IPv6 or a host name, via Node's `net.connect`) or a Unix
   * socket path, like Python's `socket.connect`.
   *
   * @throws SocketLabError `ECONNREFUSED`, `ENOTFOUND`, `ENOENT` (no such socket file),
   *   `ETIMEDOUT` after `opts.timeoutMs`, `ECANCELED`
   */
  static connect(endpoint: Endpoint, opts: WaitOptions & { readonly tls?: TlsClientOptions }, bus: TrafficBus): Promise<StreamConnection> {
    if (endpoint.transport === 'udp') throw new TypeError('StreamConnection.connect: udp is not a stream');
    const what = endpoint.transport === 'unix' ? `connect unix ${endpoint.path}` : `connect ${endpoint.transport} ${formatHostPort(endpoint.host, endpoint.port)}`;
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
      const onAbort = (): void => fail(createError('ECANCELED', `${what}: cancelled`));
      const timer = setTimeout(() => fail(createError('ETIMEDOUT', `${what}: timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      socket.on('error', onError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once(ready, () => {
        cleanup();
        const path = endpoint.transport === 'unix' ? endpoint.path : undefined;
        const conn = new StreamConnection(socket, bus.nextId('c'), endpoint.transport, bus, undefined, path);
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
   * Wraps a socket that a listener accepted. Call in the `'connection'` handler, so the error
   * listener is attached in the tick that created the socket.
   */
  static accept(socket: Socket, transport: Transport, listenerId: string, bus: TrafficBus, path?: string): StreamConnection {
    return new StreamConnection(socket, bus.nextId('c'), transport, bus, listenerId, path);
  }

  /** Handles socket errors: remembers the first, reports it, wakes waiting receives. */
  private attachErrorHandler(): void {
    this.socket.on('error', (err) => {
      const e = fromNodeError(err, `${this.transport} ${this.remote}`);
      this.failure ??= e;
      this.bus.emit({ type: 'error', id: this.id, code: e.code, message: e.message });
      this.changed.notify();
    });
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

  /** Bytes received so far. */
  get bytesIn(): number {
    return this.bytesInTotal;
  }

  /** Bytes written so far. */
  get bytesOut(): number {
    return this.bytesOutTotal;
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
    this.bytesOutTotal += data.length;
    this.bus.emitData(this.id, 'out', data);
    // The common case, a socket buffer with room, needs no waiting (and no async frame).
    if (this.socket.write(data)) return RESOLVED;
    return this.waitForDrain(data.length, opts);
  }

  private async waitForDrain(bytes: number, opts: WaitOptions): Promise<void> {
    let drained = false;
    const onDrain = (): void => {
      drained = true;
      this.changed.notify();
    };
    this.socket.once('drain', onDrain);
    try {
      await this.changed.waitFor(() => {
        if (drained) return true;
        if (this.failure) throw this.failure;
        if (this.closed) throw createError('ECLOSED', `send on ${this.id}: the connection closed while sending`);
        return undefined;
      }, opts, `send ${bytes} bytes`);
    } finally {
      this.socket.off('drain', onDrain);
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
    this.resumeIfRoom();
    return out;
  }

  private resumeIfRoom(): void {
    if (this.socket.isPaused() && this.queued < Math.max(RECV_HIGH_WATER, this.demand)) this.socket.resume();
  }

  /** Runs a wait while declaring how many bytes it may need queued, so reading is not paused early. */
  private async withDemand<T>(bytes: number, wait: () => Promise<T>): Promise<T> {
    this.demand = bytes;
    this.resumeIfRoom();
    try {
      return await wait();
    } finally {
      this.demand = 0;
    }
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
    let searched = 0;
    return this.withDemand(max, () =>
      this.changed.waitFor(() => {
        if (this.queue.length > 1) this.queue.splice(0, this.queue.length, Buffer.concat(this.queue));
        const buf = this.queue[0];
        if (buf) {
          const at = buf.indexOf(delimiter, Math.max(0, searched - delimiter.length + 1));
          if (at >= 0) return this.take(at + delimiter.length);
          searched = buf.length;
          if (buf.length > max) throw createError('ETOOBIG', `${what}: no delimiter in the first ${max} bytes`);
        }
        if (this.failure) throw this.failure;
        if (this.peerEnded || this.closed) {
          throw createError('EOF', `${what}: the peer closed the connection before the delimiter arrived (got ${this.queued} bytes)`);
        }
        return undefined;
      }, opts, what),
    );
  }

  /**
   * Receives until the peer closes its side (FIN) and returns everything, like a `recv` loop
   * that stops at `b''`.
   *
   * @throws SocketLabError `ETOOBIG` past `opts.maxBytes`, `ETIMEDOUT`, `ECONNRESET`, `ECANCELED`
   */
  recvAll(opts: RecvOptions): Promise<Buffer> {
    const max = opts.maxBytes ?? RECV_MAX_BYTES;
    return this.withDemand(max, () =>
      this.changed.waitFor(() => {
        if (this.queued > max) throw createError('ETOOBIG', `recv all: the peer sent more than ${max} bytes`);
        if (this.peerEnded || this.closed) return this.queued > 0 ? this.take(this.queued) : Buffer.alloc(0);
        if (this.failure) throw this.failure;
        return undefined;
      }, opts, 'recv all'),
    );
  }

  /**
   * Receives exactly `n` bytes, like a `recv` loop that stops at `n` (`MSG_WAITALL`).
   *
   * @throws SocketLabError `EOF` when the peer closes first (the message says how many bytes
   *   came), `ETIMEDOUT`, `ECONNRESET`, `ECANCELED`
   */
  recvExactly(n: number, opts: WaitOptions): Promise<Buffer> {
    if (n > RECV_MAX_BYTES) return Promise.reject(createError('ETOOBIG', `recv exactly ${n}: at most ${RECV_MAX_BYTES} bytes`));
    return this.withDemand(n, () =>
      this.changed.waitFor(() => {
        if (this.queued >= n) return this.take(n);
        if (this.failure) throw this.failure;
        if (this.peerEnded || this.closed) throw createError('EOF', `recv exactly ${n}: the peer closed the connection after ${this.queued} of ${n} bytes`);
        return undefined;
      }, opts, `recv exactly ${n}`),
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
  async echo(opts: WaitOptions): Promise<number> {
    const before = this.bytesOutTotal;
    // What arrived before the echo began is sent back first.
    while (this.queued > 0) this.echoChunk(this.take(undefined), Date.now());
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
        if (this.echoTimedOut) throw createError('ETIMEDOUT', `echo: no data for ${opts.timeoutMs} ms`);
        return undefined;
      }, { ...opts, timeoutMs: MAX_TIMER_MS }, 'echo');
      return this.bytesOutTotal - before;
    } finally {
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

  /** Writes a chunk back; `ts` is the stamp of its arrival, in this same tick. */
  private echoChunk(chunk: Buffer, ts: number): void {
    if (this.socket.writableEnded || this.closed) return;
    this.bytesOutTotal += chunk.length;
    this.bus.emitData(this.id, 'out', chunk, ts);
    if (!this.socket.write(chunk)) {
      this.socket.pause();
      this.socket.once('drain', () => {
        // A peer that reads again counts as traffic, as a completed write refreshes Node's socket timer.
        this.echoActiveAt = performance.now();
        this.socket.resume();
      });
    }
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
    if (this.closed || this.socket.writableEnded) return false;
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
}
