/**
 * Service names and ports, as `getservbyname(3)` / `getservbyport(3)`: read from
 * `/etc/services` (services(5)) when present, else from a bundled table of well-known services.
 */
import { readFileSync } from 'node:fs';
import { createError } from './errors';

/** The transport of a service entry. */
export type ServiceProto = 'tcp' | 'udp';

/** One entry of a services table. */
export interface ServiceEntry {
  readonly name: string;
  readonly port: number;
  readonly proto: ServiceProto;
  readonly aliases: readonly string[];
}

/**
 * The fallback table when `/etc/services` is missing: the tutorial's services and other common
 * ones, with the protocols Debian's netbase lists for them (IANA service name registry).
 */
const WELL_KNOWN = `
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
domain 53/tcp
domain 53/udp
gopher 70/tcp
http 80/tcp www
pop3 110/tcp pop-3
nntp 119/tcp readnews untp
ntp 123/udp
imap2 143/tcp imap
snmp 161/udp
https 443/tcp
https 443/udp
syslog 514/udp
submission 587/tcp
imaps 993/tcp
pop3s 995/tcp
`;

/** A parsed services table with lookups in both directions. */
export class ServiceTable {
  private readonly entries: ServiceEntry[];

  /**
   * @param text the table in services(5) format: `name port/proto [aliases…] [# comment]`;
   *   malformed lines are skipped, as the C library does
   */
  constructor(text: string) {
    this.entries = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) continue;
      const [name, portProto, ...aliases] = line.split(/\s+/);
      const m = /^(\d+)\/(tcp|udp)$/.exec(portProto ?? '');
      if (!m) continue;
      this.entries.push({ name, port: Number(m[1]), proto: m[2] as ServiceProto, aliases });
    }
  }

  /**
   * The port of a service name or alias, as `getservbyname(name, proto)`.
   * @throws SocketLabError `ESERVICE` "service/proto not found" when there is no such pair
   */
  port(name: string, proto: ServiceProto = 'tcp'): ServiceEntry {
    const found = this.entries.find((e) => e.proto === proto && (e.name === name || e.aliases.includes(name)));
    if (!found) throw createError('ESERVICE', `service/proto not found: ${name}/${proto}`);
    return found;
  }

  /**
   * The service at a port, as `getservbyport(port, proto)`.
   * @throws SocketLabError `ESERVICE` "port/proto not found" when there is no such pair
   */
  name(port: number, proto: ServiceProto = 'tcp'): ServiceEntry {
    const found = this.entries.find((e) => e.proto === proto && e.port === port);
    if (!found) throw createError('ESERVICE', `port/proto not found: ${port}/${proto}`);
    return found;
  }

  /**
   * Answers a service question either way: a port (digits only) gives its service name, as
   * `getservbyport(3)`; anything else is a name or alias and gives its port, as `getservbyname(3)`.
   *
   * @param query `http`, `80`
   * @returns the name (`http`) or the port as decimal text (`80`)
   * @throws SocketLabError `ESERVICE` when there is no such pair, as {@link port} and {@link name}
   */
  lookup(query: string, proto: ServiceProto = 'tcp'): string {
    return /^\d+$/.test(query) ? this.name(Number(query), proto).name : String(this.port(query, proto).port);
  }
}

let systemTable: ServiceTable | undefined;

/**
 * The system's services table: `/etc/services` when readable, else the bundled well-known table.
 * Read once and cached.
 */
export function systemServices(): ServiceTable {
  if (!systemTable) {
    let text: string;
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      text = WELL_KNOWN;
    }
    systemTable = new ServiceTable(text);
  }
  return systemTable;
}

/** The bundled well-known table, used when `/etc/services` is missing. */
export function wellKnownServices(): ServiceTable {
  return new ServiceTable(WELL_KNOWN);
}
