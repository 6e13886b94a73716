/**
 * What the bench's parts share: the table's row, the median, number formatting, running a peer
 * process, and a whole command's wall time, CPU time and peak memory.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:net';
import { join } from 'node:path';

export interface Row {
  readonly measure: string;
  readonly socketLab: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly goal: string;
  readonly met: boolean;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function run(cmd: string, args: string[], input?: string): { done: Promise<string>; child: ReturnType<typeof spawn>; stderr: () => string } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (input !== undefined) child.stdin.end(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
    }),
  );
  return { done, child, stderr: () => err };
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

export const fmt = (n: number, d = 0): string => n.toFixed(d);

/** What one whole command cost, as the kernel counted it for its process (`getrusage(RUSAGE_CHILDREN)`). */
export interface ProcessCost {
  readonly wallMs: number;
  /** User plus system CPU time (ms). */
  readonly cpuMs: number;
  /** Peak resident set size (MiB). */
  readonly peakMiB: number;
  /** What the command printed. */
  readonly stdout: string;
}

/**
 * Runs `cmd ARGS` to its end under bench/rusage.py, which reports the child's own wall time,
 * CPU time and peak RSS (Node cannot read a child's rusage).
 * @throws when the command exits non-zero
 */
export async function processCost(cmd: string, args: string[]): Promise<ProcessCost> {
  const out = await run('python3', [join(process.cwd(), 'bench', 'rusage.py'), cmd, ...args]).done;
  const last = out.trimEnd().split('\n').pop() ?? '';
  const m = /^rusage wall (\S+) cpu (\S+) maxrss_kib (\d+)$/.exec(last);
  if (!m) throw new Error(`rusage.py printed no figures: ${out}`);
  return { wallMs: Number(m[1]), cpuMs: Number(m[2]), peakMiB: Number(m[3]) / 1024, stdout: out.slice(0, out.length - last.length) };
}

/** Runs one measure in a fresh process of this bundle (`BENCH_CHILD=WHAT`); resolves with the JSON it prints. */
export async function benchChild<T>(what: string): Promise<T> {
  const child = spawn(process.execPath, ['--expose-gc', process.argv[1]], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_CHILD: what } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`the bench child ${what} exited ${code}`);
  return JSON.parse(out) as T;
}

