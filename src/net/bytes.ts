/**
 * Bytes rendered for people, with `Uint8Array` and strings only (never `Buffer` or `node:*`): the
 * traffic view's page runs in a browser and bundles this module, and the transcript, the log and
 * hovers use the same renderers (through `payload.ts`), so a byte reads the same everywhere.
 */

const RENDER_ESCAPES: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x00: '\\0', 0x5c: '\\\\', 0x22: '\\"' };

/**
 * Renders bytes as text with escapes: printable ASCII as is, `\r \n \t \0 \\ \"` by name, every
 * other byte (control characters, bytes ≥ 0x80) as `\xHH`. `decodeEscapes(escapeBytes(b))`
 * equals `b` for every `b`.
 *
 * @param bytes the payload
 * @param maxBytes render at most this many bytes and append `…` when cut; default all
 */
export function escapeBytes(bytes: Uint8Array, maxBytes = Infinity): string {
  const n = Math.min(bytes.length, maxBytes);
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    const named = RENDER_ESCAPES[b];
    if (named !== undefined) s += named;
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return n < bytes.length ? s + '…' : s;
}

/**
 * Renders bytes as a hex dump in the default format of `xxd(1)`: per 16 bytes, an 8-digit hex
 * offset, eight groups of two bytes, and the bytes as ASCII with `.` for the unprintable.
 *
 * @returns the lines joined with `\n`, each ending with `\n` (as xxd prints); `''` for no bytes
 */
export function hexDump(bytes: Uint8Array): string {
  let out = '';
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, bytes.length));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i < row.length) {
        hex += row[i].toString(16).padStart(2, '0');
        ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
      } else {
        hex += '  ';
      }
      if (i % 2 === 1 && i < 15) hex += ' ';
    }
    out += `${off.toString(16).padStart(8, '0')}: ${hex}  ${ascii}\n`;
  }
  return out;
}

/**
 * Escapes the characters of decoded text that would hide or rearrange what a person reads:
 * C0 and C1 controls, DEL, the line and paragraph separators U+2028/U+2029 and the bidirectional
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069, the "Trojan Source" characters). `\r \n \t
 * \0` read by name, the rest as `\u{HH}`.
 *
 * @param text decoded payload text
 * @param quotes also escape `"` and `\` (for text shown between quotes)
 * @param keepNewlines leave `\n` (and `\t`) as they are, for text shown over several lines
 */
export function escapeControls(text: string, quotes: boolean, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  const special = /[\u0000-\u001f\u007f\u0080-\u009f"\\\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(special, (c) => {
    if (!quotes && (c === '"' || c === '\\')) return c;
    if (keepNewlines && (c === '\n' || c === '\t')) return c;
    return RENDER_ESCAPES[c.charCodeAt(0)] ?? `\\u{${c.charCodeAt(0).toString(16)}}`;
  });
}
