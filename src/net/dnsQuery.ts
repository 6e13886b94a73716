/**
 * DNS queries to a name server, beside the system resolver: `resolve NAME TYPE [@SERVER]` of
 * `.sock` files, like `dig`. Built on Node's `dns.promises.Resolver` (c-ares), which speaks DNS
 * over UDP (and TCP for truncated answers) to the servers it is given (RFC 1035).
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatHostPort, parseHostPort } from './address';
import { createError, fromNodeError } from './errors';

/** The record types `resolve` asks for. */
export const RECORD_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'NS', 'CNAME', 'PTR'] as const;

/** One of {@link RECORD_TYPES}. */
export type RecordType = (typeof RECORD_TYPES)[number];

/** A DNS server to ask: an IPv4 or IPv6 address and a port (53 by default). */
export interface NameServer {
  readonly host: string;
  readonly port: number;
}

/**
 * Asks a DNS server for the records of a name.
 *
 * @param name a host name; for `PTR`, an IPv4 or IPv6 address (its `in-addr.arpa`/`ip6.arpa`
 *   name is asked) or an `.arpa` name
 * @param server the server to ask; the system's configured servers when absent
 * @param timeoutMs how long to wait for one answer (one try)
 * @returns the answers as text, one per record, as `dig +short` prints them: `10 mail.example.`
 *   for MX is `10 mail.example`, SRV is `priority weight port target`, TXT strings are joined
 * @throws SocketLabError `ENOTFOUND` (NXDOMAIN), `ENODATA` (no record of that type),
 *   `EREFUSED`, `ESERVFAIL`, `ETIMEOUT`, `ECONNREFUSED`
 */
export async function resolveRecords(name: string, type: RecordType, server: NameServer | undefined, timeoutMs: number): Promise<string[]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (server) resolver.setServers([formatHostPort(server.host, server.port)]);
  const what = `resolve ${name} ${type}${server ? ` @${formatHostPort(server.host, server.port)}` : ''}`;
  try {
    switch (type) {
      case 'A':
        return await resolver.resolve4(name);
      case 'AAAA':
        return await resolver.resolve6(name);
      case 'MX':
        return (await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority).map((r) => `${r.priority} ${r.exchange}`);
      case 'TXT':
        return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
      case 'SRV':
        return (await resolver.resolveSrv(name)).map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`);
      case 'NS':
        return await resolver.resolveNs(name);
      case 'CNAME':
        return await resolver.resolveCname(name);
      case 'PTR':
        return isIP(name) ? await resolver.reverse(name) : await resolver.resolvePtr(name);
    }
  } catch (err) {
    throw fromNodeError(err, what);
  } finally {
    resolver.cancel();
  }
  throw createError('EBADADDR', `${what}: unknown record type`);
}

/**
 * Parses a name server as written after `@`: `127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`.
 * @throws SocketLabError `EBADADDR` unless the host is an IP address and the port valid
 */
export function parseNameServer(text: string): NameServer {
  let host = text;
  let port = 53;
  if (text.startsWith('[') || (text.includes(':') && isIP(text) !== 6)) {
    const hp = parseHostPort(text);
    host = hp.host;
    port = hp.port;
  }
  if (!isIP(host)) throw createError('EBADADDR', `"${text}" is not a name server address: write @127.0.0.1, @127.0.0.1:5353 or @[::1]:53`);
  return { host, port };
}
