/**
 * Addresses and endpoints: `host:port`, `[v6]:port`, Unix socket paths, and the IPv4 packing of
 * `inet_aton(3)` / `inet_ntoa(3)`.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createError } from './errors';

/** The transports a socket can use; `tls` is TLS over TCP. */
export type Transport = 'tcp' | 'udp' | 'unix' | 'tls';

/** A network endpoint: a host (name or address) and a port, or a Unix socket path. */
export type Endpoint =
  | { readonly transport: 'tcp' | 'udp' | 'tls'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix'; readonly path: string };

/** The default host a listener binds when none is given: loopback only. */
export const DEFAULT_BIND_HOST = '127.0.0.1';

/**
 * The longest Unix socket path bind(2) and connect(2) take, in bytes: `sun_path` of
 * `struct sockaddr_un` (unix(7)) holds 108 bytes on Linux and 104 on macOS, the last one for the
 * terminating NUL. An abstract name (Linux; it starts with NUL) has no terminator: one byte more.
 */
export function unixPathLimit(path: string): number {
  const sunPath = process.platform === 'darwin' || process.platform.endsWith('bsd') ? 104 : 108;
  return path.startsWith('\0') ? sunPath : sunPath - 1;
}

/**
 * Checks that a Unix socket path fits `sun_path`. A longer one is not refused by Node: the
 * kernel would see it cut short, and bind a file of another name.
 *
 * @param path the path as it will be passed to bind(2) or connect(2)
 * @param what the operation, to start the message, e.g. `listen unix /tmp/s`
 * @throws SocketLabError `EBADADDR`, e.g. `listen unix /tmp/…: path too long: 130 bytes, and a
 *   Unix socket path holds at most 107 (sun_path)`
 */
export function checkUnixPath(path: string, what: string): void {
  const bytes = Buffer.byteLength(path);
  const limit = unixPathLimit(path);
  if (bytes > limit) throw createError('EBADADDR', `${what}: path too long: ${bytes} bytes, and a Unix socket path holds at most ${limit} (sun_path)`);
}

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

/**
 * Parses a listener's address as written, where a port alone (`8080` or `:8080`) binds
 * `defaultHost`: `8080` with `127.0.0.1` is `127.0.0.1:8080`, with `::1` it is `[::1]:8080`.
 * Anything else is `HOST:PORT` for {@link parseHostPort}. A client has no such default: it
 * calls {@link parseHostPort}.
 *
 * @param text the address as written, trimmed
 * @param defaultHost the host a port alone binds: {@link DEFAULT_BIND_HOST} in `.sock` files,
 *   the `socketLab.defaultBindHost` setting in the palette; an IPv6 address without brackets
 * @returns the host without brackets and the port, 0–65535 (0 asks the OS for a free port)
 * @throws SocketLabError `EBADADDR` as {@link parseHostPort}, also for a default host it cannot read
 */
export function parseListenerHostPort(text: string, defaultHost: string): { host: string; port: number } {
  if (!/^:?\d+$/.test(text)) return parseHostPort(text);
  return parseHostPort(`${defaultHost.includes(':') ? `[${defaultHost}]` : defaultHost}:${text.replace(':', '')}`);
}

/** Formats a host and port as `host:port`, bracketing IPv6 addresses (`[::1]:8080`). */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats an endpoint as written in `.sock` files: `tcp 127.0.0.1:80`, `unix /tmp/s`, `unix @name`. */
export function formatEndpoint(ep: Endpoint): string {
  return ep.transport === 'unix' ? `unix ${formatUnixPath(ep.path)}` : `${ep.transport} ${formatHostPort(ep.host, ep.port)}`;
}

/**
 * The Unix socket path a `.sock` target names: `@NAME` is Linux's abstract name NAME (unix(7):
 * `sun_path` starting with NUL; no file is made, and it goes when the listener closes), anything
 * else a file path, relative to `baseDir`.
 * @throws SocketLabError `EBADADDR` for an abstract name on a system other than Linux, or an empty one
 */
export function unixSocketPath(target: string, baseDir: string): string {
  if (!target.startsWith('@')) return resolve(baseDir, target);
  if (process.platform !== 'linux') throw createError('EBADADDR', `${target}: abstract Unix socket names (@NAME) are Linux's; this is ${process.platform}`);
  if (target.length === 1) throw createError('EBADADDR', '@: an abstract Unix socket name needs a name after the @');
  return `\0${target.slice(1)}`;
}

/** A Unix socket path as people write it: an abstract name (NUL first) as `@NAME`. */
export function formatUnixPath(path: string): string {
  return path.startsWith('\0') ? `@${path.slice(1)}` : path;
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

/** Parses a strict dotted quad as `inet_pton(AF_INET)`: four decimal parts 0–255, no leading zeros. */
function ptonV4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Buffer.from(parts.map(Number));
}

/** Parses IPv6 text as `inet_pton(AF_INET6)` (RFC 4291 §2.2), including `::` and a trailing dotted quad. */
function ptonV6(text: string): Buffer | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  let v4: Buffer | undefined;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    v4 = ptonV4(last);
    if (!v4) return undefined;
    if (tail.length > 0) tail.pop();
    else head.pop();
  }
  const toWord = (g: string): number | undefined => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : undefined);
  const headWords = head.map(toWord);
  const tailWords = tail.map(toWord);
  if ([...headWords, ...tailWords].some((w) => w === undefined)) return undefined;
  const fixed = headWords.length + tailWords.length + (v4 ? 2 : 0);
  if (halves.length === 2) {
    if (fixed > 7) return undefined;
    words.push(...(headWords as number[]), ...new Array<number>(8 - fixed).fill(0), ...(tailWords as number[]));
  } else {
    if (fixed !== 8) return undefined;
    words.push(...(headWords as number[]));
  }
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  if (v4) v4.copy(out, 12);
  return out;
}

/**
 * Packs an IPv4 or IPv6 address into network-order bytes, as `inet_pton(3)`: strict dotted quads
 * for IPv4 (no shorthand, no octal), RFC 4291 text for IPv6 (`::`, a trailing dotted quad).
 *
 * @returns 4 bytes for IPv4, 16 for IPv6
 * @throws SocketLabError `EBADADDR` for text that is neither
 */
export function pton(text: string): Buffer {
  const packed = text.includes(':') ? ptonV6(text) : ptonV4(text);
  if (!packed) throw createError('EBADADDR', `illegal IP address string passed to inet_pton: "${text}"`);
  return packed;
}

/**
 * True when binding `host` listens on every interface of the machine, so that other machines
 * can connect: the unspecified address (RFC 4291 §2.5.2; `INADDR_ANY` for IPv4) in any
 * spelling, compared by its bytes, not its text. That is `0.0.0.0` and the other forms
 * `inet_aton(3)` (and so `getaddrinfo(3)`, which binds them) reads as it (`0`, `0.0`, `0x0`);
 * `::`, `::0`, `0:0:0:0:0:0:0:0`; and the IPv4-mapped `::ffff:0.0.0.0` (`::ffff:0:0`), which
 * Linux binds as 0.0.0.0.
 */
export function isWildcardAddress(host: string): boolean {
  if (isIP(host) === 6) {
    let b: Buffer;
    try {
      b = pton(host);
    } catch {
      return false; // a zone (`fe80::1%eth0`) or other text inet_pton does not take
    }
    const mapped = b[10] === 0xff && b[11] === 0xff;
    return b.every((byte, i) => byte === 0 || (mapped && (i === 10 || i === 11)));
  }
  if (!/^[0-9a-fA-FxX.]+$/.test(host)) return false;
  try {
    return aton(host).readUInt32BE(0) === 0;
  } catch {
    return false;
  }
}

/**
 * Unpacks 4 or 16 network-order bytes into address text, as glibc's `inet_ntop(3)`: dotted quad
 * for IPv4; for IPv6 lowercase hex with the longest run of two or more zero groups as `::`
 * (RFC 5952 §4.2), and a dotted quad for IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible
 * (`::a.b.c.d`) addresses.
 *
 * @throws SocketLabError `EBADADDR` unless 4 or 16 bytes are given
 */
export function ntop(bytes: Uint8Array): string {
  if (bytes.length === 4) return ntoa(bytes);
  if (bytes.length !== 16) throw createError('EBADADDR', `packed IP wrong length for inet_ntop: ${bytes.length} bytes, expected 4 or 16`);
  const buf = Buffer.from(bytes);
  const words = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(i * 2));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  words.forEach((w, i) => {
    if (w === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  });
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += ntoa(buf.subarray(12));
      break;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
