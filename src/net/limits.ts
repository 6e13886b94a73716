/**
 * This machine's limits that a load meets first: open file descriptors (`RLIMIT_NOFILE`, one per
 * socket) and ephemeral ports (one per outgoing TCP connection, held for 60 s in `TIME_WAIT`
 * after it closes). Linux reads them from /proc; elsewhere they are unknown (`undefined`) and
 * nothing is checked.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** How long a closed TCP connection's port stays in `TIME_WAIT` on Linux (`TCP_TIMEWAIT_LEN`), ms. */
export const TIME_WAIT_MS = 60_000;

/** The open-file limits of this process (`getrlimit(RLIMIT_NOFILE)`). */
export interface FdLimits {
  readonly soft: number;
  /** `Infinity` for `unlimited`. */
  readonly hard: number;
}

/** Reads this process's open-file limits from /proc/self/limits; `undefined` where there is none. */
export async function fdLimits(): Promise<FdLimits | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return undefined;
  const n = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}

/**
 * Raises this process's soft open-file limit to `soft` (at most the hard limit), with util-linux's
 * `prlimit --pid`: Node has no `setrlimit`. Resolves with the limits read back afterwards.
 * @throws Error when prlimit is missing or refuses (the message says which)
 */
export async function raiseFdLimit(soft: number): Promise<FdLimits | undefined> {
  const now = await fdLimits();
  if (!now) return undefined;
  const target = Math.min(soft, now.hard);
  if (target <= now.soft) return now;
  const hard = now.hard === Infinity ? 'unlimited' : String(now.hard);
  await new Promise<void>((resolve, reject) =>
    execFile('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${hard}`], { timeout: 5000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`prlimit could not raise the open-file limit: ${(stderr || err.message).trim()}`));
      else resolve();
    }),
  );
  return fdLimits();
}

/**
 * The local port of each socket of a /proc/net/tcp or tcp6 table (`proc(5)`): each line after the
 * header is "sl local_address rem_address st …", the address as HEX:PORT. Read by offsets: a
 * machine just after a load holds tens of thousands of TIME_WAIT lines.
 */
export function localPorts(table: string): number[] {
  const ports: number[] = [];
  for (let at = table.indexOf('\n') + 1; at > 0 && at < table.length; at = table.indexOf('\n', at) + 1) {
    const sl = table.indexOf(':', at);
    if (sl < 0) break;
    let start = sl + 1;
    while (table.charCodeAt(start) === 0x20) start++;
    const end = table.indexOf(' ', start);
    if (end < 0) break;
    ports.push(parseInt(table.slice(table.lastIndexOf(':', end) + 1, end), 16));
  }
  return ports;
}

/** The ephemeral port range and how many of its ports local sockets hold now. */
export interface EphemeralPorts {
  readonly low: number;
  readonly high: number;
  /** Ports of the range that TCP sockets (any state, `TIME_WAIT` included) hold now, over IPv4 and IPv6. */
  readonly inUse: number;
}

/**
 * Reads `net.ipv4.ip_local_port_range` and counts the local TCP ports of that range in use
 * (/proc/net/tcp and tcp6). `undefined` where /proc has neither.
 */
export async function ephemeralPorts(): Promise<EphemeralPorts | undefined> {
  let range: string;
  try {
    range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    return undefined;
  }
  const [low, high] = range.trim().split(/\s+/).map(Number);
  if (!(low > 0 && high >= low)) return undefined;
  const used = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      // Read at once: a read of a /proc/net table gives a page of it (about 4 KB), and an
      // asynchronous read takes a thread-pool round trip for each (40 ms for a machine's 450 KB
      // of sockets just after a load, against 10 ms; once, before a load's sessions start).
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const port of localPorts(text)) if (port >= low && port <= high) used.add(port);
  }
  return { low, high, inUse: used.size };
}
