/**
 * The listener of a `listen` block: a bound UDP socket whose datagrams each start a session, or
 * a TCP, Unix or TLS stream listener whose connections each start one, with the block's policy
 * (`max-conns`, `allow`/`deny`, `idle-timeout`, `remove-stale`), UDP and TLS lines.
 */
import { formatHostPort, formatUnixPath, parseHostPort, type Endpoint } from '../../net/address';
import { DatagramSocket } from '../../net/datagram';
import { StreamListener } from '../../net/listener';
import { AddressFilter } from '../../net/policy';
import type { TrafficBus } from '../../net/traffic';
import type { Block, Template } from '../ast';
import { DatagramSessionChannel, StreamChannel, type Channel } from '../channel';
import type { ListenerInfo } from '../scope';
import { tlsServerOptions } from './tlsOptions';

/** A listener just started. */
export interface BlockListener {
  /** Its id on the traffic bus. */
  readonly id: string;
  /** Where it listens, as later blocks see it (`{{name}}`, `{{name.port}}` …). */
  readonly info: ListenerInfo;
  /** What the transcript adds for TLS: `; self-signed certificate …` or `; certificate PATH`; else empty. */
  readonly note: string;
  /** Stops listening and closes its connections (a Unix listener removes its socket file). Safe to call twice. */
  close(): Promise<void>;
}

/** What starting a listener needs from its run. */
export interface ListenerOptions {
  readonly bus: TrafficBus;
  /** Expands a `cert`/`key` path's `{{…}}`. */
  readonly expand: (t: Template) => string;
  /** The folder of the `.sock` file, for `cert` and `key`. */
  readonly baseDir: string;
  /**
   * Runs the block's steps for one accepted connection, or one datagram from a UDP peer;
   * `session` is the connection's bus id or the datagram's sender (`HOST:PORT`). Resolves when
   * the session ends (a UDP listener counts running sessions against `max-conns`).
   */
  readonly onSession: (channel: Channel, session: string) => Promise<void>;
}

/** The block's `as NAME`, for the socket's events. */
function named(block: Block): { name?: string } {
  return block.header?.name ? { name: block.header.name } : {};
}

/**
 * Starts the listener of `block` on `ep`: UDP binds (`bind(2)`, with `broadcast` and
 * `join GROUP`), streams listen ({@link StreamListener.listen}; with TLS, the block's certificate
 * as {@link tlsServerOptions}).
 * @throws SocketLabError `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL` … as the bind raises them; the
 *   `cert` and `key` files' errors.
 */
export async function openBlockListener(block: Block, ep: Endpoint, o: ListenerOptions): Promise<BlockListener> {
  const p = block.policy;
  const filter = p.allow.length + p.deny.length > 0 ? new AddressFilter(p) : undefined;
  if (ep.transport === 'udp') {
    const maxSessions = p.maxConnections !== undefined ? { maxSessions: p.maxConnections } : {};
    const socket = await DatagramSocket.bind(ep.host, ep.port, o.bus, filter, { broadcast: block.udp.broadcast === true, groups: block.udp.groups, ...maxSessions, ...named(block) });
    socket.onSession = (d) => o.onSession(new DatagramSessionChannel(socket, d), d.from);
    const { host, port } = parseHostPort(socket.local);
    return { id: socket.id, info: { host, port, address: socket.local }, note: '', close: () => socket.close() };
  }
  const tls = ep.transport === 'tls' ? await tlsServerOptions(block.tls, ep.host, o.expand, o.baseDir) : undefined;
  const options = {
    ...(p.maxConnections !== undefined ? { maxConnections: p.maxConnections } : {}),
    ...(p.idleTimeoutMs !== undefined ? { idleTimeoutMs: p.idleTimeoutMs } : {}),
    ...(filter ? { filter } : {}),
    ...(tls ? { tls: tls.options } : {}),
    removeStale: p.removeStale === true,
    ...named(block),
  };
  const listener = await StreamListener.listen(ep, options, o.bus, (conn) => void o.onSession(new StreamChannel(conn), conn.id));
  const bound = listener.endpoint;
  const info = bound.transport === 'unix' ? { path: formatUnixPath(bound.path), address: formatUnixPath(bound.path) } : { host: bound.host, port: bound.port, address: formatHostPort(bound.host, bound.port) };
  return { id: listener.id, info, note: tls ? `; ${tls.note}` : '', close: () => listener.close() };
}
