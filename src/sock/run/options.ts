/**
 * What a run takes ({@link RunOptions}): the file's folder, the blocks, the default timeout, what
 * cancels it, where its events go, the variables from outside, its bus, and how much it reports.
 */
import type { TrafficBus } from '../../net/traffic';
import type { RunEvent } from '../runEvents';

/** Options of a run. */
export interface RunOptions {
  /** The folder of the `.sock` file: relative Unix socket paths resolve against it. */
  readonly baseDir: string;
  /** 1-based block numbers to run; all blocks when absent. */
  readonly blocks?: readonly number[];
  /** How long a connect, receive or send may wait unless its step says `timeout`; ms. */
  readonly defaultTimeoutMs?: number;
  /** Abort to cancel the run: waiting steps end with `ECANCELED`. */
  readonly signal?: AbortSignal;
  /** Receives every event, in order. */
  readonly onEvent: (event: RunEvent) => void;
  /** Whether `{{$env NAME}}` reads the environment; default true. False in untrusted workspaces. */
  readonly allowEnv?: boolean;
  /**
   * Variables given from outside the file (the CLI's `--var NAME=VALUE`), by name: each value is
   * literal text and takes the place of the file's `@NAME = …`, if any. Parse the file with the
   * same names (`parseSock(text, { given })`) so that `{{NAME}}` may use them undeclared.
   */
  readonly variables?: ReadonlyMap<string, string>;
  /** The bus the run's sockets report to; a new one when absent. */
  readonly bus?: TrafficBus;
  /**
   * Report the steps of every round of every `repeat` (`--verbose`). By default, past a
   * repeat's first `FULL_ROUNDS` rounds only failures and errors are reported, after a
   * `fold` event, and the repeat's own step sums its rounds up: a long repeat then costs
   * no event per step.
   */
  readonly everyRound?: boolean;
  /**
   * Asked before each step: undefined while whoever reads the run's events keeps up, else a
   * promise that settles once it has caught up (or the run stops). The step waits for it, as a
   * program blocked in write(2) waits for its reader; the wait is not counted in the step's time.
   * The CLI's stdout says so when a pipe's reader (`| less`) stops reading, so the events do not
   * pile up in memory.
   */
  readonly outputReady?: () => Promise<void> | undefined;
}
