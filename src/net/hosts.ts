/**
 * The static host table, `/etc/hosts` (hosts(5)): the names `gethostbyname(3)` and
 * `gethostbyaddr(3)` find there before they ask DNS. Reading it sends nothing, so hovers answer
 * from it; a lookup that may leave the machine is the resolver's (`./resolver.ts`).
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { pton } from './address';

/** One line of a hosts table: an address and its names, the canonical name first. */
export interface HostsEntry {
  readonly address: string;
  readonly names: readonly string[];
}

/** The packed bytes of an address as hex, so `::1` and `0:0::1` are the same key; undefined for a non-address. */
function addressKey(text: string): string | undefined {
  const bare = text.replace(/%.*$/, ''); // a zone (fe80::1%eth0) does not change the address
  if (isIP(bare) === 0) return undefined;
  return pton(bare).toString('hex');
}

/** A parsed hosts table with lookups in both directions. */
export class HostsTable {
  private readonly entries: HostsEntry[] = [];

  /**
   * @param text the table in hosts(5) format: `address name [aliases…] [# comment]`; lines whose
   *   first field is not an IPv4 or IPv6 address are skipped, as the C library does
   */
  constructor(text: string) {
    for (const raw of text.split('\n')) {
      const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
      if (names.length === 0 || addressKey(address) === undefined) continue;
      this.entries.push({ address, names });
    }
  }

  /** The addresses of a name or alias, in file order (names compare case-insensitively, as hosts(5) says). */
  addresses(name: string): string[] {
    const want = name.toLowerCase().replace(/\.$/, '');
    const out: string[] = [];
    for (const e of this.entries) if (e.names.some((n) => n.toLowerCase() === want) && !out.includes(e.address)) out.push(e.address);
    return out;
  }

  /**
   * The names of an address, in file order (each line's canonical name, then its aliases).
   * Addresses compare by their bytes, not their spelling.
   */
  names(address: string): string[] {
    const key = addressKey(address);
    if (key === undefined) return [];
    const out: string[] = [];
    for (const e of this.entries) if (addressKey(e.address) === key) for (const n of e.names) if (!out.includes(n)) out.push(n);
    return out;
  }
}

const HOSTS_PATH = '/etc/hosts';
let cached: { mtimeMs: number; size: number; table: HostsTable } | undefined;

/**
 * The system's hosts table, `/etc/hosts`, re-read when the file changes (its mtime or size); an
 * empty table when it cannot be read.
 */
export function systemHosts(): HostsTable {
  let mtimeMs = -1;
  let size = -1;
  try {
    ({ mtimeMs, size } = statSync(HOSTS_PATH));
  } catch {
    // no file: an empty table
  }
  if (cached && cached.mtimeMs === mtimeMs && cached.size === size) return cached.table;
  let text = '';
  try {
    text = readFileSync(HOSTS_PATH, 'utf8');
  } catch {
    text = '';
  }
  cached = { mtimeMs, size, table: new HostsTable(text) };
  return cached.table;
}
