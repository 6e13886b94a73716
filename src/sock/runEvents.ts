/**
 * What a `.sock` run reports, event by event: the CLI prints these as a transcript or as JSON
 * lines, and the extension will show them inline and in its views.
 */
import type { TrafficEvent } from '../net/traffic';
import type { LoadReport } from './run/load';

/**
 * Rounds of a `repeat` whose steps are reported one by one (§8.10); the steps of later rounds
 * that go as they should are not reported (unless the run reports every round, `--verbose`),
 * and the repeat's own step sums them up ({@link RepeatStats}). A failed `expect` or an error is
 * reported in any round, with its round.
 */
export const FULL_ROUNDS = 3;

/** Where a step is written: 1-based block number, 0-based line and column. */
export interface StepLocation {
  readonly block: number;
  readonly line: number;
  readonly column: number;
}

/** A block begins. */
export interface BlockStartEvent {
  readonly type: 'block';
  readonly block: number;
  readonly title: string;
  readonly line: number;
}

/** Outcome of one step. */
export type StepStatus =
  | 'ok' // done (send, recv, lookup, close …)
  | 'pass' // an expect that held
  | 'fail' // an expect that did not hold
  | 'error'; // the step raised an error

/** A step finished. */
export interface StepEvent extends StepLocation {
  readonly type: 'step';
  /** The step as written, e.g. `recv 1024`. */
  readonly source: string;
  readonly verb: string;
  readonly status: StepStatus;
  /** A human-readable result: a lookup's answer, an expect's reason, an error's message. */
  readonly detail?: string;
  /** The bytes sent or received, for send and recv steps. */
  readonly payload?: Buffer;
  /** `out` for bytes sent, `in` for bytes received. */
  readonly direction?: 'in' | 'out';
  /** The error's code when `status` is `error`. */
  readonly code?: string;
  /**
   * For an `expect` of bytes at an offset (`at N`, `exactly`) that failed: both sides in hex from
   * the offset (`??` where any byte matches) and the first byte that differs (-1: the value ended).
   */
  readonly diff?: { readonly offset: number; readonly expected: string; readonly actual: string; readonly first: number };
  /**
   * For another comparison that failed (a payload not found, a regex, a count, a duration, a TLS
   * fact, an error code): what was wanted and what was found, as text; escaped bytes at most 4 KiB each.
   */
  readonly compared?: { readonly expected: string; readonly actual: string };
  /** True when the error was caught by an `expect error` that follows. */
  readonly expected?: boolean;
  /** True for an error that only says the run's end or a cancel cut the step short: reported, not counted (§7.2). */
  readonly cut?: boolean;
  /** Duration of the step in ms. */
  readonly ms: number;
  /** For a listener's steps: the connection or peer the steps ran for, e.g. `c4`. */
  readonly session?: string;
  /** For a listener's steps: the listener's name (or `block N`). */
  readonly listener?: string;
  /** For a client or `use` block's steps (its `connect` or `use` line included): the id of the block's connection, e.g. `c3`. */
  readonly connection?: string;
  /**
   * For a step inside a `repeat`: its round in each repeat around it, 1-based, outermost first
   * (`[2, 3]` is the third round of the inner repeat within the second round of the outer).
   */
  readonly round?: readonly number[];
  /** For a `repeat` itself (its `↻` line, or its cancellation): what its rounds did. */
  readonly repeat?: RepeatStats;
  /** For a block's `load` line, after its load: every figure of it (§8.15). */
  readonly load?: LoadReport;
}

/** What the rounds of one `repeat` did, reported with the repeat's own step. */
export interface RepeatStats {
  /** Rounds that ran to their end. */
  readonly rounds: number;
  /** Bytes the steps of those rounds sent and received, nested repeats included. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** The shortest, median, 99th percentile and longest round, in ms to 0.001 (an `every` wait before a round is not part of it). */
  readonly minMs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * A repeat began its round {@link FULL_ROUNDS} + 1: from here to its own step, the steps of its
 * rounds that go as they should are not reported (§8.10), nor the repeats inside it.
 * Sent only when the run does not report every round.
 */
export interface FoldEvent extends StepLocation {
  readonly type: 'fold';
  /** The repeat's connection, session and listener, as its steps would carry them. */
  readonly connection?: string;
  readonly session?: string;
  readonly listener?: string;
}

/** A listener block started its listener. */
export interface ListeningRunEvent {
  readonly type: 'listening';
  readonly block: number;
  readonly name?: string;
  readonly transport: 'tcp' | 'udp' | 'unix' | 'tls';
  /** The bound address: `127.0.0.1:40123` or a socket path. */
  readonly local: string;
  readonly id: string;
}

/** A block finished (for a listener block: its listener is up). */
export interface BlockEndEvent {
  readonly type: 'block-end';
  readonly block: number;
  readonly status: 'pass' | 'fail' | 'error' | 'listening';
  readonly ms: number;
  /**
   * True for a client, `use` or lookup block with no `expect`: with status `pass` (every step
   * succeeded) it counts one pass in the summary, as its expectations would have.
   */
  readonly unchecked?: boolean;
}

/** A traffic event of the run's sockets, as the socket core reported it. */
export interface TrafficRunEvent {
  readonly type: 'traffic';
  readonly event: TrafficEvent;
}

/** The run ended. */
export interface SummaryEvent {
  readonly type: 'summary';
  /**
   * Expectations that held and that failed, listener sessions included; a client, `use` or
   * lookup block with no `expect` whose steps all succeeded counts one pass.
   */
  readonly passed: number;
  readonly failed: number;
  /** Steps or blocks that ended in an error not caught by `expect error`. */
  readonly errors: number;
  readonly ms: number;
}

/** Anything a run reports, discriminated by `type`. */
/**
 * A running load's figures, every {@link LOAD_PROGRESS_MS} (§8.15): for a live view, or a program
 * reading `--json`. The window is the time since the event before.
 */
export interface LoadProgressEvent {
  readonly type: 'load-progress';
  readonly block: number;
  /** The `load` line, 0-based. */
  readonly line: number;
  /** Since the load began, ms. */
  readonly ms: number;
  /** Sessions ended so far, and those that failed or erred; sessions running now. */
  readonly sessions: number;
  readonly errors: number;
  readonly running: number;
  /** In the window: sessions ended and round trips per second, and the round trip's (else the session's) median and p99, ms (0 when none ended). */
  readonly sessionsPerSecond: number;
  readonly roundTripsPerSecond: number;
  readonly medianMs: number;
  readonly p99Ms: number;
}

/** How often a running load reports its figures, ms. */
export const LOAD_PROGRESS_MS = 500;

export type RunEvent = BlockStartEvent | StepEvent | FoldEvent | LoadProgressEvent | ListeningRunEvent | BlockEndEvent | TrafficRunEvent | SummaryEvent;
