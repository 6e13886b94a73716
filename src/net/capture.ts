/**
 * The traffic history: a ring of the latest traffic events, bounded by event count and by payload
 * bytes, that counts what it drops instead of losing it silently; optionally every event is also
 * streamed to a file as JSON lines, so a long capture is kept whole on disk.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { TrafficBus, TrafficEvent } from './traffic';

/** The bounds of a capture. */
export interface CaptureLimits {
  /** Events kept at most; default 10,000. */
  readonly maxEvents: number;
  /** Payload bytes kept at most; default 16 MiB. A larger single payload is cut to this size. */
  readonly maxBytes: number;
}

/** The default bounds: 10,000 events and 16 MiB of payload. */
export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { maxEvents: 10_000, maxBytes: 16 * 1024 * 1024 };

/** Bytes the capture file may have waiting for the disk before events are dropped from it (64 MiB). */
export const CAPTURE_FILE_BACKLOG = 64 * 1024 * 1024;

function payloadBytes(e: TrafficEvent): number {
  return e.type === 'data' ? e.payload.length : 0;
}

/** Turns one event into a JSON line: payloads as `{ bytes, base64 }`, so any bytes survive. */
export function captureLine(e: TrafficEvent): string {
  if (e.type !== 'data') return JSON.stringify(e) + '\n';
  return JSON.stringify({ ...e, payload: { bytes: e.payload.length, base64: e.payload.toString('base64') } }) + '\n';
}

/** Stream payloads up to this many bytes are copied into the capture's slabs; larger ones are kept as they came. */
const SMALL_PAYLOAD = 1024;

/** Bytes per slab: the small payloads of a few hundred to a few thousand events. */
const SLAB_BYTES = 64 * 1024;

/** Slots the ring starts with; it doubles, up to `maxEvents`, as traffic fills it. */
const INITIAL_SLOTS = 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Records the events of a {@link TrafficBus} in a bounded ring. When a bound is reached the
 * oldest events go, and `droppedEvents` / `droppedBytes` say how much.
 *
 * The ring is kept in columns. A slot holds an event object, except for the common event of a
 * chatty connection, a small stream data event: that one is held as its id, direction and stamp,
 * with its bytes copied into a slab shared by many events. A ring of objects keeps the last
 * thousands of events alive, and the garbage collector copies each of them from generation to
 * generation, a cost paid on every round trip of a connection; the columns and slabs leave it
 * nothing per event to copy. {@link TrafficCapture.events} rebuilds the events.
 */
export class TrafficCapture {
  /** Events pushed out of the ring since the capture began. */
  droppedEvents = 0;
  /** Payload bytes pushed out of the ring or cut from an oversize payload. */
  droppedBytes = 0;
  /** Events the capture file could not take because the disk fell behind. */
  fileDroppedEvents = 0;
  private readonly maxEvents: number;
  /** The event, for a slot that is not held in the columns below. */
  private objects: (TrafficEvent | undefined)[] = [];
  /** For a small stream data event: its connection id, stamp, direction, and where its bytes are. */
  private ids: (string | undefined)[] = [];
  private stamps = new Float64Array(0);
  /** The event's stream offset (`DataEvent.offset`). */
  private streamOffsets = new Float64Array(0);
  private outgoing = new Uint8Array(0);
  private slabOf: (Buffer | undefined)[] = [];
  private offsets = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private head = 0;
  private size = 0;
  private held = 0;
  /** The slab small payloads are copied into; a new one when it is full (slabs are never reused). */
  private slab: Buffer | undefined;
  private slabUsed = 0;
  private readonly unsubscribe: () => void;
  private readonly file: WriteStream | undefined;
  private fileError: Error | undefined;

  /**
   * @param bus the events to record, from now on
   * @param limits the ring's bounds
   * @param filePath when given, every event is also appended to this file as a JSON line
   */
  constructor(bus: TrafficBus, readonly limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS, filePath?: string) {
    this.maxEvents = Math.max(1, limits.maxEvents);
    this.resize(Math.min(this.maxEvents, INITIAL_SLOTS));
    if (filePath) {
      this.file = createWriteStream(filePath, { flags: 'w' });
      this.file.on('error', (err) => (this.fileError ??= err));
    }
    this.unsubscribe = bus.subscribe((e) => this.add(e));
  }

  /** Number of events held. */
  get length(): number {
    return this.size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.held;
  }

  /** The error that stopped the capture file, if any (e.g. `ENOSPC`). */
  get fileFailure(): Error | undefined {
    return this.fileError;
  }

  /** The held events, oldest first. */
  events(): TrafficEvent[] {
    const out: TrafficEvent[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.eventAt((this.head + i) % this.objects.length));
    return out;
  }

  private eventAt(slot: number): TrafficEvent {
    const e = this.objects[slot];
    if (e) return e;
    const slab = this.slabOf[slot];
    const at = this.offsets[slot];
    const payload = slab ? slab.subarray(at, at + this.lengths[slot]) : EMPTY;
    return { type: 'data', id: this.ids[slot] as string, direction: this.outgoing[slot] ? 'out' : 'in', payload, offset: this.streamOffsets[slot], ts: this.stamps[slot] };
  }

  private add(event: TrafficEvent): void {
    if (this.file && !this.fileError) {
      if (this.file.writableLength > CAPTURE_FILE_BACKLOG) this.fileDroppedEvents++;
      else this.file.write(captureLine(event));
    }
    let e = event;
    if (e.type === 'data' && e.payload.length > this.limits.maxBytes) {
      this.droppedBytes += e.payload.length - this.limits.maxBytes;
      e = { ...e, payload: e.payload.subarray(0, this.limits.maxBytes) };
    }
    const bytes = payloadBytes(e);
    while (this.size > 0 && (this.size >= this.maxEvents || this.held + bytes > this.limits.maxBytes)) this.evictOldest();
    if (this.size === this.objects.length) this.resize(Math.min(this.maxEvents, this.size * 2));
    // Every event on the data path comes through here: index arithmetic without a division.
    const end = this.head + this.size;
    const slot = end < this.objects.length ? end : end - this.objects.length;
    if (e.type === 'data' && e.peer === undefined && bytes <= SMALL_PAYLOAD) {
      this.objects[slot] = undefined;
      this.ids[slot] = e.id;
      this.stamps[slot] = e.ts;
      this.streamOffsets[slot] = e.offset;
      this.outgoing[slot] = e.direction === 'out' ? 1 : 0;
      this.lengths[slot] = bytes;
      this.slabOf[slot] = bytes > 0 ? this.copyToSlab(e.payload, slot) : undefined;
    } else {
      this.objects[slot] = e;
    }
    this.size++;
    this.held += bytes;
  }

  /** Copies a small payload into the current slab; returns the slab and sets the slot's offset. */
  private copyToSlab(payload: Buffer, slot: number): Buffer {
    let slab = this.slab;
    if (!slab || this.slabUsed + payload.length > SLAB_BYTES) {
      slab = this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    // A few bytes (a keystroke, a ping) copy faster in a loop than through a native call.
    if (payload.length <= 16) for (let i = 0; i < payload.length; i++) slab[at + i] = payload[i];
    else payload.copy(slab, at);
    this.slabUsed = at + payload.length;
    this.offsets[slot] = at;
    return slab;
  }

  private evictOldest(): void {
    const h = this.head;
    const old = this.objects[h];
    const bytes = old ? payloadBytes(old) : this.lengths[h];
    this.objects[h] = undefined;
    this.ids[h] = undefined;
    this.slabOf[h] = undefined;
    this.head = h + 1 < this.objects.length ? h + 1 : 0;
    this.size--;
    this.held -= bytes;
    this.droppedEvents++;
    this.droppedBytes += bytes;
  }

  /** Gives the ring `slots` slots, the held events first, oldest first. */
  private resize(slots: number): void {
    const objects = new Array<TrafficEvent | undefined>(slots).fill(undefined);
    const ids = new Array<string | undefined>(slots).fill(undefined);
    const slabOf = new Array<Buffer | undefined>(slots).fill(undefined);
    const stamps = new Float64Array(slots);
    const streamOffsets = new Float64Array(slots);
    const outgoing = new Uint8Array(slots);
    const offsets = new Uint32Array(slots);
    const lengths = new Uint32Array(slots);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) % this.objects.length;
      objects[i] = this.objects[from];
      ids[i] = this.ids[from];
      slabOf[i] = this.slabOf[from];
      stamps[i] = this.stamps[from];
      streamOffsets[i] = this.streamOffsets[from];
      outgoing[i] = this.outgoing[from];
      offsets[i] = this.offsets[from];
      lengths[i] = this.lengths[from];
    }
    this.objects = objects;
    this.ids = ids;
    this.slabOf = slabOf;
    this.stamps = stamps;
    this.streamOffsets = streamOffsets;
    this.outgoing = outgoing;
    this.offsets = offsets;
    this.lengths = lengths;
    this.head = 0;
  }

  /** Empties the ring; the drop counters keep counting. */
  clear(): void {
    this.objects.fill(undefined);
    this.ids.fill(undefined);
    this.slabOf.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.held = 0;
    this.slab = undefined;
    this.slabUsed = 0;
  }

  /** Stops recording and closes the capture file; resolves when the file is flushed. Safe to call twice. */
  async dispose(): Promise<void> {
    this.unsubscribe();
    const file = this.file;
    if (file && !file.closed && !file.destroyed) await new Promise<void>((resolve) => file.end(resolve));
  }
}
