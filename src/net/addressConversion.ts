/**
 * The "Convert Address" lookup: address text to packed bytes and back, as Python's
 * `socket.inet_aton`, `inet_pton` and `inet_ntop` do.
 */
import { isIP } from 'node:net';
import { aton, ntop, pton } from './address';
import { decodeHex, escapeBytes, toHex } from './payload';

/**
 * Converts between address text and packed bytes: IPv6 text is packed as `inet_pton(3)`; dotted
 * IPv4 text (any form `inet_aton(3)` reads: `127.1`, `0x7f.1`) as `inet_aton`; anything else is
 * read as hex bytes and unpacked as `inet_ntop(3)` (4 or 16 bytes).
 *
 * @param text the address or the hex bytes, e.g. `127.0.0.1`, `::1`, `7f000001`
 * @returns the answer as shown to the person, e.g. `inet_aton → 7f 00 00 01 "\x7f\0\0\x01" (127.0.0.1)`
 * @throws SocketLabError `EBADADDR` for an address the call rejects, `EBADPAYLOAD` for bad hex
 */
export function convertAddress(text: string): string {
  if (isIP(text) === 6) return `inet_pton → ${toHex(pton(text))}`;
  if (/^[\d.xXa-fA-F]+$/.test(text) && text.includes('.')) {
    const packed = aton(text);
    return `inet_aton → ${toHex(packed)} "${escapeBytes(packed)}" (${ntop(packed)})`;
  }
  const bytes = decodeHex(text);
  return `inet_ntop → ${ntop(bytes)}`;
}
