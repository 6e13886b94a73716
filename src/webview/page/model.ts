/**
 * The traffic view's page model: the events it holds (a bounded ring), the filter, and how one
 * event's payload reads in each mode. Pure (no DOM, no Node), so the tests run it in Node and the
 * page bundles it for the browser.
 */
import { escapeBytes, escapeControls, hexDump } from '../../net/bytes';
import type { Direction, WireConnection, WireEvent } from '../protocol';
import { MarkIndex } from './marks';
import { ViewEvent } from './viewEvent';

export { ViewEvent } from './viewEvent';

/** How payloads are shown: text with escapes, an `xxd` hex dump, or text decoded in an encoding. */
export type ViewMode = 'escaped' | 'hex' | 'text';

/** The encodings `text` mode offers (WHATWG labels, as `TextDecoder` takes them). */
export const TEXT_ENCODINGS = ['utf-8', 'windows-1252', 'utf-16le', 'utf-16be', 'iso-8859-2', 'shift_jis', 'euc-kr', 'gb18030'] as const;

/** What the list shows. */
export interface ViewFilter {
  /** A connection or listener id (a listener shows its accepted connections too, and a relayed connection its upstream leg), or null for all. */
  readonly connection: string | null;
  readonly directions: readonly Direction[];
  /** Show open, close, errors and the other events that carry no payload. */
  readonly lifecycle: boolean;
  /** Text to find in payloads and summaries (ASCII case-insensitive), or `hex 0d 0a` for bytes. */
  readonly search: string;
}

/** Events the page holds at most; the oldest go first and are counted. */
export const VIEW_MAX_EVENTS = 100_000;
/** Payload bytes the page holds at most (64 MiB). */
export const VIEW_MAX_BYTES = 64 * 1024 * 1024;

/** Lines a collapsed row shows of its payload; Enter or a click shows the rest. */
export const COLLAPSED_LINES = 16;
/** Characters a collapsed row shows of its payload. */
export const COLLAPSED_CHARS = 4096;

/**
 * Parses a search: `hex 0d 0a` (or `hex 0d0a`) as bytes, anything else as UTF-8 text.
 * @returns the bytes to find, or a message when the hex is malformed
 */
export function searchBytes(search: string): Uint8Array | string {
  const hex = /^hex\s+(.*)$/i.exec(search.trim());
  if (!hex) return new TextEncoder().encode(search);
  const digits = hex[1].replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) return 'hex search needs pairs of hex digits, e.g. hex 0d 0a';
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/** True when `needle` occurs in `hay`, comparing ASCII letters case-insensitively. */
export function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  const first = lower(needle[0]);
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    if (lower(hay[i]) !== first) continue;
    for (let j = 1; j < needle.length; j++) if (lower(hay[i + j]) !== lower(needle[j])) continue outer;
    return true;
  }
  return false;
}

/**
 * A predicate for one filter. `connections` tells which ids belong to a listener, so that
 * choosing a listener shows its accepted connections too.
 */
export function makeMatcher(filter: ViewFilter, connections: readonly WireConnection[]): (e: ViewEvent) => boolean {
  let ids: Set<string> | null = null;
  // A UDP listener's peer has no events of its own: its datagrams are the listener's, from or to it.
  let peer: { readonly listener: string; readonly address: string } | null = null;
  if (filter.connection !== null) {
    ids = new Set([filter.connection]);
    for (const c of connections) {
      if (c.listener === filter.connection) ids.add(c.id);
      if (c.id === filter.connection && c.kind === 'peer' && c.listener !== undefined && c.peer !== undefined) peer = { listener: c.listener, address: c.peer };
    }
    // A relay's upstream legs go with the connections they carry: client → relay → upstream is one conversation.
    for (const c of connections) if (c.via !== undefined && ids.has(c.via)) ids.add(c.id);
  }
  const needle = filter.search.trim() === '' ? null : searchBytes(filter.search);
  const needleText = filter.search.trim().toLowerCase();
  return (e) => {
    const w = e.wire;
    // Marks are drawn over the payloads (and cut them into frames), never rows of their own.
    if (w.kind === 'mark') return false;
    // A listener's new connections join the filter as their accept arrives (events come in order).
    // So does a relay's upstream leg as it opens, with the connection it carries.
    if (ids && w.kind === 'open' && w.listener !== undefined && ids.has(w.listener)) ids.add(w.id);
    if (ids && w.kind === 'open' && w.via !== undefined && ids.has(w.via)) ids.add(w.id);
    if (peer) {
      if (w.id !== peer.listener || w.kind !== 'data' || w.peer !== peer.address) return false;
    } else if (ids && !ids.has(w.id)) return false;
    if (w.kind === 'data') {
      if (!filter.directions.includes(w.direction ?? 'in')) return false;
      if (needle === null) return true;
      return typeof needle !== 'string' && e.payload !== undefined && containsBytes(e.payload, needle);
    }
    if (!filter.lifecycle) return false;
    return needle === null || (w.summary ?? '').toLowerCase().includes(needleText);
  };
}

/**
 * The lines of a payload in a mode: `escaped` breaks after each `\n` byte (shown as `\n`),
 * `hex` is `xxd`'s dump, `text` decodes in `encoding` and shows controls as escapes. Peer bytes
 * stay text: the caller puts these strings in the DOM with `textContent` only.
 */
export function payloadLines(payload: Uint8Array, mode: ViewMode, encoding: string): string[] {
  if (payload.length === 0) return [];
  if (mode === 'hex') return hexDump(payload).split('\n').slice(0, -1);
  if (mode === 'text') {
    let text: string;
    try {
      text = new TextDecoder(encoding).decode(payload);
    } catch {
      text = new TextDecoder('utf-8').decode(payload);
    }
    const lines = escapeControls(text, false, true).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] !== 0x0a) continue;
    lines.push(escapeBytes(payload.subarray(start, i + 1)));
    start = i + 1;
  }
  if (start < payload.length) lines.push(escapeBytes(payload.subarray(start)));
  return lines;
}

/**
 * What a row shows of its payload: every line when expanded, else at most
 * {@link COLLAPSED_LINES} lines and {@link COLLAPSED_CHARS} characters.
 *
 * @returns the text (lines joined with `\n`) and how many lines were left out
 */
export function visibleBody(lines: readonly string[], expanded: boolean): { text: string; hiddenLines: number } {
  if (expanded) return { text: lines.join('\n'), hiddenLines: 0 };
  let chars = 0;
  let n = 0;
  const shown: string[] = [];
  for (; n < lines.length && n < COLLAPSED_LINES; n++) {
    if (chars + lines[n].length > COLLAPSED_CHARS) {
      shown.push(lines[n].slice(0, Math.max(0, COLLAPSED_CHARS - chars)) + '…');
      n++;
      break;
    }
    chars += lines[n].length;
    shown.push(lines[n]);
  }
  return { text: shown.join('\n'), hiddenLines: lines.length - n };
}

/**
 * The events the page holds, oldest first, bounded by {@link VIEW_MAX_EVENTS} and
 * {@link VIEW_MAX_BYTES}; what it lets go is counted in `dropped`.
 */
export class EventStore {
  private items: ViewEvent[] = [];
  private heldBytes = 0;
  private heldMarks = 0;
  /** Events let go: by this page's bounds, by the host's history before the view opened, or in transit. */
  dropped = 0;
  /** The frames and fields of the held events, by stream offset. */
  readonly marks = new MarkIndex();

  constructor(
    private readonly maxEvents = VIEW_MAX_EVENTS,
    private readonly maxBytes = VIEW_MAX_BYTES,
  ) {}

  /** Events held, marks included. */
  get length(): number {
    return this.items.length;
  }

  /** Of the events held, the marks: drawn over payloads, never rows of their own. */
  get markCount(): number {
    return this.heldMarks;
  }

  /** Every event held, oldest first (do not modify). */
  all(): readonly ViewEvent[] {
    return this.items;
  }

  /**
   * Adds events in order.
   * @returns how many old events were let go to make room
   */
  push(events: readonly WireEvent[]): number {
    const added: ViewEvent[] = [];
    for (const wire of events) {
      const e = new ViewEvent(wire);
      this.heldBytes += e.heldBytes;
      if (wire.kind === 'mark') this.heldMarks++;
      this.items.push(e);
      added.push(e);
    }
    this.marks.add(added);
    let cut = 0;
    let bytes = this.heldBytes;
    while (this.items.length - cut > this.maxEvents || (bytes > this.maxBytes && cut < this.items.length - 1)) {
      bytes -= this.items[cut].heldBytes;
      if (this.items[cut].wire.kind === 'mark') this.heldMarks--;
      cut++;
    }
    if (cut > 0) {
      this.marks.remove(this.items.slice(0, cut));
      this.items = this.items.slice(cut);
      this.heldBytes = bytes;
      this.dropped += cut;
    }
    return cut;
  }

  /** Forgets every event (the Clear button); the dropped count starts again too. */
  clear(): void {
    this.items = [];
    this.heldBytes = 0;
    this.heldMarks = 0;
    this.dropped = 0;
    this.marks.clear();
  }
}

/** What decides the send box's target, besides the connections. */
export interface SendTargetInputs {
  /** The connection (or listener) the view shows, or null for all. */
  readonly filter: string | null;
  /** The connection of the selected row (for a UDP listener's datagram, its peer), or null. */
  readonly row: string | null;
  /** What the person picked in the send box's own list since they last changed the view or the selection. */
  readonly chosen: string | null;
  /** The target shown now, kept while it can still send and is in view (new connections do not move it). */
  readonly current: string | null;
}

/**
 * The send box's target, which follows what the view shows: the person's own pick, else the
 * selected row's connection, else the shown connection, else the newest of the shown listener's
 * connections (or of all). Only a connection that can send and is in the view qualifies: viewing a
 * connection that has closed gives no target rather than another connection.
 *
 * @returns the target's id, or null when nothing in view can be sent to
 */
export function chooseSendTarget(connections: readonly WireConnection[], inputs: SendTargetInputs): string | null {
  const { filter } = inputs;
  const inView = (c: WireConnection): boolean => filter === null || c.id === filter || c.listener === filter;
  const ok = (id: string | null): boolean => id !== null && connections.some((c) => c.id === id && c.canSend && inView(c));
  for (const id of [inputs.chosen, inputs.row, inputs.current, filter]) if (ok(id)) return id;
  const shown = filter === null ? null : connections.find((c) => c.id === filter);
  if (shown && shown.kind !== 'listener') return null;
  return connections.filter((c) => c.canSend && inView(c)).at(-1)?.id ?? null;
}

/**
 * The connection a row belongs to, as the send box targets it: the row's id, or for a datagram
 * of a UDP listener, the listed peer it came from or went to.
 */
export function rowConnection(wire: WireEvent, connections: readonly WireConnection[]): string {
  if (wire.kind !== 'data' || wire.peer === undefined) return wire.id;
  return connections.find((c) => c.kind === 'peer' && c.listener === wire.id && c.peer === wire.peer)?.id ?? wire.id;
}

/** What {@link emptyMessage} needs to know when the list shows nothing. */
export interface EmptyInputs {
  readonly filter: ViewFilter;
  /** Events the page holds, and those of the shown connection (all of them for All connections). */
  readonly held: number;
  readonly heldOfConnection: number;
  /** Events let go before or while the view held them (the history's bounds, the page's, in transit). */
  readonly dropped: number;
  /** True once the person pressed Clear. */
  readonly cleared: boolean;
  readonly connections: readonly WireConnection[];
}

/**
 * What the list says when it shows no event: only what is true. A search that matches nothing
 * says so; a connection whose events the bounded history let go says how many went and which
 * settings bound it; a connection that is no longer listed says that; "No traffic yet" only when
 * nothing has happened.
 */
export function emptyMessage(o: EmptyInputs): string {
  const id = o.filter.connection;
  const where = id === null ? '' : ` in ${id}`;
  const dropped = `${o.dropped.toLocaleString('en-US')} older event${o.dropped === 1 ? ' was' : 's were'} dropped (the history keeps socketLab.capture.maxEvents events and socketLab.capture.maxBytes bytes)`;
  const search = o.filter.search.trim();
  if (id !== null && o.heldOfConnection === 0) {
    const c = o.connections.find((x) => x.id === id);
    if (o.dropped > 0) return `No event of ${id} is left: ${dropped}.`;
    if (!c) return `${id} is no longer open or listed, and the history holds none of its events. Choose another connection, or All connections.`;
    if (o.cleared) return `The view was cleared; new events of ${id} appear here.`;
    return `No traffic on ${id} yet.`;
  }
  if (o.held === 0) {
    if (o.cleared) return 'The view was cleared; new events appear here (the capture keeps the rest for export).';
    if (o.dropped > 0) return `No event is left: ${dropped}.`;
    return 'No traffic yet. Start a listener or connect a client, or run a .sock file.';
  }
  if (search !== '') {
    const bad = searchBytes(search);
    if (typeof bad === 'string') return `No event matches: ${bad}.`;
    return `No event matches “${search}”${where}.`;
  }
  const hidden = [...(o.filter.directions.includes('in') ? [] : ['← in']), ...(o.filter.directions.includes('out') ? [] : ['→ out']), ...(o.filter.lifecycle ? [] : ['events'])];
  const n = id === null ? o.held : o.heldOfConnection;
  return `${n.toLocaleString('en-US')} event${n === 1 ? ' is' : 's are'} hidden by the filters${where}${hidden.length > 0 ? `: turn on ${hidden.join(', ')}` : ''}.`;
}
