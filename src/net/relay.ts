/**
 * A relay of one accepted stream connection to an upstream, as `socat TCP-LISTEN:… TCP:…` relays
 * each client: it connects to the upstream, then forwards both ways
 * ({@link StreamConnection.forward}) until both peers have closed, passing each FIN on. Both legs
 * report on the same traffic bus; the upstream leg's `open` names the client's leg (`via`), so the
 * capture, the traffic view and the tree show them as one conversation (and pcapng as two flows).
 */
import { formatEndpoint, type Endpoint } from './address';
import { SocketLabError } from './errors';
import { DatagramSocket, type Datagram } from './datagram';
import { udpPeerId } from './registry';
import { MAX_TIMER_MS } from './wait';
import { StreamConnection } from './stream';
import type { TlsClientOptions } from './tlsInfo';
import type { TrafficBus } from './traffic';

/** What a relay needs besides its two ends. */
export interface RelayOptions {
  readonly bus: TrafficBus;
  /** How long the connect to the upstream may take (ms). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** For a TLS upstream: how to verify it (the host name, `insecure`, a CA). */
  readonly tls?: TlsClientOptions;
  /** What each chunk becomes on its way: `up` the client's, `down` the upstream's (a relay's rewrites). */
  readonly rewrite?: { readonly up?: (chunk: Buffer) => Buffer; readonly down?: (chunk: Buffer) => Buffer };
  /**
   * When given, the upstream's bytes do not flow to the client on the data path: each chunk (after
   * the `down` rewrite) is read and handed here, which sends it to the client its own way (a
   * relay's faults: a delay, a drip, a cut) and resolves with the bytes it sent, and `end` when the
   * relay must stop there.
   */
  readonly pumpDown?: (chunk: Buffer) => Promise<{ readonly sent: number; readonly end: boolean }>;
}

/**
 * A relay's upstream leg for `client`, its `open` naming the client's leg (`via`).
 * @throws SocketLabError the connect's errors, the message naming the upstream; the client, which
 *   learns nothing went through, is then reset
 */
async function connectUpstream(client: StreamConnection, upstream: Endpoint, opts: RelayOptions): Promise<StreamConnection> {
  try {
    return await StreamConnection.connect(upstream, { timeoutMs: opts.timeoutMs, via: client.id, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.tls ? { tls: opts.tls } : {}) }, opts.bus);
  } catch (err) {
    client.reset();
    if (err instanceof SocketLabError) throw new SocketLabError(err.code, `forward to ${formatEndpoint(upstream)}: ${err.message}`, err.errno, { cause: err });
    throw err;
  }
}

/**
 * The upstream's bytes to the client: on the data path ({@link StreamConnection.forward}), or
 * through `opts.pumpDown`, chunk by chunk as `up` receives them, then a FIN.
 * @returns the bytes that went down
 */
function downward(up: StreamConnection, client: StreamConnection, opts: RelayOptions): Promise<number> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  if (!opts.pumpDown) return up.forward(client, { timeoutMs: 0, ...signal }, opts.rewrite?.down);
  const pump = opts.pumpDown;
  return (async () => {
    let n = 0;
    for (;;) {
      const chunk = await up.recv(undefined, { timeoutMs: MAX_TIMER_MS, ...signal });
      if (chunk.length === 0) break;
      const out = opts.rewrite?.down ? opts.rewrite.down(chunk) : chunk;
      const r = await pump(out);
      n += r.sent;
      if (r.end) {
        up.reset();
        return n;
      }
    }
    client.shutdown();
    return n;
  })();
}

/** What a relay did. */
export interface RelayResult {
  /** The upstream leg's bus id (`c7`). */
  readonly upstream: string;
  /** Bytes the client sent that went upstream, and the upstream's bytes that went back (a UDP relay's answers go back later: absent). */
  readonly up: number;
  readonly down?: number;
}

/**
 * Relays `client` to `upstream` until both directions are done. When either leg fails (a reset,
 * an idle limit) the other is reset too (a RST on TCP), as a relay cannot finish a conversation
 * one side broke, and a client whose upstream refuses is reset;
 * the upstream leg is closed when the relay ends, the client's leg is left to its owner.
 *
 * @throws SocketLabError the upstream connect's errors (`ECONNREFUSED`, `ETIMEDOUT`, TLS
 *   verification errors …), with the message naming the upstream; `ECONNRESET` or `ETIMEDOUT`
 *   from either leg; `ECANCELED`
 */
export async function relay(client: StreamConnection, upstream: Endpoint, opts: RelayOptions): Promise<RelayResult> {
  const up = await connectUpstream(client, upstream, opts);
  const wait = { timeoutMs: 0, ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    const [sent, back] = await Promise.all([
      client.forward(up, wait, opts.rewrite?.up).catch((err: unknown) => fail(err, up, client)),
      downward(up, client, opts).catch((err: unknown) => fail(err, client, up)),
    ]);
    return { upstream: up.id, up: sent, down: back };
  } finally {
    await up.close();
  }
}

/**
 * A relay's upstream leg whose client-to-upstream direction the caller drives (a relay with rules
 * answers some messages itself and sends the others on); the upstream's bytes go to the client as
 * they come, as {@link relay} forwards them.
 */
export interface UpstreamLeg {
  /** The upstream connection's bus id. */
  readonly id: string;
  /** Sends bytes to the upstream (after the `up` rewrite). */
  send(data: Buffer): Promise<void>;
  /**
   * Passes the client's FIN on, waits until the upstream's bytes have all gone to the client,
   * then closes the leg.
   * @returns the bytes sent up and back
   * @throws SocketLabError as {@link relay} does
   */
  finish(): Promise<{ up: number; down: number }>;
  /** Resets the leg (the client's connection was reset or its session failed). */
  abort(): void;
}

/**
 * Connects to `upstream` for `client` and starts forwarding the upstream's bytes to it.
 * @throws SocketLabError the connect's errors, naming the upstream; the client is then reset
 */
export async function openUpstream(client: StreamConnection, upstream: Endpoint, opts: RelayOptions): Promise<UpstreamLeg> {
  const up = await connectUpstream(client, upstream, opts);
  const down = downward(up, client, opts).catch((err: unknown) => fail(err, client, up));
  // Settled now or later, a failure is reported by finish(); this keeps it from being unhandled.
  down.catch(() => undefined);
  let sent = 0;
  return {
    id: up.id,
    send: async (data) => {
      const out = opts.rewrite?.up ? opts.rewrite.up(data) : data;
      sent += out.length;
      await up.send(out, { timeoutMs: MAX_TIMER_MS, ...(opts.signal ? { signal: opts.signal } : {}) });
    },
    finish: async () => {
      up.shutdown();
      try {
        return { up: sent, down: await down };
      } finally {
        await up.close();
      }
    },
    abort: () => up.reset(),
  };
}

/** Peers a UDP relay keeps a session for at once; a new peer past this closes the longest idle. */
export const DATAGRAM_RELAY_PEERS = 256;
/** How long a UDP relay keeps a peer's upstream socket after its last datagram either way (ms). */
export const DATAGRAM_RELAY_IDLE_MS = 60_000;

/**
 * A UDP relay's sessions, one per peer of the listener, as `socat UDP-LISTEN:…,fork UDP:…` keeps
 * them: the first datagram from a peer opens a socket connected to the upstream (its `open` event
 * names the peer, `via`), every datagram from that peer goes out on it, and every datagram the
 * upstream sends back on it goes to that peer from the listener's address. A session ends after
 * {@link DATAGRAM_RELAY_IDLE_MS} without a datagram either way, when
 * {@link DATAGRAM_RELAY_PEERS} others are newer, or when the listener closes.
 */
export class DatagramRelay {
  private static readonly relays = new WeakMap<DatagramSocket, DatagramRelay>();
  /** Each peer's upstream socket, oldest first (a session moves to the end when used). */
  private readonly peers = new Map<string, { socket: Promise<DatagramSocket>; timer: ReturnType<typeof setTimeout> | undefined }>();

  private constructor(
    private readonly listener: DatagramSocket,
    private readonly upstream: Endpoint & { transport: 'udp' },
    private readonly opts: RelayOptions,
  ) {
    listener.onClose = () => this.close();
  }

  /** The relay of `listener` to `upstream`, made on its first datagram. */
  static of(listener: DatagramSocket, upstream: Endpoint & { transport: 'udp' }, opts: RelayOptions): DatagramRelay {
    let r = DatagramRelay.relays.get(listener);
    if (!r) DatagramRelay.relays.set(listener, (r = new DatagramRelay(listener, upstream, opts)));
    return r;
  }

  /**
   * Sends a datagram the listener received on to the upstream, in its sender's session.
   * @returns the session's upstream socket id and the bytes sent
   * @throws SocketLabError the upstream socket's errors (`ENOTFOUND`, `ECONNREFUSED` from an earlier ICMP error …)
   */
  async forward(d: Datagram): Promise<{ upstream: string; bytes: number }> {
    let session = this.peers.get(d.from);
    if (session) this.peers.delete(d.from);
    else {
      while (this.peers.size >= DATAGRAM_RELAY_PEERS) this.end(this.peers.keys().next().value as string);
      const socket = DatagramSocket.connect(this.upstream.host, this.upstream.port, this.opts.bus, { via: udpPeerId(this.listener.id, d.from) });
      session = { socket, timer: undefined };
      socket.then(
        (s) => {
          s.onDatagram = (reply) => {
            this.touch(d.from);
            const out = this.opts.rewrite?.down ? this.opts.rewrite.down(reply.payload) : reply.payload;
            void this.listener.send(out, d).catch(() => undefined);
          };
        },
        () => this.peers.delete(d.from),
      );
    }
    this.peers.set(d.from, session);
    this.touch(d.from);
    const s = await session.socket;
    const out = this.opts.rewrite?.up ? this.opts.rewrite.up(d.payload) : d.payload;
    await s.send(out);
    return { upstream: s.id, bytes: out.length };
  }

  /** Restarts a session's idle timer. */
  private touch(peer: string): void {
    const session = this.peers.get(peer);
    if (!session) return;
    clearTimeout(session.timer);
    session.timer = setTimeout(() => this.end(peer), DATAGRAM_RELAY_IDLE_MS);
    session.timer.unref?.();
  }

  private end(peer: string): void {
    const session = this.peers.get(peer);
    if (!session) return;
    this.peers.delete(peer);
    clearTimeout(session.timer);
    session.socket.then((s) => s.close(), () => undefined);
  }

  /** Ends every session. */
  close(): void {
    for (const peer of [...this.peers.keys()]) this.end(peer);
  }
}

/** One leg failed: the other is reset, and the error goes on. */
function fail(err: unknown, other: StreamConnection, failed: StreamConnection): never {
  other.reset();
  failed.destroy();
  throw err;
}
