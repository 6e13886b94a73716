/**
 * What is open right now: every listener, client and accepted connection, with its state and
 * byte counters, kept up to date from the traffic events of a {@link TrafficBus}. The sidebar tree
 * and the status bar read it; it holds no sockets itself.
 */
import type { Transport } from './address';
import type { TrafficBus, TrafficEvent } from './traffic';

/** The state of a listener or connection, as the tree shows it. */
export type EndpointState = 'listening' | 'open' | 'half-closed' | 'closed' | 'error';

/** One listener, client or accepted connection. */
export interface EndpointRecord {
  readonly id: string;
  readonly kind: 'listener' | 'client' | 'accepted';
  readonly transport: Transport;
  /** The local address (`127.0.0.1:40123`, a socket path). */
  readonly local: string;
  /** The peer, for clients and accepted connections. */
  readonly remote?: string;
  /** For an accepted connection, the id of its listener. */
  readonly listener?: string;
  readonly state: EndpointState;
  /** Bytes received and sent; for a listener, over all its connections. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Connections accepted (listeners) and peers turned away. */
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

/** Keeps {@link EndpointRecord}s from traffic events; subscribers learn which ids changed. */
export class EndpointRegistry {
  private readonly records = new Map<string, Mutable<EndpointRecord>>();
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

  /** The accepted connections of a listener. */
  childrenOf(listenerId: string): EndpointRecord[] {
    return this.all().filter((r) => r.listener === listenerId);
  }

  /** Counts for the status bar: listeners listening, connections open or half-closed. */
  counts(): { listeners: number; connections: number } {
    let listeners = 0;
    let connections = 0;
    for (const r of this.records.values()) {
      if (r.kind === 'listener' && r.state === 'listening') listeners++;
      else if (r.kind !== 'listener' && (r.state === 'open' || r.state === 'half-closed')) connections++;
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

  private apply(e: TrafficEvent): void {
    const r = this.records.get(e.id);
    switch (e.type) {
      case 'listening':
        this.records.set(e.id, { id: e.id, kind: 'listener', transport: e.transport, local: e.local, state: 'listening', bytesIn: 0, bytesOut: 0, accepted: 0, dropped: 0, since: e.ts });
        this.changed([e.id]);
        return;
      case 'open': {
        const rec: Mutable<EndpointRecord> = { id: e.id, kind: e.listener ? 'accepted' : 'client', transport: e.transport, local: e.local, remote: e.remote, state: 'open', bytesIn: 0, bytesOut: 0, accepted: 0, dropped: 0, since: e.ts };
        if (e.listener) rec.listener = e.listener;
        this.records.set(e.id, rec);
        const parent = e.listener ? this.records.get(e.listener) : undefined;
        if (parent) parent.accepted++;
        this.changed(parent ? [e.id, parent.id] : [e.id]);
        return;
      }
      case 'data': {
        if (!r) return;
        const parent = r.listener ? this.records.get(r.listener) : undefined;
        if (e.direction === 'in') {
          r.bytesIn += e.payload.length;
          if (parent) parent.bytesIn += e.payload.length;
        } else {
          r.bytesOut += e.payload.length;
          if (parent) parent.bytesOut += e.payload.length;
        }
        this.changed(parent ? [r.id, parent.id] : [r.id]);
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
