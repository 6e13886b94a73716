/**
 * `socket-lab test`: runs `.sock` files as test suites, each file in a run of its own (its own
 * listeners, connections and variables), several at once, and reads each run's events into
 * results ({@link CaseCollector}) for the reporters.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Block, SockFile } from '../ast';
import { hasErrors, parseSock } from '../parser';
import { SockRun } from '../runner';
import { formatDiagnostic } from '../transcript';
import { CaseCollector, caseName, isFixture, type CaseResult } from './results';

/** How a suite runs. */
export interface SuiteOptions {
  /** Files run at once (at least 1). */
  readonly jobs: number;
  /** Stop starting files after the first failure or error, and cancel those running. */
  readonly bail?: boolean;
  /** Run only the cases whose name this accepts (and the fixtures and kept connections they need). */
  readonly filter?: (name: string) => boolean;
  /** Runs of each file, one after another (at least 1). */
  readonly repeat?: number;
  /** Variables given from outside the files (an environment, then `--var`), as `socket-lab run --var` gives them. */
  readonly variables?: ReadonlyMap<string, string>;
  /** The default timeout of connect, send and recv steps (ms). */
  readonly defaultTimeoutMs?: number;
  /** Abort to cancel: running files are cancelled, no more start. */
  readonly signal?: AbortSignal;
  /** Told when a file's run begins and when it ends (in the order they end). */
  readonly onFileStart?: (file: string, round: number) => void;
  readonly onFileDone?: (result: FileResult) => void;
}

/** One run of one file. */
export interface FileResult {
  readonly file: string;
  /** 1-based run of the file (`--repeat`). */
  readonly round: number;
  readonly cases: readonly CaseResult[];
  /** Errors that kept the file from running: unreadable, parse errors (as `file:line:col: error: …`). */
  readonly errors: readonly string[];
  /** From reading the file to its run's end (ms). */
  readonly ms: number;
}

/** A result's outcome as an exit status counts it. */
export function fileStatus(r: FileResult): 'passed' | 'failed' | 'errored' {
  if (r.errors.length > 0 || r.cases.some((c) => c.status === 'errored')) return 'errored';
  return r.cases.some((c) => c.status === 'failed') ? 'failed' : 'passed';
}

/**
 * Runs `files` (each `repeat` times) with at most `jobs` at once.
 * @returns every file's results, in the order of `files` (rounds in order), whatever order they ended in
 */
export async function runSuite(files: readonly string[], opts: SuiteOptions): Promise<FileResult[]> {
  const repeat = Math.max(1, opts.repeat ?? 1);
  const work = files.flatMap((file, i) => Array.from({ length: repeat }, (_, r) => ({ file, round: r + 1, order: i * repeat + r })));
  const results: (FileResult | undefined)[] = new Array(work.length);
  const bail = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, bail.signal]) : bail.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length && !signal.aborted) {
      const w = work[next++];
      opts.onFileStart?.(w.file, w.round);
      const r = await runOne(w.file, w.round, opts, signal);
      results[w.order] = r;
      opts.onFileDone?.(r);
      if (opts.bail && fileStatus(r) !== 'passed') bail.abort();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, work.length)) }, worker));
  return results.filter((r): r is FileResult => r !== undefined);
}

async function runOne(file: string, round: number, opts: SuiteOptions, signal: AbortSignal): Promise<FileResult> {
  const t0 = performance.now();
  const given = opts.variables ?? new Map<string, string>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { file, round, cases: [], errors: [`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`], ms: performance.now() - t0 };
  }
  const parsed = parseSock(text, { given: new Set(given.keys()) });
  if (hasErrors(parsed)) {
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(file, d));
    return { file, round, cases: [], errors, ms: performance.now() - t0 };
  }
  const filter = opts.filter;
  const wanted = filter ? (b: Block): boolean => !isFixture(b) && filter(caseName(b)) : undefined;
  // The blocks that run (the cases wanted and what they need) and the cases reported.
  const selected = wanted ? selectBlocks(parsed, wanted) : undefined;
  const shown = wanted ? new Set(parsed.blocks.filter(wanted).map((b) => b.index)) : undefined;
  const collector = new CaseCollector(parsed, shown);
  const run = new SockRun(parsed, {
    baseDir: dirname(file),
    ...(selected ? { blocks: [...selected] } : {}),
    ...(opts.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
    onEvent: collector.onEvent,
    variables: given,
    signal,
  });
  await run.run();
  await run.stop(signal.aborted ? 0 : 2000);
  const errors = run.failedInternally ? [`${file}: internal error: ${run.failedInternally.message}`] : [];
  return { file, round, cases: collector.results(), errors, ms: performance.now() - t0 };
}

/**
 * The blocks a run needs for the cases `wanted` accepts: those cases, the listener blocks written
 * before the last of them (their fixtures), and for a `use NAME` block the block that keeps
 * connection NAME (and what that one needs).
 * @returns 1-based block numbers
 */
export function selectBlocks(file: SockFile, wanted: (block: Block) => boolean): Set<number> {
  const chosen = new Set<number>();
  const need = (b: Block): void => {
    if (chosen.has(b.index)) return;
    chosen.add(b.index);
    const h = b.header;
    if (h?.kind !== 'use' || h.name === undefined) return;
    const keeper = file.blocks.slice(0, b.index - 1).reverse().find((k) => k.header?.kind === 'connect' && k.header.keep && k.header.name === h.name);
    if (keeper) need(keeper);
  };
  let last = 0;
  for (const b of file.blocks) {
    if (isFixture(b) || !wanted(b)) continue;
    need(b);
    last = b.index;
  }
  for (const b of file.blocks) if (isFixture(b) && b.index < last) chosen.add(b.index);
  return new Set([...chosen].sort((a, b) => a - b));
}
