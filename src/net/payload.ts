/**
 * The payload codec: how bytes are written in `.sock` files and shown in transcripts.
 *
 * - Text with escapes: `\r \n \t \0 \\ \" \xHH`; every other character is encoded as UTF-8.
 * - Hex: pairs of hex digits, optionally separated by whitespace (`47 45 54` or `474554`).
 * - Rendering: {@link escapeBytes} (the inverse of {@link decodeEscapes} for any bytes) and
 *   {@link hexDump}, which prints as `xxd(1)` does by default.
 *
 * The renderers that use no `Buffer` ({@link escapeBytes}, {@link hexDump}, {@link escapeControls})
 * live in `bytes.ts`, which the traffic view's page (a browser) bundles; they are re-exported here
 * so that Node code finds the whole codec in one module.
 */
import { escapeBytes, escapeControls } from './bytes';
import { createError } from './errors';

export { escapeBytes, escapeControls, hexDump } from './bytes';

const SIMPLE_ESCAPES: Record<string, number> = { r: 0x0d, n: 0x0a, t: 0x09, '0': 0x00, '\\': 0x5c, '"': 0x22 };

/**
 * Decodes text with escapes into bytes.
 *
 * @param text the characters between the quotes of a `"…"` payload
 * @returns the bytes: escapes decoded, everything else UTF-8
 * @throws SocketLabError `EBADPAYLOAD` for an unknown escape or a malformed `\xHH`; the message
 *   gives the 0-based offset in `text`
 */
export function decodeEscapes(text: string): Buffer {
  if (!text.includes('\\')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let literalStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x5c /* \ */) continue;
    if (i > literalStart) parts.push(Buffer.from(text.slice(literalStart, i), 'utf8'));
    const next = text[i + 1];
    if (next === undefined) throw createError('EBADPAYLOAD', `escape at offset ${i} is cut off: a lone "\\" ends the text`);
    if (next in SIMPLE_ESCAPES) {
      parts.push(Buffer.of(SIMPLE_ESCAPES[next]));
      i++;
    } else if (next === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw createError('EBADPAYLOAD', `escape at offset ${i}: "\\x" needs two hex digits, e.g. \\x0d`);
      parts.push(Buffer.of(parseInt(hex, 16)));
      i += 3;
    } else {
      throw createError('EBADPAYLOAD', `unknown escape "\\${next}" at offset ${i} (known: \\r \\n \\t \\0 \\\\ \\" \\xHH)`);
    }
    literalStart = i + 1;
  }
  if (literalStart < text.length) parts.push(Buffer.from(text.slice(literalStart), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Checks text with escapes without decoding it (the parser's check, which must not allocate).
 *
 * @throws SocketLabError `EBADPAYLOAD` exactly where {@link decodeEscapes} would
 */
export function checkEscapes(text: string): void {
  for (let i = text.indexOf('\\'); i >= 0; i = text.indexOf('\\', i + 1)) {
    const next = text[i + 1];
    if (next !== undefined && next in SIMPLE_ESCAPES) {
      i++;
      continue;
    }
    if (next === 'x' && isHexDigit(text.charCodeAt(i + 2)) && isHexDigit(text.charCodeAt(i + 3))) {
      i += 3;
      continue;
    }
    decodeEscapes(text); // throws the precise error
  }
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Decodes hex digits into bytes.
 *
 * @param text pairs of hex digits; whitespace between pairs is ignored (`47 45 54`, `474554`)
 * @throws SocketLabError `EBADPAYLOAD` for a non-hex character or an odd number of digits
 */
export function decodeHex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw createError('EBADPAYLOAD', `"${bad[0]}" is not a hex digit`);
  if (digits.length % 2 !== 0) throw createError('EBADPAYLOAD', `hex needs an even number of digits, got ${digits.length}`);
  return Buffer.from(digits, 'hex');
}

/** Renders bytes as space-separated lowercase hex pairs, e.g. `47 45 54`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** A byte count for people: `1 byte`, `24 bytes`. */
export function byteCount(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/**
 * Decodes base64 (RFC 4648 §4, padding optional; whitespace between groups ignored).
 *
 * @throws SocketLabError `EBADPAYLOAD` for a character outside the alphabet or a length that no
 *   base64 text can have
 */
export function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  const bad = /[^A-Za-z0-9+/=]/.exec(compact);
  if (bad) throw createError('EBADPAYLOAD', `"${bad[0]}" is not a base64 character`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1 || (compact.includes('=') && compact.length % 4 !== 0)) {
    throw createError('EBADPAYLOAD', `"${compact.length > 20 ? compact.slice(0, 20) + '…' : compact}" is not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** How text previews show payload bytes. */
export type PreviewEncoding = 'escaped' | 'utf8' | 'latin1';

/**
 * Renders a payload preview: `escaped` shows every byte outside printable ASCII as an escape
 * (exact, the default); `utf8` and `latin1` decode the bytes as that text encoding first and then
 * escape only control characters (so `é` reads as `é`; invalid UTF-8 becomes U+FFFD).
 *
 * @param maxBytes preview at most this many bytes, `…` when cut
 */
export function previewBytes(bytes: Uint8Array, encoding: PreviewEncoding, maxBytes: number): string {
  if (encoding === 'escaped') return escapeBytes(bytes, maxBytes);
  const cut = bytes.length > maxBytes;
  const shown = escapeControls(Buffer.from(bytes.subarray(0, maxBytes)).toString(encoding), true);
  return cut ? shown + '…' : shown;
}

/**
 * Replaces every run of `needle` in `bytes` with `replacement`, left to right, runs not
 * overlapping (as `Buffer.indexOf` finds them). An empty needle replaces nothing.
 * @returns the new bytes (`bytes` itself when nothing matched) and how many runs were replaced
 */
export function replaceBytes(bytes: Buffer, needle: Buffer, replacement: Buffer): { bytes: Buffer; count: number } {
  if (needle.length === 0) return { bytes, count: 0 };
  const parts: Buffer[] = [];
  let from = 0;
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, from)) {
    parts.push(bytes.subarray(from, at), replacement);
    from = at + needle.length;
    count++;
  }
  if (count === 0) return { bytes, count };
  parts.push(bytes.subarray(from));
  return { bytes: Buffer.concat(parts), count };
}
