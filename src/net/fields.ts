/**
 * Integer fields of binary protocols, as bytes: fixed-width integers in either byte order (as
 * Python's `struct.pack('>H', n)` and Node's `Buffer.writeUInt16BE`), the unsigned base-128
 * "varint" (MQTT 3.1.1 §1.5.5 "Remaining Length", protobuf's base-128 varints), and decimal text
 * (RESP's `$N`, HTTP's `Content-Length`). Pure: no `vscode`.
 */
import { createError } from './errors';

/**
 * An integer field's type: `u8`…`u64` unsigned and `i8`…`i64` two's complement, big endian
 * (network order) unless `le`; `varint`, least significant 7 bits first with the top bit set on
 * every byte but the last; `dec`, ASCII decimal digits.
 */
export type IntType =
  | 'u8'
  | 'u16'
  | 'u16le'
  | 'u32'
  | 'u32le'
  | 'u64'
  | 'u64le'
  | 'i8'
  | 'i16'
  | 'i16le'
  | 'i32'
  | 'i32le'
  | 'i64'
  | 'i64le'
  | 'varint'
  | 'dec';

/** Every {@link IntType}, in the order the spec lists them. */
export const INT_TYPES: readonly IntType[] = ['u8', 'u16', 'u16le', 'u32', 'u32le', 'u64', 'u64le', 'i8', 'i16', 'i16le', 'i32', 'i32le', 'i64', 'i64le', 'varint', 'dec'];

const INT_TYPE_SET: ReadonlySet<string> = new Set(INT_TYPES);

/** True when `word` names an {@link IntType}. */
export function isIntType(word: string): word is IntType {
  return INT_TYPE_SET.has(word);
}

/** The width of a fixed-width type in bytes, or `undefined` for `varint` and `dec`. */
export function intWidth(type: IntType): number | undefined {
  if (type === 'varint' || type === 'dec') return undefined;
  return Number.parseInt(type.slice(1), 10) / 8;
}

/** The smallest and largest value a field of `type` holds. `varint` and `dec` hold 0 … 2^64 − 1. */
export function intBounds(type: IntType): { readonly min: bigint; readonly max: bigint } {
  return BOUNDS.get(type) as { readonly min: bigint; readonly max: bigint };
}

/** Each type's bounds, computed once: a step that sends fields checks them every round. */
const BOUNDS: ReadonlyMap<IntType, { readonly min: bigint; readonly max: bigint }> = new Map(
  INT_TYPES.map((type) => {
    const width = intWidth(type);
    if (width === undefined) return [type, { min: 0n, max: 2n ** 64n - 1n }];
    const bits = BigInt(width * 8);
    return [type, type.startsWith('u') ? { min: 0n, max: 2n ** bits - 1n } : { min: -(2n ** (bits - 1n)), max: 2n ** (bits - 1n) - 1n }];
  }),
);

/**
 * Reads an integer as a `.sock` file writes it: decimal (`60`, `-1`) or hexadecimal after `0x`
 * (`0x10`); at most 40 characters.
 * @returns the value, or `undefined` when `text` is neither
 */
export function parseIntLiteral(text: string): bigint | undefined {
  if (text.length > 40) return undefined;
  if (/^-?\d+$/.test(text)) return BigInt(text);
  if (/^-?0[xX][0-9a-fA-F]+$/.test(text)) return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  return undefined;
}

/**
 * The bytes of `value` as a field of `type`.
 * @param what names the field in the error's message (`u16 len`, `u8 {{n}}`); a function is
 *   called only for the error, so a payload built every round makes no name it does not need
 * @throws SocketLabError `EBADPAYLOAD` when `value` is out of the type's {@link intBounds}
 */
export function encodeInt(type: IntType, value: bigint, what: string | (() => string) = type): Buffer {
  const { min, max } = intBounds(type);
  if (value < min || value > max) throw createError('EBADPAYLOAD', `${typeof what === 'function' ? what() : what}: ${value} does not fit ${type} (${min} to ${max})`);
  if (type === 'dec') return Buffer.from(value.toString(10), 'latin1');
  if (type === 'varint') {
    const bytes: number[] = [];
    let v = value;
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    return Buffer.from(bytes);
  }
  const width = intWidth(type) as number;
  const out = Buffer.alloc(width);
  const little = type.endsWith('le');
  if (width <= 4) {
    // The usual widths in one call of Buffer's own writer (two's complement for the signed types).
    const n = Number(value);
    if (type.startsWith('i')) {
      if (little) out.writeIntLE(n, 0, width);
      else out.writeIntBE(n, 0, width);
    } else if (little) out.writeUIntLE(n, 0, width);
    else out.writeUIntBE(n, 0, width);
    return out;
  }
  // Two's complement of the width: a negative value wraps into the unsigned range.
  let v = value < 0n ? value + 2n ** BigInt(width * 8) : value;
  for (let i = 0; i < width; i++) {
    out[little ? i : width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Reads a field of `type` from `bytes` at `offset` (as Python's `struct.unpack_from` and Node's
 * `Buffer.readUInt16BE` do): a fixed width's bytes, a varint of at most 10 bytes, or the ASCII
 * digits there (at most 20).
 * @returns the value and the number of bytes it took, or `undefined` when the bytes there are too
 *   few, a varint does not end, or no digit is there
 */
export function decodeInt(type: IntType, bytes: Uint8Array, offset: number): { readonly value: bigint; readonly size: number } | undefined {
  if (offset < 0 || offset > bytes.length) return undefined;
  if (type === 'dec') {
    let end = offset;
    while (end < bytes.length && end - offset < 20 && bytes[end] >= 0x30 && bytes[end] <= 0x39) end++;
    if (end === offset) return undefined;
    return { value: BigInt(Buffer.from(bytes.subarray(offset, end)).toString('latin1')), size: end - offset };
  }
  if (type === 'varint') {
    let value = 0n;
    for (let i = 0; i < 10 && offset + i < bytes.length; i++) {
      const b = bytes[offset + i];
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return { value, size: i + 1 };
    }
    return undefined;
  }
  const width = intWidth(type) as number;
  if (offset + width > bytes.length) return undefined;
  const little = type.endsWith('le');
  let value = 0n;
  for (let i = 0; i < width; i++) value = (value << 8n) | BigInt(bytes[offset + (little ? width - 1 - i : i)]);
  // Two's complement: a signed type's top bit makes the value negative.
  if (type.startsWith('i') && value >= 2n ** BigInt(width * 8 - 1)) value -= 2n ** BigInt(width * 8);
  return { value, size: width };
}
