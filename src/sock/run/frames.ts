/**
 * `recv frame TYPE [after N] [inclusive]` (spec §8.1): a length-prefixed frame read from a stream,
 * as a program reads one with `recv_exactly(header)`, the length, then `recv_exactly(length)`.
 */
import { createError } from '../../net/errors';
import { decodeInt, intWidth, type IntType } from '../../net/fields';
import { RECV_MAX_BYTES } from '../../net/stream';
import type { WaitOptions } from '../../net/wait';
import type { Channel } from '../channel';

/** The longest varint a frame's length may take: 10 bytes hold any 64-bit value. */
const MAX_VARINT_BYTES = 10;

/**
 * Reads one frame: `after` header bytes, a length field of `type`, then the bytes the length
 * counts (with `inclusive`, the length counts the header and the field too). All of it within one
 * timeout: `opts.timeoutMs` is the frame's, not each read's.
 * @returns the whole frame: header, length field and body, as they came
 * @throws SocketLabError `EBADPAYLOAD` for a length that is negative, shorter than what it must
 *   include, or a varint that does not end in 10 bytes; `ETOOBIG` for a frame over
 *   {@link RECV_MAX_BYTES}; and what `recvExactly` throws (`EOF` when the peer closes inside the
 *   frame, `ETIMEDOUT`, `ECANCELED`)
 */
export async function recvFrame(ch: Pick<Channel, 'recvExactly'>, frame: { readonly type: IntType; readonly after: number; readonly inclusive: boolean }, opts: WaitOptions): Promise<Buffer> {
  const deadline = Date.now() + opts.timeoutMs;
  const label = `recv frame ${frame.type}`;
  const left = (): WaitOptions & { label: string } => ({ ...opts, timeoutMs: Math.max(1, deadline - Date.now()), label });
  const parts: Buffer[] = [];
  if (frame.after > 0) parts.push(await ch.recvExactly(frame.after, left()));
  const width = intWidth(frame.type);
  let prefix: Buffer;
  if (width !== undefined) prefix = await ch.recvExactly(width, left());
  else {
    // A varint: one byte at a time, until a byte without its top bit.
    const bytes: Buffer[] = [];
    for (;;) {
      const b = await ch.recvExactly(1, left());
      bytes.push(b);
      if ((b[0] & 0x80) === 0) break;
      if (bytes.length >= MAX_VARINT_BYTES) throw createError('EBADPAYLOAD', `recv frame ${frame.type}: the length does not end within ${MAX_VARINT_BYTES} bytes: ${Buffer.concat(bytes).toString('hex')}`);
    }
    prefix = Buffer.concat(bytes);
  }
  parts.push(prefix);
  const length = (decodeInt(frame.type, prefix, 0) as { value: bigint }).value;
  const counted = frame.inclusive ? BigInt(frame.after + prefix.length) : 0n;
  if (length < counted) throw createError('EBADPAYLOAD', `recv frame ${frame.type}: the length ${length} is ${length < 0n ? 'negative' : `less than the ${counted} bytes it includes`}`);
  const body = length - counted;
  if (body + BigInt(frame.after + prefix.length) > BigInt(RECV_MAX_BYTES)) throw createError('ETOOBIG', `recv frame ${frame.type}: a frame of ${body} bytes is more than the ${RECV_MAX_BYTES}-byte limit of a receive`);
  if (body > 0n) parts.push(await ch.recvExactly(Number(body), left()));
  return Buffer.concat(parts);
}

/**
 * Reads one delimited frame (STX … ETX): everything up to and including `start`, of which only
 * `start` is kept, then everything up to and including `end`. All of it within one timeout.
 * @returns the frame (`start`, the body, `end`) and how many bytes before `start` were skipped
 * @throws what `recvUntil` throws (`EOF`, `ETOOBIG` past 16 MiB, `ETIMEDOUT`, `ECANCELED`)
 */
export async function recvDelimited(ch: Pick<Channel, 'recvUntil'>, start: Buffer, end: Buffer, opts: WaitOptions): Promise<{ frame: Buffer; skipped: number }> {
  const deadline = Date.now() + opts.timeoutMs;
  const left = (): WaitOptions => ({ ...opts, timeoutMs: Math.max(1, deadline - Date.now()) });
  const head = start.length > 0 ? await ch.recvUntil(start, { ...left(), label: 'recv frame from' }) : Buffer.alloc(0);
  const body = await ch.recvUntil(end, { ...left(), label: 'recv frame … to' });
  return { frame: Buffer.concat([start, body]), skipped: head.length - start.length };
}
