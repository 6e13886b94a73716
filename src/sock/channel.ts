/**
 * The runner's view of a connection: one interface over a TCP/Unix stream, a connected UDP
 * client, and one datagram handled by a UDP listener, so a block's steps run the same way on each.
 */
import type { Endpoint } from '../net/address';
import { createError } from '../net/errors';
import { DatagramRelay, openUpstream, relay, type RelayOptions, type RelayResult, type UpstreamLeg } from '../net/relay';
import type { Datagram, DatagramSocket } from '../net/datagram';
import type { RecvOptions, StreamConnection } from '../net/stream';
import type { TlsClientOptions, TlsSummary } from '../net/tlsInfo';
import type { WaitOptions } from '../net/wait';

/** What the steps of a block can do with its connection. */
export interface Channel {
  /** The socket's id on the traffic bus, e.g. `c3`. */
  readonly id: string;
  /** Resolves when the socket took `data`; `SENT` (net/wait) itself when it took it at once. */
  send(data: Buffer, opts: WaitOptions): Promise<void>;
  /** The next chunk or datagram; up to `max` bytes when given. */
  recv(max: number | undefined, opts: WaitOptions): Promise<Buffer>;
  recvUntil(delimiter: Buffer, opts: RecvOptions): Promise<Buffer>;
  recvAll(opts: RecvOptions): Promise<Buffer>;
  /** Exactly `n` bytes; `opts.label` names the step in errors (default `recv exactly N`). */
  recvExactly(n: number, opts: WaitOptions & { readonly label?: string }): Promise<Buffer>;
  /** Aborts a stream connection: a RST on TCP ({@link StreamConnection.reset}); absent for datagrams. */
  reset?(): void;
  /** Half-closes the sending side (FIN), as `shutdown(SHUT_WR)`; streams only. False if already done. */
  shutdown(): boolean;
  /** Sends back what the peer sends; resolves with the byte count. */
  echo(opts: WaitOptions): Promise<number>;
  close(): Promise<void>;
  /** The negotiated TLS session, for a TLS stream; absent for any other connection. */
  readonly tls?: TlsSummary;
  /** True once the peer closed its side of a stream (its FIN); absent for datagrams. */
  readonly peerClosed?: boolean;
  /**
   * Where the bytes the last receive returned sit: the bus socket whose `in` data events carried
   * them, and the stream offset just past them (`DataEvent.offset`); a result of N bytes
   * began at `end - N`. Absent before the first receive.
   */
  readonly received?: { readonly id: string; readonly end: number };
  /** Relays the connection to an upstream ({@link relay}); absent where it cannot be (datagrams). */
  relay?(upstream: Endpoint, opts: RelayOptions): Promise<RelayResult>;
  /** Opens a relay's upstream leg whose upward bytes the caller sends ({@link openUpstream}); streams only. */
  openUpstream?(upstream: Endpoint, opts: RelayOptions): Promise<UpstreamLeg>;
  /** STARTTLS on a TCP stream ({@link StreamConnection.startTls}); absent where it cannot be. */
  startTls?(host: string, tls: TlsClientOptions, opts: WaitOptions): Promise<TlsSummary>;
}

/** A TCP or Unix stream connection. */
export class StreamChannel implements Channel {
  constructor(private readonly conn: StreamConnection) {}

  get id(): string {
    return this.conn.id;
  }

  send(data: Buffer, opts: WaitOptions): Promise<void> {
    return this.conn.send(data, opts);
  }

  recv(max: number | undefined, opts: WaitOptions): Promise<Buffer> {
    return this.conn.recv(max, opts);
  }

  recvUntil(delimiter: Buffer, opts: RecvOptions): Promise<Buffer> {
    return this.conn.recvUntil(delimiter, opts);
  }

  recvAll(opts: RecvOptions): Promise<Buffer> {
    return this.conn.recvAll(opts);
  }

  recvExactly(n: number, opts: WaitOptions & { readonly label?: string }): Promise<Buffer> {
    return this.conn.recvExactly(n, opts);
  }

  startTls(host: string, tls: TlsClientOptions, opts: WaitOptions): Promise<TlsSummary> {
    return this.conn.startTls(host, tls, opts);
  }

  relay(upstream: Endpoint, opts: RelayOptions): Promise<RelayResult> {
    return relay(this.conn, upstream, opts);
  }

  openUpstream(upstream: Endpoint, opts: RelayOptions): Promise<UpstreamLeg> {
    return openUpstream(this.conn, upstream, opts);
  }

  shutdown(): boolean {
    return this.conn.shutdown();
  }

  reset(): void {
    this.conn.reset();
  }

  /** Echoes until the peer closes its side; `opts.timeoutMs` bounds each wait for a chunk. */
  echo(opts: WaitOptions): Promise<number> {
    return this.conn.echo(opts);
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  get tls(): TlsSummary | undefined {
    return this.conn.tls;
  }

  get peerClosed(): boolean {
    return this.conn.peerClosed;
  }

  get received(): { id: string; end: number } {
    return { id: this.conn.id, end: this.conn.receivedEnd };
  }
}

function notForDatagrams(what: string): never {
  throw createError('EBADPAYLOAD', `${what} is for streams (TCP, Unix, TLS), not for UDP datagrams`);
}

/** What both datagram channels refuse: the stream-only operations. */
abstract class DatagramChannelBase {
  recvUntil(): Promise<Buffer> {
    return notForDatagrams('recv until');
  }

  recvAll(): Promise<Buffer> {
    return notForDatagrams('recv all');
  }

  recvExactly(): Promise<Buffer> {
    return notForDatagrams('recv exactly');
  }

  shutdown(): boolean {
    return notForDatagrams('shutdown');
  }
}

/** A UDP client connected to one peer. */
export class DatagramClientChannel extends DatagramChannelBase implements Channel {
  received: { id: string; end: number } | undefined;

  constructor(private readonly socket: DatagramSocket) {
    super();
  }

  get id(): string {
    return this.socket.id;
  }

  send(data: Buffer): Promise<void> {
    return this.socket.send(data);
  }

  async recv(max: number | undefined, opts: WaitOptions): Promise<Buffer> {
    const d = await this.socket.recv(max, opts);
    this.received = { id: this.socket.id, end: d.offset + d.payload.length };
    return d.payload;
  }

  async echo(): Promise<number> {
    return notForDatagrams('echo');
  }

  close(): Promise<void> {
    return this.socket.close();
  }
}

/**
 * One datagram received by a UDP listener: `recv` returns it, `send` answers its sender
 * (`sendto` the address `recvfrom` gave), `echo` sends it back.
 */
export class DatagramSessionChannel extends DatagramChannelBase implements Channel {
  private taken = false;
  received: { id: string; end: number } | undefined;

  constructor(
    private readonly socket: DatagramSocket,
    private readonly datagram: Datagram,
  ) {
    super();
  }

  get id(): string {
    return `${this.socket.id}/${this.datagram.from}`;
  }

  send(data: Buffer): Promise<void> {
    return this.socket.send(data, this.datagram);
  }

  async recv(max: number | undefined): Promise<Buffer> {
    if (this.taken) throw createError('EOF', 'a UDP listener runs its steps once per datagram; this recv has no second datagram');
    this.taken = true;
    const p = this.datagram.payload;
    const out = max !== undefined && p.length > max ? p.subarray(0, max) : p;
    this.received = { id: this.socket.id, end: this.datagram.offset + out.length };
    return out;
  }

  async echo(): Promise<number> {
    this.taken = true;
    await this.socket.send(this.datagram.payload, this.datagram);
    return this.datagram.payload.length;
  }

  /** Sends the datagram on in its sender's session of the listener's UDP relay ({@link DatagramRelay}). */
  async relay(upstream: Endpoint, opts: RelayOptions): Promise<RelayResult> {
    if (upstream.transport !== 'udp') throw createError('EBADPAYLOAD', 'a UDP listener forwards to a UDP upstream');
    this.taken = true;
    const r = await DatagramRelay.of(this.socket, { ...upstream, transport: 'udp' }, opts).forward(this.datagram);
    return { upstream: r.upstream, up: r.bytes };
  }

  async close(): Promise<void> {
    // The listener's socket stays open for the next datagram.
  }
}
