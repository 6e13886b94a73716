/**
 * What the traffic view draws from the socket core's `mark` events: the frames a block read
 * (`recv frame`, spec §8.1), which the view can show as rows of their own instead of the chunks
 * the bytes came in, and the fields a capture or an expectation looked at (§8.4, §8.5), which the
 * hex dump marks. Marks and payloads meet at stream offsets: a data event's `offset` is where its
 * first byte sits in its direction's bytes on its socket, and a mark names a range of those.
 * Pure (no DOM, no Node), so the tests run it in Node and the page bundles it.
 */
import type { Direction, WireEvent } from '../protocol';
import { ViewEvent } from './viewEvent';

/** One mark, by stream offsets. */
export interface MarkSpan {
  readonly mark: 'frame' | 'field';
  /** The first byte marked and one past the last, as stream offsets. */
  readonly start: number;
  readonly end: number;
  /** What read the bytes: `recv frame u16`, `id = "4660"`. */
  readonly label: string;
  /** The mark's event, so that it can be let go with it. */
  readonly seq: number;
}

/** One direction of one socket: the bytes that its stream offsets count. */
function keyOf(id: string, direction: Direction | undefined): string {
  return `${direction ?? 'in'} ${id}`;
}

/** The label of the rows that hold bytes between frames, or after the last frame. */
export const UNFRAMED = 'not read as a frame';

/**
 * The marks and the payloads the page holds, by socket and direction, sorted by stream offset,
 * kept in step with the page's bounded store: what it lets go is let go here too.
 */
export class MarkIndex {
  /** Marks, sorted by `start`. */
  private readonly marks = new Map<string, MarkSpan[]>();
  /** The longest mark of each key, so a search for marks that reach a byte knows how far back to look. */
  private readonly longest = new Map<string, number>();
  /** Data events with an offset, in the order they came (their offsets increase). */
  private readonly data = new Map<string, ViewEvent[]>();
  /** Keys with at least one frame mark held, and how many. */
  private readonly frames = new Map<string, number>();

  /** Takes in events the store added, in order. */
  add(events: readonly ViewEvent[]): void {
    for (const e of events) {
      const w = e.wire;
      if (w.offset === undefined) continue;
      const key = keyOf(w.id, w.direction);
      if (w.kind === 'data') {
        let list = this.data.get(key);
        if (!list) this.data.set(key, (list = []));
        list.push(e);
      } else if (w.kind === 'mark' && w.mark !== undefined) {
        const span: MarkSpan = { mark: w.mark, start: w.offset, end: w.offset + (w.bytes ?? 0), label: w.label ?? '', seq: w.seq };
        let list = this.marks.get(key);
        if (!list) this.marks.set(key, (list = []));
        // Reads go forward, so a mark nearly always sorts last: insert from the end.
        let at = list.length;
        while (at > 0 && list[at - 1].start > span.start) at--;
        list.splice(at, 0, span);
        this.longest.set(key, Math.max(this.longest.get(key) ?? 0, span.end - span.start));
        if (span.mark === 'frame') this.frames.set(key, (this.frames.get(key) ?? 0) + 1);
      }
    }
  }

  /** Lets go of events the store let go: its oldest, in order. */
  remove(events: readonly ViewEvent[]): void {
    for (const e of events) {
      const w = e.wire;
      if (w.offset === undefined) continue;
      const key = keyOf(w.id, w.direction);
      if (w.kind === 'data') {
        const list = this.data.get(key);
        // The store lets its oldest go, and a key's data events are in the order they came.
        if (list?.[0] === e) list.shift();
        if (list?.length === 0) this.data.delete(key);
      } else if (w.kind === 'mark') {
        const list = this.marks.get(key);
        const at = list ? list.findIndex((m) => m.seq === w.seq) : -1;
        if (!list || at < 0) continue;
        const [gone] = list.splice(at, 1);
        if (gone.mark === 'frame') {
          const n = (this.frames.get(key) ?? 1) - 1;
          if (n === 0) this.frames.delete(key);
          else this.frames.set(key, n);
        }
        if (list.length === 0) {
          this.marks.delete(key);
          this.longest.delete(key);
        }
      }
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.marks.clear();
    this.longest.clear();
    this.data.clear();
    this.frames.clear();
  }

  /** True when some block read frames from the held bytes. */
  get hasFrames(): boolean {
    return this.frames.size > 0;
  }

  /** Whether the bytes of this socket and direction were read as frames. */
  framed(id: string, direction: Direction | undefined): boolean {
    return this.frames.has(keyOf(id, direction));
  }

  /** The field marks that cover any of the bytes from `start` to `end` (stream offsets) of a socket's direction. */
  fieldsIn(id: string, direction: Direction | undefined, start: number, end: number): MarkSpan[] {
    const key = keyOf(id, direction);
    const list = this.marks.get(key);
    if (!list || end <= start) return [];
    // The first mark that may reach `start`: none that begins before `start - longest` does.
    const from = start - (this.longest.get(key) ?? 0);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].start < from) lo = mid + 1;
      else hi = mid;
    }
    const out: MarkSpan[] = [];
    for (let i = lo; i < list.length && list[i].start < end; i++) {
      const m = list[i];
      if (m.mark === 'field' && m.end > start) out.push(m);
    }
    return out;
  }

  /**
   * The held bytes of a socket's direction from `start` to `end` (stream offsets): as many as
   * are held without a hole from `start` on (an older chunk may have been let go, or cut to the
   * view's 64 KiB).
   */
  bytes(id: string, direction: Direction | undefined, start: number, end: number): Uint8Array {
    const list = this.data.get(keyOf(id, direction)) ?? [];
    let lo = 0;
    let hi = list.length;
    // The last chunk that begins at or before `start`.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid].wire.offset as number) <= start) lo = mid + 1;
      else hi = mid;
    }
    const out = new Uint8Array(Math.max(0, end - start));
    let filled = 0;
    for (let i = Math.max(0, lo - 1); i < list.length && start + filled < end; i++) {
      const chunkStart = list[i].wire.offset as number;
      const held = list[i].payload ?? new Uint8Array(0);
      const at = start + filled;
      if (chunkStart > at) break; // a hole
      if (chunkStart + held.length <= at) continue;
      const piece = held.subarray(at - chunkStart, Math.min(held.length, end - chunkStart));
      out.set(piece, filled);
      filled += piece.length;
    }
    return out.subarray(0, filled);
  }
}

/** A row the page makes: a frame, or bytes no frame held. */
function madeRow(from: WireEvent, seq: number, start: number, end: number, label: string, frame: boolean, index: MarkIndex): ViewEvent {
  const wire: WireEvent = { seq, ts: from.ts, id: from.id, kind: 'data', direction: from.direction, bytes: end - start, offset: start, label, ...(frame ? { mark: 'frame' as const } : {}) };
  return new ViewEvent(wire, index.bytes(from.id, from.direction, start, end));
}

/**
 * The events with the bytes of each socket direction that a block read as frames cut at its
 * frames: one row per frame (at the time the frame was read), and a row for the bytes before,
 * between or after frames that no frame held (say, what a `recv line` read, or what nothing read
 * yet). Other sockets and directions keep their chunks as they came. Marks are left out.
 *
 * A made row's `seq` is its frame mark's, a row of bytes before a frame half less, and the bytes
 * after the last frame a quarter more than the socket direction's last event: unique, and in order.
 */
export function cutAtFrames(events: readonly ViewEvent[], index: MarkIndex): ViewEvent[] {
  if (!index.hasFrames) return events.filter((e) => e.wire.kind !== 'mark');
  /** Per framed key: the index of its last data event or frame mark, and the end of its held bytes. */
  const last = new Map<string, { i: number; end: number }>();
  const cursor = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const w = events[i].wire;
    if (w.offset === undefined || !index.framed(w.id, w.direction)) continue;
    if (w.kind !== 'data' && !(w.kind === 'mark' && w.mark === 'frame')) continue;
    const key = keyOf(w.id, w.direction);
    const seen = last.get(key);
    const end = w.kind === 'data' ? w.offset + (w.bytes ?? 0) : 0;
    last.set(key, { i, end: Math.max(seen?.end ?? 0, end) });
    if (w.kind === 'data' && !cursor.has(key)) cursor.set(key, w.offset);
  }
  const out: ViewEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const w = e.wire;
    const framed = w.offset !== undefined && (w.kind === 'data' || w.kind === 'mark') && index.framed(w.id, w.direction);
    if (!framed) {
      if (w.kind !== 'mark') out.push(e);
      continue;
    }
    const key = keyOf(w.id, w.direction);
    const at = w.offset as number;
    if (w.kind === 'mark' && w.mark === 'frame') {
      const from = cursor.get(key) ?? at;
      if (at > from) out.push(madeRow(w, w.seq - 0.5, from, at, UNFRAMED, false, index));
      out.push(madeRow(w, w.seq, at, at + (w.bytes ?? 0), w.label ?? 'frame', true, index));
      cursor.set(key, Math.max(from, at + (w.bytes ?? 0)));
    }
    const tail = last.get(key);
    if (tail && tail.i === i) {
      const from = cursor.get(key) ?? tail.end;
      if (tail.end > from) out.push(madeRow(w, w.seq + 0.25, from, tail.end, UNFRAMED, false, index));
    }
  }
  return out;
}

/** A piece of a hex dump line: text, and the mark it shows (an index into the row's marks), if any. */
export interface HexSegment {
  readonly text: string;
  readonly mark?: number;
}

/**
 * `xxd`'s lines of `bytes` (as `payloadLines` in hex mode gives them), cut into segments so that
 * the hex pairs and the characters of the marked bytes can be drawn marked. `marks` are stream
 * offsets; `base` is the stream offset of `bytes[0]`. Where marks overlap, a byte shows the
 * shortest (the most specific field). The segments of a line join to its text.
 *
 * @param maxLines the lines wanted (a collapsed row shows 16)
 */
export function markedHexLines(bytes: Uint8Array, base: number, marks: readonly MarkSpan[], maxLines = Infinity): HexSegment[][] {
  const lines: HexSegment[][] = [];
  const which = new Int32Array(bytes.length).fill(-1);
  const size = (m: MarkSpan): number => m.end - m.start;
  marks.forEach((m, k) => {
    for (let i = Math.max(0, m.start - base); i < Math.min(bytes.length, m.end - base); i++) {
      if (which[i] < 0 || size(marks[which[i]]) > size(m)) which[i] = k;
    }
  });
  for (let off = 0; off < bytes.length && lines.length < maxLines; off += 16) {
    const segments: HexSegment[] = [];
    const add = (text: string, mark: number): void => {
      const prev = segments[segments.length - 1];
      if (prev && (prev.mark ?? -1) === mark) segments[segments.length - 1] = mark < 0 ? { text: prev.text + text } : { text: prev.text + text, mark };
      else segments.push(mark < 0 ? { text } : { text, mark });
    };
    add(`${off.toString(16).padStart(8, '0')}: `, -1);
    const n = Math.min(16, bytes.length - off);
    for (let i = 0; i < 16; i++) {
      const k = i < n ? which[off + i] : -1;
      add(i < n ? bytes[off + i].toString(16).padStart(2, '0') : '  ', k);
      // The space after a pair belongs to the mark only when the next byte has it too.
      if (i % 2 === 1 && i < 15) add(' ', i + 1 < n && which[off + i + 1] === k ? k : -1);
    }
    add('  ', -1);
    for (let i = 0; i < n; i++) {
      const b = bytes[off + i];
      add(b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.', which[off + i]);
    }
    lines.push(segments);
  }
  return lines;
}
