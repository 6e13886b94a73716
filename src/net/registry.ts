/**
 * What is open right now: every listener, client and accepted connection, with its state and
 * byte counters, kept up to date from the traffic events of a {@link TrafficBus}. The sidebar tree
 * and the status bar read it; it holds no sockets itself.
 */
import type { Transport } from './address';
import type { TrafficBus, TrafficEvent } from './traffic';

/** The state of a listener or connection, as the tree shows it. */
export type EndpointState = 'listening' | 'open' | 'half-closed' | 'closed' | 'error';

/** Peers listed under one UDP listener at most; datagrams from further peers count on the listener only. */
export const UDP_PEERS_LISTED = 256;

/**
 * The id of a peer of a UDP listener: the listener's id and the peer's address as datagram events
 * give it (`u9:127.0.0.1:40312`, `u9:[::1]:40312`).
 */
export function udpPeerId(listenerId: string, peer: string): string {
  return `${listenerId}:${peer}`;
}

/**
 * One listener, client or accepted connection, or a peer of a UDP listener (a sender address it
 * received a datagram from: `recvfrom`'s address, where `sendto` replies).
 */
export interface EndpointRecord {
  readonly id: string;
  readonly kind: 'listener' | 'client' | 'accepted' | 'peer';
  readonly transport: Transport;
  /** The local address (`127.0.0.1:40123`, a socket path). */
  readonly local: string;
  /** The peer, for clients and accepted connections. */
  readonly remote?: string;
  /** For an accepted connection or a UDP peer, the id of its listener. */
  readonly listener?: string;
  /** For a relay's upstream leg (`forward`, a client): the accepted connection it carries, whose child it is. */
  readonly via?: string;
  /** The name a `.sock` file gave a listener or client (`as greeter`). */
  readonly name?: string;
  readonly state: EndpointState;
  /** Bytes received and sent; for a listener, over all its connections. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Connections accepted (listeners; for UDP, peers seen) and peers turned away. */
  readonly accepted: number;
  readonly dropped: number;
  /** The last error's message, when the state is `error`. */
  readonly error?: string;
  /** For TLS: the protocol, and whether the peer's certificate was verified. */
  readonly tls?: { readonly protocol: string; readonly verified: boolean };
  /** When it opened, ms since the epoch. */
  readonly since: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * How every view names a listener, client, accepted connection or UDP peer: the name a `.sock`
 * file gave it first, then its endpoint (`greeter · TCP 127.0.0.1:5000`, `TCP → 127.0.0.1:5000`,
 * an accepted connection or a peer by its remote address). The tree, the pickers and the traffic
 * view all show this; ids (`c3`) stay in tooltips and logs.
 */
export function endpointLabel(r: Pick<EndpointRecord, 'kind' | 'transport' | 'local' | 'remote' | 'name'>): string {
  const endpoint = r.kind === 'listener' ? `${r.transport.toUpperCase()} ${r.local}` : r.kind === 'accepted' || r.kind === 'peer' ? `${r.remote ?? '?'}` : `${r.transport.toUpperCase()} → ${r.remote ?? '?'}`;
  return r.name ? `${r.name} · ${endpoint}` : endpoint;
}

/** Keeps {@link EndpointRecord}s from traffic events; subscribers learn which ids changed. */
export class EndpointRegistry {
  private readonly records = new Map<string, Mutable<EndpointRecord>>();
  /** How many peers each UDP listener lists. */
  private readonly peersListed = new Map<string, number>();
  private readonly listeners = new Set<(ids: readonly string[]) => void>();
  private readonly unsubscribe: () => void;

  constructor(bus: TrafficBus) {
    this.unsubscribe = bus.subscribe((e) => this.apply(e));
  }

  /** Every record, in the order they opened. */
  all(): EndpointRecord[] {
    return [...this.records.values()];
  }

  /** One record by id. */
  get(id: string): EndpointRecord | undefined {
    return this.records.get(id);
  }

  /** The accepted connections (or UDP peers) of a listener. */
  childrenOf(id: string): EndpointRecord[] {
    return this.all().filter((r) => r.listener === id || r.via === id);
  }

  /** The record a record is listed under: an accepted connection's listener, a relay leg's accepted connection (while it is listed). */
  parentOf(id: string): string | undefined {
    const r = this.records.get(id);
    const parent = r?.listener ?? r?.via;
    return parent !== undefined && this.records.has(parent) ? parent : undefined;
  }

  /** Counts for the status bar: listeners listening, connections open or half-closed. */
  counts(): { listeners: number; connections: number } {
    let listeners = 0;
    let connections = 0;
    for (const r of this.records.values()) {
      if (r.kind === 'listener' && r.state === 'listening') listeners++;
      else if ((r.kind === 'client' || r.kind === 'accepted') && (r.state === 'open' || r.state === 'half-closed')) connections++;
    }
    return { listeners, connections };
  }

  /** Removes closed and failed records (the tree's "Clear closed"). */
  clearClosed(): void {
    const gone: string[] = [];
    for (const [id, r] of this.records) {
      if (r.state === 'closed' || r.state === 'error') {
        this.records.delete(id);
        gone.push(id);
      }
    }
    if (gone.length > 0) this.changed(gone);
  }

  /** Subscribes to changes; the returned function unsubscribes. */
  onDidChange(listener: (ids: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the bus. */
  dispose(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private changed(ids: readonly string[]): void {
    for (const l of this.listeners) l(ids);
  }

  /** The record of a UDP listener's peer, made on its first datagram while fewer than {@link UDP_PEERS_LISTED} are listed. */
  private peer(listener: Mutable<EndpointRecord>, address: string, ts: number): Mutable<EndpointRecord> | undefined {
    const id = udpPeerId(listener.id, address);
    const known = this.records.get(id);
    if (known) return known;
    const listed = this.peersListed.get(listener.id) ?? 0;
    if (listed >= UDP_PEERS_LISTED || listener.state !== 'listening') return undefined;
    this.peersListed.set(listener.id, listed + 1);
    listener.accepted++;
    const rec: Mutable<EndpointRecord> = { id, kind: 'peer', transport: 'udp', local: listener.local, remote: address, listener: listener.id, state: 'open', bytesIn: 0, bytesOut: 0, accepted: 0, dropped: 0, since: ts };
    this.records.set(id, rec);
    return rec;
  }

  private apply(e: TrafficEvent): void {
    const r = this.records.get(e.id);
    switch (e.type) {
      case 'listening':
        this.records.set(e.id, { id: e.id, kind: 'listener', transport: e.transport, local: e.local, state: 'listening', bytesIn: 0, bytesOut: 0, accepted: 0, dropped: 0, since: e.ts, ...(e.name ? { name: e.name } : {}) });
        this.changed([e.id]);
        return;
      case 'open': {
        const rec: Mutable<EndpointRecord> = { id: e.id, kind: e.listener ? 'accepted' : 'client', transport: e.transport, local: e.local, remote: e.remote, state: 'open', bytesIn: 0, bytesOut: 0, accepted: 0, dropped: 0, since: e.ts };
        if (e.listener) rec.listener = e.listener;
        if (e.via) rec.via = e.via;
        if (e.name) rec.name = e.name;
        this.records.set(e.id, rec);
        const parent = e.listener ? this.records.get(e.listener) : undefined;
        if (parent) parent.accepted++;
        this.changed(parent ? [e.id, parent.id] : [e.id]);
        return;
      }
      case 'data': {
        if (!r) return;
        // A UDP listener's datagrams count on it and on their peer, the child the tree lists.
        const child = r.kind === 'listener' && r.transport === 'udp' && e.peer !== undefined ? this.peer(r, e.peer, e.ts) : undefined;
        const parent = child ? r : r.listener ? this.records.get(r.listener) : undefined;
        const own = child ?? r;
        if (e.direction === 'in') {
          own.bytesIn += e.payload.length;
          if (parent) parent.bytesIn += e.payload.length;
        } else {
          own.bytesOut += e.payload.length;
          if (parent) parent.bytesOut += e.payload.length;
        }
        this.changed(parent ? [own.id, parent.id] : [own.id]);
        return;
      }
      case 'half-close':
        if (r && r.state === 'open') {
          r.state = 'half-closed';
          this.changed([r.id]);
        }
        return;
      case 'close':
        if (r && r.state !== 'error') {
          r.state = 'closed';
          this.changed([r.id]);
        }
        if (r?.kind === 'listener' && this.peersListed.delete(r.id)) {
          // A UDP listener's peers go with it.
          const peers = this.childrenOf(r.id).filter((c) => c.kind === 'peer' && c.state === 'open');
          for (const c of peers) (c as Mutable<EndpointRecord>).state = 'closed';
          if (peers.length > 0) this.changed(peers.map((c) => c.id));
        }
        return;
      case 'error':
        if (r) {
          r.state = 'error';
          r.error = e.message;
          this.changed([r.id]);
        }
        return;
      case 'drop':
        if (r) {
          r.dropped++;
          this.changed([r.id]);
        }
        return;
      case 'tls':
        if (r) {
          r.tls = { protocol: e.session.protocol, verified: e.session.verified && !e.insecure };
          this.changed([r.id]);
        }
        return;
    }
  }
}
