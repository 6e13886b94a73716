/**
 * Byte patterns for expectations: bytes where some positions match any byte (`??` in hex:
 * `20 ?? 00 00`), matched anywhere, at an offset or as the whole value, and the byte-level diff
 * a failed match shows. Pure: no `vscode`.
 */
import { createError } from './errors';
import { toHex } from './payload';

/** Bytes to match; where `mask` is 0, any byte matches (`mask` absent: every byte counts). */
export interface BytePatternBytes {
  readonly bytes: Buffer;
  readonly mask?: Buffer;
}

/**
 * Decodes hex digits with `??` for any byte (`20 ?? 00 00`, `20??0000`): white space is ignored,
 * and `??` stands where two digits would.
 * @throws SocketLabError `EBADPAYLOAD` for a character that is neither a hex digit, `?` nor white
 *   space, a lone `?`, or an odd number of digits
 */
export function decodeHexPattern(text: string): BytePatternBytes {
  const compact = text.replace(/\s+/g, '');
  if (!compact.includes('?')) return { bytes: hexBytes(compact, text) };
  if (compact.length % 2 !== 0) throw createError('EBADPAYLOAD', `hex "${text}" has an odd number of digits`);
  const bytes = Buffer.alloc(compact.length / 2);
  const mask = Buffer.alloc(compact.length / 2, 0xff);
  for (let i = 0; i < bytes.length; i++) {
    const pair = compact.slice(2 * i, 2 * i + 2);
    if (pair === '??') mask[i] = 0;
    else if (pair.includes('?')) throw createError('EBADPAYLOAD', `"${pair}" is half a wildcard: ?? stands for a whole byte`);
    else bytes[i] = hexBytes(pair, text)[0];
  }
  return { bytes, mask };
}

function hexBytes(compact: string, text: string): Buffer {
  const bad = /[^0-9a-fA-F]/.exec(compact);
  if (bad) throw createError('EBADPAYLOAD', `"${bad[0]}" is not a hex digit`);
  if (compact.length % 2 !== 0) throw createError('EBADPAYLOAD', `hex "${text}" has an odd number of digits`);
  return Buffer.from(compact, 'hex');
}

/** True when `pattern` matches `haystack` at `offset` (which must leave room for it). */
export function matchesAt(haystack: Uint8Array, offset: number, pattern: BytePatternBytes): boolean {
  const { bytes, mask } = pattern;
  if (offset < 0 || offset + bytes.length > haystack.length) return false;
  for (let i = 0; i < bytes.length; i++) if ((mask === undefined || mask[i] !== 0) && haystack[offset + i] !== bytes[i]) return false;
  return true;
}

/** The first offset where `pattern` matches in `haystack`, or -1 (`Buffer.indexOf` when nothing is masked). */
export function findPattern(haystack: Buffer, pattern: BytePatternBytes): number {
  if (pattern.mask === undefined) return haystack.indexOf(pattern.bytes);
  for (let i = 0; i + pattern.bytes.length <= haystack.length; i++) if (matchesAt(haystack, i, pattern)) return i;
  return -1;
}

/** The pattern's bytes in hex, `??` where any byte matches. */
export function patternHex(pattern: BytePatternBytes, limit = 32): string {
  const shown = Math.min(pattern.bytes.length, limit);
  const out: string[] = [];
  for (let i = 0; i < shown; i++) out.push(pattern.mask && pattern.mask[i] === 0 ? '??' : pattern.bytes[i].toString(16).padStart(2, '0'));
  return out.join(' ') + (pattern.bytes.length > limit ? ' …' : '');
}

/** Where an aligned match failed: both sides in hex from `offset`, and the first byte that differs. */
export interface ByteDiff {
  /** Where the expected bytes were looked for in the value (bytes from its start). */
  readonly offset: number;
  readonly expected: string;
  readonly actual: string;
  /** The first differing byte, from the start of the value; -1 when the value ends first. */
  readonly first: number;
}

/**
 * Compares `pattern` with `value` at `offset`, byte by byte.
 * @returns `undefined` when they match, else the diff (at most 32 bytes of each side shown, from
 *   8 bytes before the first difference)
 */
export function byteDiff(value: Buffer, offset: number, pattern: BytePatternBytes): ByteDiff | undefined {
  if (matchesAt(value, offset, pattern)) return undefined;
  let first = -1;
  for (let i = 0; i < pattern.bytes.length; i++) {
    const at = offset + i;
    if (at < 0 || at >= value.length) break;
    if ((pattern.mask === undefined || pattern.mask[i] !== 0) && value[at] !== pattern.bytes[i]) {
      first = at;
      break;
    }
  }
  const from = Math.max(0, (first < 0 ? offset : first) - 8 - offset);
  const shown = { bytes: pattern.bytes.subarray(from, from + 32), ...(pattern.mask ? { mask: pattern.mask.subarray(from, from + 32) } : {}) };
  const start = Math.max(0, offset + from);
  return {
    offset,
    expected: (from > 0 ? '… ' : '') + patternHex(shown),
    actual: (from > 0 ? '… ' : '') + toHex(value.subarray(start, Math.min(value.length, start + shown.bytes.length))) + (value.length > start + shown.bytes.length ? ' …' : ''),
    first,
  };
}

/** A diff on one line, for the transcript and inline results. */
export function describeDiff(d: ByteDiff, valueLength: number): string {
  const where = d.first >= 0 ? `first difference at byte ${d.first}` : `the value ends at byte ${valueLength}`;
  return `at offset ${d.offset}: expected ${d.expected}, found ${d.actual || 'nothing'} (${where})`;
}
