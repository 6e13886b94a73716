/**
 * Issue 19's rows: repeated steps, UDP sending and load, each a whole `socket-lab run` process
 * against the same peer as its baselines (a plain Node script, a Python 3 loop), wall time, CPU
 * time and peak memory as the kernel counted them (bench/rusage.py).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseSock } from '../src/sock/parser';
import { SockRun } from '../src/sock/runner';
import { benchChild, fmt, median, processCost, type ProcessCost, type Row } from './common';

const HERE = join(process.cwd(), 'bench');
const CLI = join(process.cwd(), 'dist', 'cli.js');

/** A peer process that prints its port first ("listening PORT"), then lines of its own. */
interface Peer {
  readonly port: number;
  /** Its next line. */
  line(): Promise<string>;
  stop(): void;
}

async function startPeer(cmd: string, args: string[]): Promise<Peer> {
  const child: ChildProcessWithoutNullStreams = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) resolve(l);
      else {
        const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} said nothing for 10 s`)), 10_000);
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
      }
    });
  // "listening PORT" (the test peers' first line) or the port alone.
  const port = Number((await next()).replace(/^listening /, ''));
  return {
    port,
    line: next,
    stop: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

function sockFile(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The median of each figure over the runs. */
function medianCost(costs: ProcessCost[]): { wallMs: number; cpuMs: number; peakMiB: number } {
  return { wallMs: median(costs.map((c) => c.wallMs)), cpuMs: median(costs.map((c) => c.cpuMs)), peakMiB: median(costs.map((c) => c.peakMiB)) };
}

/**
 * 20,000 rounds of `send "PING\n"` / `recv line` in a `repeat`, by `socket-lab run`, beside a plain
 * Node client and a Python 3 loop doing the same against one Node echo server; turns rotate.
 */
export async function repeatRows(rows: Row[], rounds: number, repeats: number): Promise<void> {
  const echo = await startPeer(process.execPath, [join(HERE, 'echo.mjs')]);
  const dir = mkdtempSync(join(tmpdir(), 'socket-lab-bench-repeat-'));
  const file = sockFile(dir, 'pings.sock', `### pings\nconnect tcp 127.0.0.1:{{port}}\nrepeat ${rounds}\nsend "PING\\n"\nrecv line\nend\n`);
  const contenders: [string, () => Promise<ProcessCost>][] = [
    ['lab', () => processCost(process.execPath, [CLI, 'run', file, '--var', `port=${echo.port}`])],
    ['node', () => processCost(process.execPath, [join(HERE, 'pingclient.mjs'), '127.0.0.1', String(echo.port), String(rounds)])],
    ['python', () => processCost('python3', [join(HERE, 'pingloop.py'), '127.0.0.1', String(echo.port), String(rounds)])],
  ];
  const costs = new Map<string, ProcessCost[]>(contenders.map(([k]) => [k, []]));
  try {
    for (let i = 0; i < repeats; i++) {
      for (let k = 0; k < contenders.length; k++) {
        const [name, f] = contenders[(i + k) % contenders.length];
        costs.get(name)?.push(await f());
      }
      process.stderr.write(`bench: repeat round ${i + 1}/${repeats}\n`);
    }
  } finally {
    echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const [lab, node, python] = ['lab', 'node', 'python'].map((k) => medianCost(costs.get(k) ?? []));
  rows.push({ measure: `repeat of send/recv line, ${rounds} rounds against a Node echo: wall time, whole process (ms)`, socketLab: fmt(lab.wallMs), baseline: `plain Node client ${fmt(node.wallMs)}`, ratio: fmt(lab.wallMs / node.wallMs, 2), goal: '≤ 1.05 × Node', met: lab.wallMs / node.wallMs <= 1.05 });
  rows.push({ measure: '… CPU time, user + system (ms)', socketLab: fmt(lab.cpuMs), baseline: `plain Node client ${fmt(node.cpuMs)}`, ratio: fmt(lab.cpuMs / node.cpuMs, 2), goal: '≤ 1.3 × Node', met: lab.cpuMs / node.cpuMs <= 1.3 });
  rows.push({ measure: '… wall time against the same loop in Python 3 (ms)', socketLab: fmt(lab.wallMs), baseline: `Python 3 ${fmt(python.wallMs)}`, ratio: fmt(lab.wallMs / python.wallMs, 2), goal: '< 1.00 × Python', met: lab.wallMs < python.wallMs });
  rows.push({ measure: '… peak memory, RSS (MiB)', socketLab: fmt(lab.peakMiB, 1), baseline: `plain Node ${fmt(node.peakMiB, 1)}, Python ${fmt(python.peakMiB, 1)}`, ratio: `+${fmt(lab.peakMiB - node.peakMiB, 1)} MiB`, goal: '≤ Node + 20 MiB', met: lab.peakMiB - node.peakMiB <= 20 });
}

const DATAGRAMS = 100_000;
const DATAGRAM_BYTES = 64;
/** The open-loop UDP rate and how long it is held. */
const UDP_RATE = 50_000;
const UDP_RATE_SECONDS = 10;

/**
 * 100,000 datagrams of 64 bytes by a `repeat` of `send` on `connect udp`, beside the Python
 * `sendto` loop, into a Python sink that counts them; then a rate of 50,000 datagrams/s held for
 * 10 s (`repeat … every 20us`), its achieved rate and its memory against a run of a tenth as long.
 */
export async function udpRows(rows: Row[], repeats: number): Promise<void> {
  const sink = await startPeer('python3', [join(process.cwd(), 'test', 'peers', 'udp_sink.py')]);
  const dir = mkdtempSync(join(tmpdir(), 'socket-lab-bench-udp-'));
  const payload = 'x'.repeat(DATAGRAM_BYTES);
  const burst = sockFile(dir, 'burst.sock', `### datagrams\nconnect udp 127.0.0.1:{{port}}\nrepeat ${DATAGRAMS}\nsend "${payload}"\nend\n`);
  const rated = (seconds: number): string => sockFile(dir, `rate${seconds}.sock`, `### a rate\nconnect udp 127.0.0.1:{{port}}\nrepeat ${UDP_RATE * seconds} every ${Math.round(1e6 / UDP_RATE)}us\nsend "${payload}"\nend\n`);
  const v = ['--var', `port=${sink.port}`];
  const lab: ProcessCost[] = [];
  const python: ProcessCost[] = [];
  let arrived = 0;
  /** Every datagram the sink has counted; it says "got COUNT BYTES" after each burst. */
  let total = 0;
  const gotCount = (line: string): number => Number(/^got (\d+)/.exec(line)?.[1] ?? NaN);
  try {
    for (let i = 0; i < repeats; i++) {
      lab.push(await processCost(process.execPath, [CLI, 'run', burst, ...v]));
      arrived = gotCount(await sink.line()) - total;
      total += arrived;
      python.push(await processCost('python3', [join(HERE, 'udpsend.py'), '127.0.0.1', String(sink.port), String(DATAGRAMS), String(DATAGRAM_BYTES)]));
      total = gotCount(await sink.line());
      process.stderr.write(`bench: udp round ${i + 1}/${repeats}\n`);
    }
    const l = medianCost(lab);
    const p = medianCost(python);
    rows.push({ measure: `UDP: ${DATAGRAMS} datagrams of ${DATAGRAM_BYTES} bytes, repeat of send, whole process (ms)`, socketLab: fmt(l.wallMs), baseline: `Python sendto loop ${fmt(p.wallMs)}`, ratio: fmt(l.wallMs / p.wallMs, 2), goal: '≤ 1.00 × Python', met: l.wallMs <= p.wallMs });
    rows.push({ measure: '… peak memory, RSS (MiB); datagrams the sink counted in the last run', socketLab: `${fmt(l.peakMiB, 1)}; ${arrived}`, baseline: `Python ${fmt(p.peakMiB, 1)}`, ratio: fmt(l.peakMiB / p.peakMiB, 2), goal: 'reported', met: true });
    const short = await processCost(process.execPath, [CLI, 'run', rated(1), ...v]);
    total = gotCount(await sink.line());
    const long = await processCost(process.execPath, [CLI, 'run', rated(UDP_RATE_SECONDS), '--json', ...v]);
    const got = gotCount(await sink.line()) - total;
    // The repeat's own time: from its first round to its last, without the process's start.
    const repeat = long.stdout.split('\n').filter((l) => l.includes('"verb":"repeat"')).map((l) => JSON.parse(l) as { ms: number; repeat?: { rounds: number } })[0];
    const achieved = (repeat?.repeat?.rounds ?? 0) / ((repeat?.ms ?? Infinity) / 1000);
    const off = Math.abs(achieved - UDP_RATE) / UDP_RATE;
    rows.push({ measure: `UDP rate ${UDP_RATE}/s held ${UDP_RATE_SECONDS} s (repeat … every 20us): achieved datagrams/s over the repeat; the sink counted`, socketLab: `${fmt(achieved)}; ${got}`, baseline: `target ${UDP_RATE}`, ratio: fmt(achieved / UDP_RATE, 3), goal: 'within 5%', met: off <= 0.05 });
    rows.push({ measure: `… peak memory of ${UDP_RATE_SECONDS} s against 1 s (MiB)`, socketLab: fmt(long.peakMiB, 1), baseline: `1 s ${fmt(short.peakMiB, 1)}`, ratio: fmt(long.peakMiB / short.peakMiB, 2), goal: '≤ 1.10 (no growth)', met: long.peakMiB / short.peakMiB <= 1.1 });
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOAD_CLIENTS = 1000;
const LOAD_ROUNDS = 20;

/**
 * `load 1000 clients` of 20 request/response rounds each against a Node echo, beside a plain Node
 * script doing the same (bench/vclients.mjs); memory per client from the peak RSS of the run
 * against a run of one client.
 */
export async function loadRows(rows: Row[], repeats: number): Promise<void> {
  const echo = await startPeer(process.execPath, [join(HERE, 'echo.mjs')]);
  const dir = mkdtempSync(join(tmpdir(), 'socket-lab-bench-load-'));
  const block = (clients: number): string => sockFile(dir, `load${clients}.sock`, `### load\nconnect tcp 127.0.0.1:{{port}}\nload ${clients} clients\nrepeat ${LOAD_ROUNDS}\nsend "PING\\n"\nrecv line\nend\nexpect errors 0\n`);
  const [many, one] = [block(LOAD_CLIENTS), block(1)];
  const v = ['--var', `port=${echo.port}`];
  const lab: ProcessCost[] = [];
  const node: ProcessCost[] = [];
  const single: ProcessCost[] = [];
  const nodeOne: ProcessCost[] = [];
  try {
    for (let i = 0; i < repeats; i++) {
      lab.push(await processCost(process.execPath, [CLI, 'run', many, ...v]));
      node.push(await processCost(process.execPath, [join(HERE, 'vclients.mjs'), '127.0.0.1', String(echo.port), String(LOAD_CLIENTS), String(LOAD_ROUNDS)]));
      single.push(await processCost(process.execPath, [CLI, 'run', one, ...v]));
      nodeOne.push(await processCost(process.execPath, [join(HERE, 'vclients.mjs'), '127.0.0.1', String(echo.port), '1', String(LOAD_ROUNDS)]));
      process.stderr.write(`bench: load round ${i + 1}/${repeats}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const heapLab = await benchChild<{ perClient: number }>(`load-heap:lab:${echo.port}`).catch((e: Error) => ({ perClient: NaN, e }));
  const heapRaw = await benchChild<{ perClient: number }>(`load-heap:raw:${echo.port}`).catch((e: Error) => ({ perClient: NaN, e }));
  echo.stop();
  const [l, n, l1, n1] = [lab, node, single, nodeOne].map(medianCost);
  rows.push({ measure: `load ${LOAD_CLIENTS} clients × ${LOAD_ROUNDS} rounds against a Node echo, whole process (ms)`, socketLab: fmt(l.wallMs), baseline: `plain Node script ${fmt(n.wallMs)}`, ratio: fmt(l.wallMs / n.wallMs, 2), goal: '≤ 1.2 × Node', met: l.wallMs / n.wallMs <= 1.2 });
  const perClient = ((l.peakMiB - l1.peakMiB) * 1024) / LOAD_CLIENTS;
  const nodePerClient = ((n.peakMiB - n1.peakMiB) * 1024) / LOAD_CLIENTS;
  rows.push({ measure: `… memory per client, JS heap + external after GC with ${LOAD_CLIENTS} sessions open (KiB)`, socketLab: fmt(heapLab.perClient / 1024, 1), baseline: `plain Node sockets ${fmt(heapRaw.perClient / 1024, 1)}`, ratio: fmt(heapLab.perClient / heapRaw.perClient, 2), goal: '≤ 10 KiB', met: heapLab.perClient / 1024 <= 10 });
  rows.push({ measure: '… memory per client: peak RSS over a run of one client, per client (KiB)', socketLab: fmt(perClient, 1), baseline: `plain Node ${fmt(nodePerClient, 1)}`, ratio: nodePerClient > 0 ? fmt(perClient / nodePerClient, 2) : '—', goal: 'reported', met: true });
}

/**
 * A bench child (`BENCH_CHILD=load-heap:KIND:PORT`): the JS heap + external growth per client,
 * after a full GC, while `LOAD_CLIENTS` sessions are open against the echo at PORT (each has sent
 * and received a line and waits): a `load` block (`lab`), or plain Node sockets (`raw`).
 * @returns bytes per client
 */
export async function loadHeap(kind: 'lab' | 'raw', port: number): Promise<{ perClient: number }> {
  const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
  gc();
  const before = process.memoryUsage();
  const usage = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
  let measured = 0;
  if (kind === 'lab') {
    const file = parseSock(`### load\nconnect tcp 127.0.0.1:${port}\nload ${LOAD_CLIENTS} clients\nsend "PING\\n"\nrecv line\nwait 3s\n`);
    const run = new SockRun(file, { baseDir: process.cwd(), onEvent: () => undefined });
    const done = run.run();
    await new Promise((r) => setTimeout(r, 2000));
    gc();
    measured = usage(process.memoryUsage()) - usage(before);
    await done;
    await run.stop();
  } else {
    const sockets = Array.from({ length: LOAD_CLIENTS }, () => {
      const s = connect({ host: '127.0.0.1', port, noDelay: true });
      s.on('connect', () => s.write('PING\n'));
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      return s;
    });
    await new Promise((r) => setTimeout(r, 2000));
    gc();
    measured = usage(process.memoryUsage()) - usage(before);
    for (const s of sockets) s.destroy();
  }
  return { perClient: measured / LOAD_CLIENTS };
}
