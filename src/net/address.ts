/**
 * Addresses and endpoints: `host:port`, `[v6]:port`, Unix socket paths, and the IPv4 packing of
 * `inet_aton(3)` / `inet_ntoa(3)`.
 */
import { isIP } from 'node:net';
import { createError } from './errors';

/** The transports a socket can use. */
export type Transport = 'tcp' | 'udp' | 'unix';

/** A network endpoint: a host (name or address) and a port, or a Unix socket path. */
export type Endpoint =
  | { readonly transport: 'tcp' | 'udp'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix'; readonly path: string };

/** The default host a listener binds when none is given: loopback only. */
export const DEFAULT_BIND_HOST = '127.0.0.1';

/**
 * Parses `HOST:PORT` (`127.0.0.1:8080`, `localhost:80`, `[::1]:8080`) into a host and port.
 *
 * @param text the endpoint as written; IPv6 addresses must be in brackets
 * @returns the host without brackets and the port, 0–65535 (0 asks the OS for a free port)
 * @throws SocketLabError `EBADADDR` with a message naming what is wrong
 */
export function parseHostPort(text: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw createError('EBADADDR', `"${text}": missing "]" after the IPv6 address`);
    host = text.slice(1, close);
    if (isIP(host) !== 6) throw createError('EBADADDR', `"${host}" in brackets is not an IPv6 address`);
    if (text[close + 1] !== ':') throw createError('EBADADDR', `"${text}": expected ":PORT" after "]"`);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw createError('EBADADDR', `"${text}": expected HOST:PORT, e.g. 127.0.0.1:8080`);
    host = text.slice(0, colon);
    if (host.includes(':')) throw createError('EBADADDR', `"${text}": an IPv6 address needs brackets, e.g. [::1]:8080`);
    portText = text.slice(colon + 1);
  }
  if (host === '') throw createError('EBADADDR', `"${text}": the host is empty`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw createError('EBADADDR', `"${portText}" is not a port: expected a number from 0 to 65535`);
  }
  return { host, port: Number(portText) };
}

/** Formats a host and port as `host:port`, bracketing IPv6 addresses (`[::1]:8080`). */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats an endpoint as written in `.sock` files: `tcp 127.0.0.1:80`, `unix /tmp/s`. */
export function formatEndpoint(ep: Endpoint): string {
  return ep.transport === 'unix' ? `unix ${ep.path}` : `${ep.transport} ${formatHostPort(ep.host, ep.port)}`;
}

/**
 * Parses one number of an `inet_aton(3)` address part as C's `strtoul(s, &end, 0)` does:
 * `0x`/`0X` then hex digits, a leading `0` then octal digits, else decimal digits.
 * @returns the value (`Infinity` on overflow past 2^32 - 1) and the index after the number
 */
function parseAtonNumber(s: string, i: number): { value: number; end: number } {
  let base = 10;
  let j = i;
  if (s[j] === '0') {
    if ((s[j + 1] === 'x' || s[j + 1] === 'X') && /[0-9a-fA-F]/.test(s[j + 2] ?? '')) {
      base = 16;
      j += 2;
    } else {
      base = 8;
    }
  }
  const digitRe = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  let value = 0;
  while (j < s.length && digitRe.test(s[j])) {
    value = value * base + parseInt(s[j], 16);
    if (value > 0xffffffff) value = Infinity;
    j++;
  }
  return { value, end: j };
}

const MAX_LAST_PART = [0xffffffff, 0xffffff, 0xffff, 0xff];

/**
 * Packs an IPv4 address into 4 bytes in network order, with the semantics of glibc's
 * `inet_aton(3)` (and so of Python's `socket.inet_aton` on Linux): 1 to 4 dot-separated parts,
 * each decimal, octal (leading `0`) or hex (`0x`); the last part fills the remaining bytes
 * (`127.1` is 127.0.0.1); whitespace after the address ends it.
 *
 * @param text the address, e.g. `127.0.0.1`, `127.1`, `0x7f.1`
 * @returns 4 bytes
 * @throws SocketLabError `EBADADDR` for anything `inet_aton` rejects: `256.1.1.1`, `1.2.3.4.5`, ``
 */
export function aton(text: string): Buffer {
  const bad = (): never => {
    throw createError('EBADADDR', `illegal IP address string passed to inet_aton: "${text}"`);
  };
  const parts: number[] = [];
  let i = 0;
  let value: number;
  for (;;) {
    if (!/[0-9]/.test(text[i] ?? '')) bad();
    const n = parseAtonNumber(text, i);
    value = n.value;
    i = n.end;
    if (text[i] === '.') {
      if (parts.length > 2 || value > 0xff) bad();
      parts.push(value);
      i++;
    } else {
      break;
    }
  }
  if (i < text.length && !/[ \t\n\v\f\r]/.test(text[i])) bad();
  if (value > MAX_LAST_PART[parts.length]) bad();
  const word = parts.reduce((acc, p, k) => acc + p * 2 ** (24 - 8 * k), 0) + value;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(word);
  return out;
}

/**
 * Unpacks 4 bytes in network order into a dotted-quad IPv4 address, as `inet_ntoa(3)`.
 *
 * @throws SocketLabError `EBADADDR` unless exactly 4 bytes are given
 */
export function ntoa(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw createError('EBADADDR', `packed IP wrong length for inet_ntoa: ${bytes.length} bytes, expected 4`);
  return Array.from(bytes).join('.');
}
