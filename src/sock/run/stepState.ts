/**
 * What a run's steps carry from step to step ({@link StepState}), what they read and write
 * variables with ({@link Tools}), and the small rules the runner applies to steps: which write
 * variables, which expect, what every step event carries.
 */
import type { SocketLabError } from '../../net/errors';
import type { Block, Step } from '../ast';
import type { Channel } from '../channel';
import type { StepEvent } from '../runEvents';
import type { Scope } from '../scope';
import type { LoadSession } from './load';
import type { PayloadBuilder } from './payloads';
import type { SessionContext } from './responder';
import type { Faults, StepContext, StepExecutor } from './steps';

/** How a block's or session's steps ended. */
export type Outcome = 'pass' | 'fail' | 'error';

/** What the steps of one block (or session) carry from step to step. */
export interface StepState {
  /** The last value received or looked up, for `expect`. */
  last?: Buffer;
  /** For a received `last`: the bus socket it came from and the stream offset of its first byte, for marks. */
  lastAt?: { readonly id: string; readonly offset: number };
  /** The error of the step before, for `expect error`. */
  lastError?: SocketLabError;
  /** Why the block has no connection, when its connect failed. */
  readonly connectError?: SocketLabError;
  /** What cancels these steps: the run's signal, or the run's and one {@link SockRun.runBlocks} call's. */
  readonly signal?: AbortSignal;
  /** Bytes these steps sent and received so far, for a repeat's totals. */
  bytesOut: number;
  bytesIn: number;
  /** How long the last step that connected, sent, received, waited or looked up took, for `expect time`; ms. */
  lastMs?: number;
  /** True once a `recv` returned 0 bytes (the peer closed its side), for `expect closed`. */
  sawClose?: boolean;
  /** The block's connection, for `expect closed` and `expect tls`. */
  channel?: Channel;
  /** The faults its sends go through (`fault`, §8.14), for the whole session. */
  faults?: Faults;
  /** Where the steps run: made by the outermost {@link StepLoop.runSteps} call, and kept by the rounds of its repeats. */
  where?: StepContext;
  /** True while a repeat is past its reported rounds ({@link FULL_ROUNDS}): steps that go as they should are not reported. */
  folded?: boolean;
  /** The round of each repeat running around the step, outermost first, 1-based; copied into the events that are reported. */
  rounds?: number[];
  /** For a session of a load (§8.15): where its timings go, and how it ended. */
  load?: LoadSession;
  /** A load session's own variables, and what reads them; the run's when absent. */
  tools?: Tools;
}

/** What a {@link StepState} starts with: the rest starts empty. */
export type StepStateStart = Pick<StepState, 'lastError' | 'connectError' | 'signal' | 'lastMs' | 'folded' | 'load' | 'tools'>;

/**
 * A new {@link StepState} with every field present, in one order. Steps read and write these
 * fields on every round of a repeat: states of one shape (one hidden class in V8) keep that code
 * monomorphic, where states built as literals of their own fields each had another shape, and
 * the optimised step loop was thrown away and compiled again as each new shape came.
 */
export function newStepState(start: StepStateStart = {}): StepState {
  return {
    last: undefined,
    lastAt: undefined,
    lastError: start.lastError,
    connectError: start.connectError,
    signal: start.signal,
    bytesOut: 0,
    bytesIn: 0,
    lastMs: start.lastMs,
    sawClose: undefined,
    channel: undefined,
    faults: undefined,
    where: undefined,
    folded: start.folded,
    rounds: undefined,
    load: start.load,
    tools: start.tools,
  };
}

/** The variables steps read and write, and what builds payloads and runs steps with them. */
export interface Tools {
  readonly scope: Scope;
  readonly payloads: PayloadBuilder;
  readonly executor: StepExecutor;
}

/** True when `steps` (or the steps nested in them) write a variable: a load's sessions then each need their own. */
export function assigns(steps: readonly Step[]): boolean {
  return steps.some((s) => s.kind === 'capture' || s.kind === 'set' || ('steps' in s && assigns(s.steps)) || (s.kind === 'if' && assigns(s.otherwise)));
}


/** True when `steps` (or the steps nested in them) hold an `expect`. */
export function hasExpect(steps: readonly Step[]): boolean {
  return steps.some((s) => s.kind === 'expect' || ('steps' in s && hasExpect(s.steps)));
}

/** What every event of `step` carries: where it is written, whose it is, and its rounds (copied). */
export function stepBase(block: Block, step: Step, ctx: SessionContext, state: StepState): Omit<StepEvent, 'status' | 'ms'> {
  return { type: 'step', block: block.index, line: step.range.start.line, column: step.range.start.column, source: step.source, verb: step.kind, ...ctx, ...(state.rounds && state.rounds.length > 0 ? { round: state.rounds.slice() } : {}) };
}

/** Milliseconds since `t0` (from `performance.now()`), to 0.1 ms. */
export function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

/** One run of a `.sock` file. */
