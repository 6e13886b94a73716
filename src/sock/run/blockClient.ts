/**
 * The connection of a `connect` block: a connected UDP socket, or a TCP, Unix or TLS stream, as
 * the block's endpoint, UDP and TLS lines say, wrapped as the {@link Channel} its steps use.
 */
import { type Endpoint } from '../../net/address';
import { DatagramSocket } from '../../net/datagram';
import { StreamConnection } from '../../net/stream';
import { describeTls } from '../../net/tlsInfo';
import type { TrafficBus } from '../../net/traffic';
import type { Block, Template } from '../ast';
import { DatagramClientChannel, StreamChannel, type Channel } from '../channel';
import { tlsClientOptions } from './tlsOptions';

/** A client connection just opened, and what the transcript says of it. */
export interface BlockClient {
  readonly channel: Channel;
  /** `LOCAL → REMOTE (ID)`, with the TLS session's summary for TLS. */
  readonly detail: string;
}

/** What opening a client needs from its run. */
export interface ClientOptions {
  readonly bus: TrafficBus;
  /** How long the connect (and a TLS handshake) may take; ms. */
  readonly timeoutMs: number;
  /** Ends the connect with `ECANCELED`. */
  readonly signal: AbortSignal;
  /** Expands a `ca FILE` path's `{{…}}`. */
  readonly expand: (t: Template) => string;
  /** The folder of the `.sock` file, for `ca FILE`. */
  readonly baseDir: string;
}

/**
 * Opens the connection of `block` to `ep`: for UDP a connected socket (`connect(2)` on a
 * datagram socket, `SO_BROADCAST` with the block's `broadcast`), else a stream (with TLS, the
 * block's TLS lines as {@link tlsClientOptions}).
 * @throws SocketLabError `ECONNREFUSED`, `ETIMEDOUT`, `ECANCELED`, a TLS verification error …
 *   as {@link StreamConnection.connect} and {@link DatagramSocket.connect} raise them; the `ca`
 *   file's errors.
 */
export async function connectBlockClient(block: Block, ep: Endpoint, o: ClientOptions): Promise<BlockClient> {
  // The block's `as NAME`, for the socket's events: the views show it first.
  const name = block.header?.name ? { name: block.header.name } : {};
  if (ep.transport === 'udp') {
    const socket = await DatagramSocket.connect(ep.host, ep.port, o.bus, { broadcast: block.udp.broadcast === true, ...name });
    return { channel: new DatagramClientChannel(socket), detail: `${socket.local} → ${socket.remote ?? ''} (${socket.id})` };
  }
  const tls = ep.transport === 'tls' ? await tlsClientOptions(block.tls, o.expand, o.baseDir) : undefined;
  const conn = await StreamConnection.connect(ep, { timeoutMs: o.timeoutMs, signal: o.signal, ...(tls ? { tls } : {}), ...name }, o.bus);
  const session = conn.tls ? `; ${describeTls(conn.tls, Boolean(tls?.insecure))}` : '';
  return { channel: new StreamChannel(conn), detail: `${conn.local} → ${conn.remote} (${conn.id})${session}` };
}
