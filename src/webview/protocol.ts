/**
 * The messages between the traffic view's host (the extension) and its page (the webview), as one
 * discriminated union per direction. Shared by both sides, so it uses neither Node nor the DOM.
 *
 * The page says `ready` first; only then does the host post `init` and, in batches at most every
 * ~50 ms, `events`. Messages from the page are untrusted input: the host acts on them only after
 * {@link parsePageMessage} accepts them.
 */

/** Which way bytes went: `in` from the peer, `out` to the peer. */
export type Direction = 'in' | 'out';

/** The kinds of traffic event the view shows (the socket core's `TrafficEvent` types). */
export type WireKind = 'listening' | 'open' | 'data' | 'half-close' | 'close' | 'error' | 'drop' | 'tls' | 'mark';

/** One traffic event as the page receives it. */
export interface WireEvent {
  /** Increases by one per event the host saw; a gap means events the view did not get. */
  readonly seq: number;
  /** Wall-clock time, ms since the epoch. */
  readonly ts: number;
  /** The connection, listener or datagram socket (`c3`, `l1`). */
  readonly id: string;
  readonly kind: WireKind;
  /** For `data`, `mark` and `half-close`. */
  readonly direction?: Direction;
  /** For `data`: the payload's full length in bytes; for `mark`: the bytes marked. */
  readonly bytes?: number;
  /** For `data` and `mark`: the stream offset of the first byte (the socket core's `DataEvent.offset`). */
  readonly offset?: number;
  /** For `mark`: a frame a block read, or a field a capture or expectation looked at. */
  readonly mark?: 'frame' | 'field';
  /** For `mark`: what read the bytes (`recv frame u16`, `id = "4660"`), at most {@link LABEL_MAX} characters. */
  readonly label?: string;
  /** For `data`: the payload as base64, at most {@link VIEW_PAYLOAD_MAX} bytes of it. */
  readonly payload?: string;
  /** For a datagram: the peer's address. */
  readonly peer?: string;
  /** For `open` of an accepted connection: the listener that accepted it. */
  readonly listener?: string;
  /** For `open` of a relay's upstream leg: the accepted connection it carries. */
  readonly via?: string;
  /** What happened, in words, for every kind but `data` (`accepted from 127.0.0.1:50312`). */
  readonly summary?: string;
}

/** Characters of a mark's label the view receives. */
export const LABEL_MAX = 200;

/** Bytes of one payload that the view receives; the rest is counted, and in every export. */
export const VIEW_PAYLOAD_MAX = 64 * 1024;

/** A listener, client, accepted connection, datagram socket or UDP listener's peer, for the filter and the send box. */
export interface WireConnection {
  readonly id: string;
  readonly kind: 'listener' | 'client' | 'accepted' | 'peer';
  readonly transport: string;
  /** As the tree shows it (`endpointLabel`): `greeter · TCP 127.0.0.1:5000`, `TCP → 127.0.0.1:5000`, `127.0.0.1:40312`. */
  readonly label: string;
  /** The name a `.sock` file gave it, which its rows show in place of the id. */
  readonly name?: string;
  /** For an accepted connection or a UDP peer, its listener's id. */
  readonly listener?: string;
  /** For a relay's upstream leg: the accepted connection it carries. */
  readonly via?: string;
  /** For a UDP listener's peer: its address, as the listener's datagram events give it (`peer`). */
  readonly peer?: string;
  /** True while bytes can be sent on it from the send box. */
  readonly canSend: boolean;
}

/**
 * Events as they cross to the page: one JSON text of the array. Every hop of a webview message
 * (extension host, renderer, the webview's frames) copies it; one string of 100,000 events copies
 * and parses several times faster than 100,000 objects are cloned.
 */
export function eventsText(events: readonly WireEvent[]): string {
  return JSON.stringify(events);
}

/** The events of an {@link eventsText}; an empty list for text that is not one (the page ignores it). */
export function readEventsText(text: unknown): WireEvent[] {
  if (typeof text !== 'string') return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as WireEvent[]) : [];
  } catch {
    return [];
  }
}

/** The host's messages. */
export type HostMessage =
  | {
      readonly type: 'init';
      /** The traffic history (the bounded capture), oldest first, as {@link eventsText}. */
      readonly events: string;
      readonly connections: readonly WireConnection[];
      /** Events the history had already dropped before this view opened. */
      readonly dropped: number;
      /** Show only this connection or listener (from the tree's "Show Traffic"), or all. */
      readonly focus: string | null;
    }
  | { readonly type: 'events'; /** As {@link eventsText}. */ readonly events: string; /** Events the host could not deliver (the page fell behind). */ readonly dropped: number }
  | { readonly type: 'connections'; readonly connections: readonly WireConnection[] }
  | { readonly type: 'focus'; readonly focus: string | null }
  | { readonly type: 'sendResult'; readonly ok: boolean; readonly message: string };

/** The export formats: JSON lines, a replayable `.sock` block, a mock of the servers with its replay, a pcapng file. */
export type ExportFormat = 'jsonl' | 'sock' | 'mock' | 'pcapng';

/** The page's messages. */
export type PageMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'send'; readonly connection: string; /** In the `.sock` payload syntax: text with escapes, `hex …`, `base64 …`. */ readonly payload: string }
  | { readonly type: 'export'; readonly format: ExportFormat; /** The connection filter: a connection or listener id, or null for all. */ readonly connection: string | null };

/** The longest payload text the send box may post (characters). */
export const SEND_TEXT_MAX = 1024 * 1024;

/** Ids: `c3`, `l1`, and a UDP listener's peer `u9:127.0.0.1:40312`, `u9:[fe80::1%eth0]:40312`. */
const ID = /^[A-Za-z0-9_.:%[\]-]{1,96}$/;
const FORMATS: readonly string[] = ['jsonl', 'sock', 'mock', 'pcapng'];

/**
 * Checks a message from the page. The page runs peer bytes through its DOM, so the host treats
 * what it posts as untrusted: unknown types, extra shapes, oversize text and odd ids are refused.
 *
 * @returns the message, or `undefined` when it is not one the host acts on
 */
export function parsePageMessage(raw: unknown): PageMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'send':
      if (typeof m.connection !== 'string' || !ID.test(m.connection)) return undefined;
      if (typeof m.payload !== 'string' || m.payload.length > SEND_TEXT_MAX) return undefined;
      return { type: 'send', connection: m.connection, payload: m.payload };
    case 'export':
      if (typeof m.format !== 'string' || !FORMATS.includes(m.format)) return undefined;
      if (m.connection !== null && (typeof m.connection !== 'string' || !ID.test(m.connection))) return undefined;
      return { type: 'export', format: m.format as ExportFormat, connection: m.connection };
    default:
      return undefined;
  }
}
