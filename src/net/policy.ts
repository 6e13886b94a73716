/**
 * Who may talk to a listener: `allow` and `deny` lists of addresses and CIDR subnets, where deny
 * wins (as in ncat's `--allow`/`--deny`), checked with Node's `net.BlockList`.
 */
import { BlockList, isIP } from 'node:net';
import { createError } from './errors';

/** Lists of `ADDRESS` or `ADDRESS/PREFIX` (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fe80::/10`). */
export interface AccessLists {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

/**
 * Checks one `ADDRESS` or `ADDRESS/PREFIX` pattern.
 *
 * @returns the address, its family and the prefix length (32 or 128 for a single address)
 * @throws SocketLabError `EBADADDR` for text that is neither
 */
export function parseAddressPattern(text: string): { address: string; family: 'ipv4' | 'ipv6'; prefix: number } {
  const [address, prefixText, extra] = text.split('/');
  const v = isIP(address);
  const max = v === 4 ? 32 : 128;
  if (v === 0 || extra !== undefined || (prefixText !== undefined && (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max))) {
    throw createError('EBADADDR', `"${text}" is not an address or subnet such as 127.0.0.1, 10.0.0.0/8 or ::1`);
  }
  return { address, family: v === 4 ? 'ipv4' : 'ipv6', prefix: prefixText === undefined ? max : Number(prefixText) };
}

function toBlockList(patterns: readonly string[]): BlockList {
  const list = new BlockList();
  for (const p of patterns) {
    const { address, family, prefix } = parseAddressPattern(p);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket reports) as plain IPv4. */
function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/** Decides whether a peer address may connect: not denied, and allowed when an allow list exists. */
export class AddressFilter {
  private readonly allow: BlockList | undefined;
  private readonly deny: BlockList | undefined;

  /** @throws SocketLabError `EBADADDR` for a malformed pattern */
  constructor(lists: AccessLists) {
    this.allow = lists.allow && lists.allow.length > 0 ? toBlockList(lists.allow) : undefined;
    this.deny = lists.deny && lists.deny.length > 0 ? toBlockList(lists.deny) : undefined;
  }

  /** True when `address` may connect. Unix peers (no address) are always permitted. */
  permits(address: string | undefined): boolean {
    if (address === undefined) return true;
    const a = unmap(address);
    const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (this.deny?.check(a, family)) return false;
    return this.allow ? this.allow.check(a, family) : true;
  }
}
