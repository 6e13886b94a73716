/**
 * Name resolution as the system resolver does it (getaddrinfo/getnameinfo semantics, so
 * `/etc/hosts` and nsswitch apply), mirroring Python's `socket.gethostname`,
 * `socket.gethostbyname` and `socket.gethostbyaddr`.
 */
import { lookup as dnsLookup, lookupService } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { fromNodeError } from './errors';

/** One address of a name: the address text and its family, 4 or 6. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The machine's host name, as `gethostname(2)` (Node's `os.hostname()`). */
export function hostname(): string {
  return osHostname();
}

/**
 * Resolves a host name to all its addresses through the system resolver (`getaddrinfo(3)` via
 * Node's `dns.lookup` with `all: true`), in the resolver's order.
 *
 * @throws SocketLabError `ENOTFOUND` for an unknown name, `EAI_AGAIN` when the resolver fails
 */
export async function lookup(name: string): Promise<ResolvedAddress[]> {
  try {
    const found = await dnsLookup(name, { all: true, order: 'verbatim' });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (err) {
    throw fromNodeError(err, `lookup ${name}`);
  }
}

/**
 * Resolves an IPv4 or IPv6 address to a host name through `getnameinfo(3)` (Node's
 * `dns.lookupService`), so `127.0.0.1` gives `localhost` from `/etc/hosts`, offline.
 *
 * @throws SocketLabError `ENOTFOUND` when the address has no name
 */
export async function reverseLookup(address: string): Promise<string> {
  try {
    const { hostname: name } = await lookupService(address, 0);
    // getnameinfo without NI_NAMEREQD answers the address itself when it finds no name.
    if (name === address) throw Object.assign(new Error('no name'), { code: 'ENOTFOUND' });
    return name;
  } catch (err) {
    throw fromNodeError(err, `reverse lookup ${address}`);
  }
}

/**
 * Answers a host question either way: an address gives its name ({@link reverseLookup},
 * `getnameinfo(3)`, as Python's `socket.gethostbyaddr(a)[0]`), a name every address it has, IPv4
 * and IPv6 ({@link lookup}, `getaddrinfo(3)`).
 *
 * @returns the name, or the addresses joined with `, ` in the resolver's order
 * @throws SocketLabError `ENOTFOUND` for an unknown name or an address without one, `EAI_AGAIN`
 *   when the resolver fails
 */
export async function lookupHost(text: string): Promise<string> {
  if (isAddress(text)) return reverseLookup(text);
  return (await lookup(text)).map((a) => a.address).join(', ');
}

/** True when `text` is an IPv4 or IPv6 address rather than a host name. */
export function isAddress(text: string): boolean {
  return isIP(text) !== 0;
}
