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

/**
 * Records the events of a {@link TrafficBus} in a bounded ring. When a bound is reached the
 * oldest events go, and `droppedEvents` / `droppedBytes` say how much.
 */
export class TrafficCapture {
  /** Events pushed out of the ring since the capture began. */
  droppedEvents = 0;
  /** Payload bytes pushed out of the ring or cut from an oversize payload. */
  droppedBytes = 0;
  /** Events the capture file could not take because the disk fell behind. */
  fileDroppedEvents = 0;
  private readonly ring: (TrafficEvent | undefined)[];
  private head = 0;
  private size = 0;
  private held = 0;
  private readonly unsubscribe: () => void;
  private readonly file: WriteStream | undefined;
  private fileError: Error | undefined;

  /**
   * @param bus the events to record, from now on
   * @param limits the ring's bounds
   * @param filePath when given, every event is also appended to this file as a JSON line
   */
  constructor(bus: TrafficBus, readonly limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS, filePath?: string) {
    this.ring = new Array<TrafficEvent | undefined>(Math.max(1, limits.maxEvents));
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
    for (let i = 0; i < this.size; i++) out.push(this.ring[(this.head + i) % this.ring.length] as TrafficEvent);
    return out;
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
    while (this.size > 0 && (this.size >= this.ring.length || this.held + bytes > this.limits.maxBytes)) this.evictOldest();
    this.ring[(this.head + this.size) % this.ring.length] = e;
    this.size++;
    this.held += bytes;
  }

  private evictOldest(): void {
    const old = this.ring[this.head] as TrafficEvent;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    this.held -= payloadBytes(old);
    this.droppedEvents++;
    this.droppedBytes += payloadBytes(old);
  }

  /** Empties the ring; the drop counters keep counting. */
  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.held = 0;
  }

  /** Stops recording and closes the capture file; resolves when the file is flushed. Safe to call twice. */
  async dispose(): Promise<void> {
    this.unsubscribe();
    const file = this.file;
    if (file && !file.closed && !file.destroyed) await new Promise<void>((resolve) => file.end(resolve));
  }
}
