/**
 * One event as the traffic view's page holds it. Pure (no DOM, no Node).
 */
import type { WireEvent } from '../protocol';

/** Decodes base64 without `Buffer` (the page has none). */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** One event the page holds: the wire event, and its payload bytes decoded on first use. */
export class ViewEvent {
  /**
   * @param wire the event as the host sent it, or a row the page made (a frame, bytes between frames)
   * @param bytes for a row the page made, its payload (the wire then carries none)
   */
  constructor(
    readonly wire: WireEvent,
    private bytes?: Uint8Array,
  ) {}

  /** The payload bytes the page received (at most `VIEW_PAYLOAD_MAX`); decoded once, when first read. */
  get payload(): Uint8Array | undefined {
    if (this.bytes === undefined && this.wire.payload !== undefined) this.bytes = fromBase64(this.wire.payload);
    return this.bytes;
  }

  /** The payload's size as held: what the base64 text decodes to, without decoding it. */
  get heldBytes(): number {
    const b64 = this.wire.payload;
    if (b64 === undefined) return this.bytes?.length ?? 0;
    return (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  }
}
