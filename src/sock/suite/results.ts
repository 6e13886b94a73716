/**
 * A `.sock` file as a test suite: each client, `use` or lookup block is a test case; listener
 * blocks are its fixtures, shown only when a session of theirs failed (so nothing a listener
 * found is lost). {@link CaseCollector} reads a run's events into these results, which the
 * reporters (JUnit, TAP, JSON, the summary) and VS Code's Testing view present.
 */
import type { Block, SockFile } from '../ast';
import { loadChecks } from '../run/load';

export { loadChecks };
import type { RunEvent, StepEvent } from '../runEvents';

/** A case's outcome: every expectation held, one failed, an error (network, input) ended it, or it never ran. */
export type CaseStatus = 'passed' | 'failed' | 'errored' | 'skipped';

/** One failed expectation or error of a case, where it is written. */
export interface CaseFailure {
  /** 0-based line and column of the step in the file. */
  readonly line: number;
  readonly column: number;
  /** The step as written, e.g. `expect "PONG"`. */
  readonly source: string;
  readonly message: string;
  /** The error's code (`ECONNREFUSED`) when the step raised one. */
  readonly code?: string;
  /** For a comparison that failed: what the step wanted and what it got, as escaped text or hex. */
  readonly expected?: string;
  readonly actual?: string;
  /** For a listener's session: the connection or peer it ran for (`c4`). */
  readonly session?: string;
}

/** One block's result. */
export interface CaseResult {
  /** 1-based block number. */
  readonly block: number;
  /** The block's title, or `block N` when it has none. */
  readonly name: string;
  /** 0-based line of the block's first line. */
  readonly line: number;
  /** `case` for a client, `use` or lookup block; `fixture` for a listener block. */
  readonly kind: 'case' | 'fixture';
  readonly status: CaseStatus;
  /** From the block's start to its end (a fixture: until its listener was up); ms. */
  readonly ms: number;
  readonly failures: readonly CaseFailure[];
  /**
   * For a load expectation (`expect p99 < 20ms`, `expect errors 0`, §8.15): a case of its own,
   * after its block's, at the expectation's line.
   */
  readonly check?: { readonly line: number; readonly source: string };
}

/** The name of a load expectation's case: its block's name and the expectation as written. */
export function checkName(block: Pick<Block, 'title' | 'index'>, source: string): string {
  return `${caseName(block)}: ${source}`;
}

/** A block's name in reports: its title, or `block N`. */
export function caseName(block: Pick<Block, 'title' | 'index'>): string {
  return block.title || `block ${block.index}`;
}

/** Listener blocks are fixtures. */
export function isFixture(block: Block): boolean {
  return block.header?.kind === 'listen';
}

interface Open {
  status: CaseStatus;
  ms: number;
  failures: CaseFailure[];
}

/** Collects a run's events into one result per block of `file` that was selected. */
export class CaseCollector {
  private readonly byBlock = new Map<number, Open>();
  /** The lines of each load block's load expectations, and their outcomes by `BLOCK:LINE`. */
  private readonly checkLines = new Map<number, Set<number>>();
  private readonly checks = new Map<string, Open>();

  constructor(
    private readonly file: SockFile,
    private readonly selected?: ReadonlySet<number>,
  ) {
    for (const b of file.blocks) {
      const lines = loadChecks(b).map((c) => c.range.start.line);
      if (lines.length > 0) this.checkLines.set(b.index, new Set(lines));
    }
  }

  /** Reads one event of the run; pass every event, in order. */
  readonly onEvent = (e: RunEvent): void => {
    if (e.type === 'step' && e.verb === 'expect' && this.checkLines.get(e.block)?.has(e.line)) {
      const open: Open = { status: e.status === 'pass' ? 'passed' : e.status === 'fail' ? 'failed' : 'errored', ms: e.ms, failures: [] };
      this.checks.set(`${e.block}:${e.line}`, open);
      if (open.status !== 'passed') this.fail(e, open);
      return;
    }
    if (e.type === 'block') this.byBlock.set(e.block, { status: 'passed', ms: 0, failures: [] });
    else if (e.type === 'block-end') {
      const open = this.entry(e.block);
      this.ended.add(e.block);
      open.ms = e.ms;
      // A load block that failed only by its load expectations: those are the cases that failed.
      const byChecks = this.checkLines.has(e.block) && open.failures.length === 0;
      if (e.status === 'fail' && !byChecks && (open.status === 'passed' || open.status === 'skipped')) open.status = 'failed';
      if (e.status === 'error' && open.failures.length > 0) open.status = 'errored';
    } else if (e.type === 'step' && e.status === 'fail') this.fail(e);
    else if (e.type === 'step' && e.status === 'error' && !e.expected) {
      // Cut short by the run's end or a cancel: not counted, as the run counts it; a case cut
      // before it finished did not run to its end.
      if (!e.cut) this.fail(e);
      else if (!this.ended.has(e.block) && this.entry(e.block).status === 'passed') this.entry(e.block).status = 'skipped';
    }
  };

  /** Blocks whose end was reported. */
  private readonly ended = new Set<number>();

  private entry(block: number): Open {
    let open = this.byBlock.get(block);
    if (!open) this.byBlock.set(block, (open = { status: 'passed', ms: 0, failures: [] }));
    return open;
  }

  private fail(e: StepEvent, open: Open = this.entry(e.block)): void {
    if (e.status === 'error') open.status = 'errored';
    else if (open.status === 'passed') open.status = 'failed';
    const compared = e.compared ?? (e.diff ? { expected: e.diff.expected, actual: e.diff.actual } : undefined);
    open.failures.push({
      line: e.line,
      column: e.column,
      source: e.source,
      message: e.detail ?? (e.status === 'fail' ? 'the expectation did not hold' : 'the step failed'),
      ...(e.code ? { code: e.code } : {}),
      ...(compared ?? {}),
      ...(e.session ? { session: e.session } : {}),
    });
  }

  /**
   * The results, in file order: every selected case (a case that never started is `skipped`),
   * and each fixture whose sessions failed.
   */
  results(): CaseResult[] {
    const out: CaseResult[] = [];
    for (const block of this.file.blocks) {
      if (this.selected && !this.selected.has(block.index)) continue;
      const open = this.byBlock.get(block.index);
      const fixture = isFixture(block);
      if (fixture && (!open || open.failures.length === 0)) continue;
      out.push({ block: block.index, name: caseName(block), line: block.range.start.line, kind: fixture ? 'fixture' : 'case', status: open?.status ?? 'skipped', ms: open?.ms ?? 0, failures: open?.failures ?? [] });
      for (const c of loadChecks(block)) {
        // A load that never ran (or met an error before its end) checked nothing: its expectations were skipped.
        const check = this.checks.get(`${block.index}:${c.range.start.line}`);
        out.push({ block: block.index, name: checkName(block, c.source), line: c.range.start.line, kind: 'case', status: check?.status ?? 'skipped', ms: check?.ms ?? 0, failures: check?.failures ?? [], check: { line: c.range.start.line, source: c.source } });
      }
    }
    return out;
  }
}
