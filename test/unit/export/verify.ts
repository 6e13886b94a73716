// Verification of code export (issue 20): a .sock file runs in Socket Lab, then as the Python and
// Node programs `socket-lab export` writes, each against a fresh peer; what each connection sent
// and received (bytes, in order) and the verdict of each expectation must be the same.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, run, start, type Finished, type Running } from '../helpers';

/** One connection's bytes: each way, those known (a program prints the first 256 of each step), and the count. */
interface Connection {
  readonly out: Buffer;
  readonly in: Buffer;
  readonly outTotal: number;
  readonly inTotal: number;
}

/** A connection's pieces as they are seen. */
interface Pieces {
  out: Buffer[];
  in: Buffer[];
  outTotal: number;
  inTotal: number;
}

type Groups = Map<string, Map<string, Pieces>>;

/** What one run did: per connection, the bytes each way; the expectations' verdicts; the totals. */
export interface Observed {
  /** By connection label (`block 6`; a listener's sessions by its name, sorted), `out`/`in` bytes. */
  readonly connections: Map<string, Connection[]>;
  /** `LINE pass|fail`, sorted. */
  readonly expectations: string[];
  readonly totals: string;
}

/** Python's `repr(bytes)` text (`b'GET /\r\n'`) back to bytes, as the exported programs print them. */
export function parsePythonBytes(text: string): Buffer {
  const m = /^b(['"])(.*)\1$/s.exec(text);
  if (!m) throw new Error(`not a bytes repr: ${text}`);
  const body = m[2];
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const n = body[++i];
    if (n === 'x') {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push({ n: 0x0a, r: 0x0d, t: 0x09, '\\': 0x5c, "'": 0x27, '"': 0x22 }[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(out);
}

function entry(map: Groups, group: string, conn: string): Pieces {
  let g = map.get(group);
  if (!g) map.set(group, (g = new Map()));
  let e = g.get(conn);
  if (!e) g.set(conn, (e = { out: [], in: [], outTotal: 0, inTotal: 0 }));
  return e;
}

function finish(map: Groups, expectations: string[], totals: string): Observed {
  const connections = new Map<string, Connection[]>();
  for (const [group, conns] of map) {
    const list = [...conns.values()].map((e) => ({ out: Buffer.concat(e.out), in: Buffer.concat(e.in), outTotal: e.outTotal, inTotal: e.inTotal }));
    list.sort((a, b) => a.outTotal - b.outTotal || a.inTotal - b.inTotal || a.out.compare(b.out) || a.in.compare(b.in));
    connections.set(group, list);
  }
  return { connections, expectations: expectations.sort(), totals };
}

/** Socket Lab's own run, from `--json --full --verbose`: traffic by connection, expect steps, the summary. */
export function observeSocketLab(jsonLines: string, udpListeners: ReadonlySet<string>): Observed {
  const listenerNames = new Map<string, string>();
  const connLabels = new Map<string, string>();
  const map: Groups = new Map();
  const expectations: string[] = [];
  const data: { id: string; direction: 'in' | 'out'; bytes: Buffer }[] = [];
  let totals = '';
  for (const line of jsonLines.split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.type === 'listening') listenerNames.set(e.id as string, (e.name as string | undefined) ?? `block ${e.block as number}`);
    else if (e.type === 'step') {
      if (typeof e.connection === 'string' && !connLabels.has(e.connection)) connLabels.set(e.connection, `block ${e.block as number}`);
      if (e.verb === 'expect' && (e.status === 'pass' || e.status === 'fail')) expectations.push(`${(e.line as number) + 1} ${e.status as string}`);
    } else if (e.type === 'summary') totals = `${e.passed as number} passed, ${e.failed as number} failed, ${e.errors as number} errors`;
    else if (e.type === 'traffic') {
      const t = e.event as Record<string, unknown>;
      if (t.type === 'open' && typeof t.listener === 'string') connLabels.set(t.id as string, `${listenerNames.get(t.listener) ?? t.listener} session`);
      // A relay's upstream leg (§7.8) is grouped under its listener, as `NAME upstream`.
      if (t.type === 'open' && typeof t.via === 'string') connLabels.set(t.id as string, `${(connLabels.get(t.via) ?? t.via).replace(/ session$/, '')} upstream session`);
      if (t.type === 'data') data.push({ id: t.id as string, direction: t.direction as 'in' | 'out', bytes: Buffer.from((t.payload as { hex: string }).hex, 'hex') });
    }
  }
  for (const d of data) {
    const name = listenerNames.get(d.id);
    let group: string;
    let conn: string;
    if (name !== undefined && udpListeners.has(name)) [group, conn] = [name, 'all datagrams'];
    else {
      const label = connLabels.get(d.id);
      if (label === undefined) continue;
      [group, conn] = label.endsWith(' session') ? [label.slice(0, -' session'.length), d.id] : [label, label];
    }
    const e = entry(map, group, conn);
    e[d.direction].push(d.bytes);
    e[`${d.direction}Total`] += d.bytes.length;
  }
  return finish(map, expectations, totals);
}

/** An exported program's run, from the lines it prints (`[label] sent N bytes: b'…'`, `line N: passed`). */
export function observeProgram(stdout: string, udpListeners: ReadonlySet<string>): Observed {
  const map: Groups = new Map();
  const expectations: string[] = [];
  const truncated = new Set<string>();
  let totals = '';
  for (const line of stdout.split('\n')) {
    if (/^\d+ passed, \d+ failed, \d+ errors$/.test(line)) totals = line;
    const m = /^\[([^\]]+)\] (.*)$/.exec(line);
    if (!m) continue;
    const [, label, rest] = m;
    const verdict = /^(?:failed: )?line (\d+): (passed)?/.exec(rest);
    if (verdict && (verdict[2] || rest.startsWith('failed:'))) {
      expectations.push(`${verdict[1]} ${verdict[2] ? 'pass' : 'fail'}`);
      continue;
    }
    const t = /^(sent|received) (\d+) bytes: (b(['"]).*\4)(…)?$/s.exec(rest);
    if (!t) continue;
    const session = /^(.*) ([cd])\d+( upstream)?$/.exec(label);
    let group = label;
    let conn = label;
    if (session) [group, conn] = udpListeners.has(session[1]) ? [session[1], 'all datagrams'] : [session[1] + (session[3] ?? ''), label];
    const direction = t[1] === 'sent' ? 'out' : 'in';
    const e = entry(map, group, conn);
    const key = `${group} ${conn} ${direction}`;
    e[`${direction}Total`] += Number(t[2]);
    if (truncated.has(key)) continue;
    const bytes = parsePythonBytes(t[3]);
    e[direction].push(bytes);
    if (t[5]) truncated.add(key);
  }
  return finish(map, expectations, totals);
}

/** Asserts that a program did what Socket Lab did: the same expectations' verdicts and, per connection, the same bytes each way. */
export function assertSame(program: Observed, sock: Observed, what: string, varies: ReadonlySet<string> = new Set()): void {
  assert.deepEqual(program.expectations, sock.expectations, `${what}: the expectations' verdicts differ`);
  assert.equal(program.totals, sock.totals, `${what}: the totals differ`);
  assert.deepEqual([...program.connections.keys()].sort(), [...sock.connections.keys()].sort(), `${what}: the connections differ`);
  for (const [group, conns] of sock.connections) {
    const mine = program.connections.get(group) ?? [];
    assert.equal(mine.length, conns.length, `${what}: ${group} has ${mine.length} connections, Socket Lab's run ${conns.length}`);
    conns.forEach((c, i) => {
      const p = mine[i];
      const s = c;
      for (const dir of ['out', 'in'] as const) {
        assert.equal(p[`${dir}Total`], s[`${dir}Total`], `${what}: ${group} #${i + 1} ${dir === 'out' ? 'sent' : 'received'} ${p[`${dir}Total`]} bytes, Socket Lab's run ${s[`${dir}Total`]}`);
        if (!varies.has(group)) assert.deepEqual(p[dir], s[dir].subarray(0, p[dir].length), `${what}: ${group} #${i + 1} ${dir === 'out' ? 'sent' : 'received'} other bytes`);
      }
    });
  }
}

/** How a verification runs a file: its `--var`s (or NAME=VALUE arguments) and, before each of the three runs, a fresh peer. */
export interface Verification {
  readonly file: string;
  readonly vars?: () => Promise<Record<string, string>>;
  readonly udpListeners?: readonly string[];
  /**
   * Connections whose bytes differ from run to run by design, with why (a `{{$randomInt}}` id, a
   * counter the peer keeps): their byte counts and the verdicts are compared, not their bytes.
   */
  readonly varies?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /**
   * For a file of listeners (a mock, a relay): each run serves (`--serve`) until `drive` (real
   * clients, given the run's variables) is done; Socket Lab's run serves for `seconds`.
   */
  readonly serve?: { readonly drive: (vars: Record<string, string>) => Promise<void>; readonly seconds: number };
}

export interface Verified {
  readonly sock: Observed;
  readonly python: Finished;
  readonly node: Finished;
}

/** Starts a serving run, drives it with real clients once it listens, and (for a program) stops it with SIGINT, as Ctrl-C would. */
async function served(serve: NonNullable<Verification['serve']>, vars: Record<string, string> | undefined, begin: (vars: Record<string, string>) => Running, ready: RegExp, interrupt: boolean): Promise<Finished> {
  const running = begin(vars ?? {});
  await running.waitFor(ready, 15_000);
  await serve.drive(vars ?? {});
  if (interrupt) running.child.kill('SIGINT');
  return running.exited;
}

/**
 * Runs `v.file` in Socket Lab, then exports it to Python and Node and runs both programs, each
 * run with the variables `v.vars` gives (a fresh peer each time); asserts that all three did the same.
 */
export async function verifyExport(v: Verification): Promise<Verified> {
  const udp = new Set(v.udpListeners ?? []);
  const dir = await mkdtemp(join(tmpdir(), 'socket-lab-export-'));
  try {
    const toArgs = (vars: Record<string, string>, flag: boolean): string[] => Object.entries(vars).flatMap(([k, val]) => (flag ? ['--var', `${k}=${val}`] : [`${k}=${val}`]));
    const timeoutMs = v.timeoutMs ?? 30_000;
    const sockRun = v.serve ? await served(v.serve, await v.vars?.(), (vars) => start(process.execPath, [CLI, 'run', v.file, '--json', '--full', '--verbose', '--serve', '--for', `${v.serve?.seconds}s`, ...toArgs(vars, true)], { timeoutMs }), /"type":"listening"/, false) : await cli(['run', v.file, '--json', '--full', '--verbose', ...toArgs((await v.vars?.()) ?? {}, true)], { timeoutMs });
    const sock = observeSocketLab(sockRun.stdout, udp);
    const programs: Finished[] = [];
    for (const lang of ['python', 'node'] as const) {
      const out = join(dir, lang === 'python' ? 'program.py' : 'program.mjs');
      const exported = await cli(['export', v.file, '--lang', lang, '--output', out]);
      assert.equal(exported.code, 0, exported.stderr);
      const command = lang === 'python' ? 'python3' : process.execPath;
      const ran = v.serve
        ? await served(v.serve, await v.vars?.(), (vars) => start(command, [out, ...toArgs(vars, false), '--serve'], { timeoutMs }), /serving: listeners stay open/, true)
        : await run(command, [out, ...toArgs((await v.vars?.()) ?? {}, false)], { timeoutMs });
      programs.push(ran);
      if (!v.serve) assert.equal(ran.code, sockRun.code, `${lang}: exit status ${ran.code}, Socket Lab's ${sockRun.code}\n${ran.stdout}\n${ran.stderr}`);
      assertSame(observeProgram(ran.stdout, udp), sock, lang, new Set(Object.keys(v.varies ?? {})));
    }
    return { sock, python: programs[0], node: programs[1] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
