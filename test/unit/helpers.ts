import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSock } from '../../src/sock/parser';
import { SockRun, type RunOptions } from '../../src/sock/runner';
import type { RunEvent, StepEvent, SummaryEvent } from '../../src/sock/runEvents';

export const ROOT = resolve(__dirname, '../..');
export const PEERS = join(ROOT, 'test', 'peers');
export const CLI = join(ROOT, 'dist', 'cli.js');

const children = new Set<ChildProcess>();

/** Kills every child process a test started and that is still running. */
export function killAllChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running child process with its output so far. */
export interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<Finished>;
  stdout(): string;
  /** Resolves with the first match of `pattern` in stdout or stderr; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** With `holdStdout`: starts reading stdout, which nobody read until now. */
  readStdout(): void;
}

/**
 * Starts a process; it is killed after `timeoutMs`, and after the test unless `suite` is set
 * (a peer started in a `before` hook, which its suite's `after` hook kills). With `holdStdout`,
 * nothing reads its stdout (a pipe whose reader stopped) until {@link Running.readStdout}.
 */
export function start(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; suite?: boolean; holdStdout?: boolean } = {}): Running {
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (!opts.suite) children.add(child);
  let out = '';
  let err = '';
  let reading = false;
  const readStdout = (): void => {
    reading = true;
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  };
  if (!opts.holdStdout) readStdout();
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  let spawnError: Error | undefined;
  const exited = new Promise<Finished>((res, rej) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      // A program that is not installed: say so, and how to install it (test/host/tools.mjs).
      spawnError = e.code === 'ENOENT' ? new Error(`${cmd} is not on PATH (${e.message}): node test/host/tools.mjs installs the programs the tests use`, { cause: e }) : e;
      rej(spawnError);
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      children.delete(child);
      res({ code, stdout: out, stderr: err });
    });
  });
  // A test that only waits for output still fails through waitFor; the rejection of a process
  // nobody awaited must not surface later as an unhandled rejection in another test.
  exited.catch(() => undefined);
  const waitFor = (pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> =>
    new Promise((res, rej) => {
      const check = (): boolean => {
        const m = (out + err).match(pattern);
        if (m) {
          cleanup();
          res(m);
        }
        return Boolean(m);
      };
      const timer = setTimeout(() => {
        cleanup();
        rej(new Error(`timed out waiting for ${pattern} in output of ${cmd} ${args.join(' ')}: ${out} ${err}`));
      }, timeoutMs);
      const onExit = (): void => {
        if (!check()) {
          cleanup();
          rej(spawnError ?? new Error(`${cmd} ${args.join(' ')} exited before printing ${pattern}: ${out} ${err}`));
        }
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('close', onExit);
      };
      if (check()) return;
      // A held stdout stays unread: listening to it would read it.
      if (reading) child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.on('close', onExit);
    });
  return { child, exited, stdout: () => out, waitFor, readStdout };
}

/** Runs a process to its end. */
export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<Finished> {
  return start(cmd, args, opts).exited;
}

/** Runs a Python 3 snippet and returns its stdout, trimmed; throws on a non-zero exit. */
export async function python(code: string): Promise<string> {
  const r = await run('python3', ['-c', code]);
  if (r.code !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Starts a Python peer from test/peers that prints `listening PORT`; resolves with its port. */
export async function startPeer(script: string, args: readonly string[]): Promise<{ peer: Running; port: number }> {
  const peer = start('python3', [join(PEERS, script), ...args]);
  const m = await peer.waitFor(/listening (\d+)\r?\n/);
  return { peer, port: Number(m[1]) };
}

/**
 * Starts `python3 -m http.server` on a free loopback port, serving `dir`, and waits for its
 * "Serving HTTP" line.
 * @param suite kill it when the suite ends, as {@link start} does with `suite`
 */
export async function startHttpServer(dir: string, opts: { timeoutMs: number; suite?: boolean }): Promise<{ server: Running; port: number }> {
  const port = await freePort();
  const server = start('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { timeoutMs: opts.timeoutMs, ...(opts.suite ? { suite: true } : {}) });
  await server.waitFor(/Serving HTTP on 127\.0\.0\.1 port \d+/, 15_000);
  return { server, port };
}

/** Runs the built CLI (dist/cli.js). */
export function cli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run "npm run build" first (npm test does)');
  return run(process.execPath, [CLI, ...args], opts);
}

/** Writes `text` to a temporary `.sock` file; resolves with its path and a remover. */
export async function tempSock(text: string, name = 'test.sock'): Promise<{ file: string; dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'socket-lab-test-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return { file, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface SockResult {
  readonly events: RunEvent[];
  readonly steps: StepEvent[];
  readonly summary: SummaryEvent;
  readonly exitCode: number;
}

/**
 * Parses and runs `.sock` text in-process: runs every block, then stops the run (closing its
 * listeners). `during` runs after the blocks and before the stop, e.g. to connect a peer.
 */
export async function runSock(text: string, opts: Partial<RunOptions> & { during?: (events: RunEvent[]) => Promise<void> } = {}): Promise<SockResult> {
  const parsed = parseSock(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`parse errors: ${JSON.stringify(errors)}`);
  const events: RunEvent[] = [];
  const r = new SockRun(parsed, { baseDir: opts.baseDir ?? ROOT, ...opts, onEvent: (e) => events.push(e) });
  await r.run();
  if (opts.during) await opts.during(events);
  const summary = await r.stop();
  return { events, steps: events.filter((e): e is StepEvent => e.type === 'step'), summary, exitCode: r.exitCode };
}

/** The port a named listener bound, from the run's `listening` event. */
export function listenerPort(events: readonly RunEvent[], name: string): number {
  const e = events.find((x) => x.type === 'listening' && x.name === name);
  if (!e || e.type !== 'listening') throw new Error(`no listener named ${name}`);
  return Number(e.local.slice(e.local.lastIndexOf(':') + 1));
}

/** A TCP port on 127.0.0.1 that was free a moment ago, for a peer that takes its port on its command line. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A UDP port free on loopback just now. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
