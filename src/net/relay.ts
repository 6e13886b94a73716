/**
 * A relay of one accepted stream connection to an upstream, as `socat TCP-LISTEN:… TCP:…` relays
 * each client: it connects to the upstream, then forwards both ways
 * ({@link StreamConnection.forward}) until both peers have closed, passing each FIN on. Both legs
 * report on the same traffic bus; the upstream leg's `open` names the client's leg (`via`), so the
 * capture, the traffic view and the tree show them as one conversation (and pcapng as two flows).
 */
import { formatHostPort, formatUnixPath, type Endpoint } from './address';
import { SocketLabError } from './errors';
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
}

/** What a relay did. */
export interface RelayResult {
  /** The upstream leg's bus id (`c7`). */
  readonly upstream: string;
  /** Bytes the client sent that went upstream, and the upstream's bytes that went back. */
  readonly up: number;
  readonly down: number;
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
  const where = upstream.transport === 'unix' ? `unix ${formatUnixPath(upstream.path)}` : `${upstream.transport} ${formatHostPort(upstream.host, upstream.port)}`;
  let up: StreamConnection;
  try {
    up = await StreamConnection.connect(upstream, { timeoutMs: opts.timeoutMs, via: client.id, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.tls ? { tls: opts.tls } : {}) }, opts.bus);
  } catch (err) {
    // The client learns nothing went through: its connection is reset.
    client.reset();
    if (err instanceof SocketLabError) throw new SocketLabError(err.code, `forward to ${where}: ${err.message}`, err.errno, { cause: err });
    throw err;
  }
  const wait = { timeoutMs: 0, ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    const [sent, back] = await Promise.all([
      client.forward(up, wait, opts.rewrite?.up).catch((err: unknown) => fail(err, up, client)),
      up.forward(client, wait, opts.rewrite?.down).catch((err: unknown) => fail(err, client, up)),
    ]);
    return { upstream: up.id, up: sent, down: back };
  } finally {
    await up.close();
  }
}

/** One leg failed: the other is reset, and the error goes on. */
function fail(err: unknown, other: StreamConnection, failed: StreamConnection): never {
  other.reset();
  failed.destroy();
  throw err;
}
