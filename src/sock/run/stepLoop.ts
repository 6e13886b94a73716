/**
 * The steps of a block or a session, run in order ({@link StepLoop.runSteps}): each step on the
 * executor, `repeat`, `if` and `expect` here, what each step leaves for the next
 * ({@link StepState}), and what the run reports and counts of them. The runner (src/sock/runner.ts)
 * starts blocks, listeners and sessions, and gives each its steps to run here.
 */
import { fromNodeError, type SocketLabError } from '../../net/errors';
import type { MarkEvent, TrafficBus } from '../../net/traffic';
import { sleep } from '../../net/wait';
import { escapeBytes } from '../../net/payload';
import type { Block, Matcher, Step } from '../ast';
import type { Channel } from '../channel';
import { FULL_ROUNDS, type RunEvent, type StepEvent } from '../runEvents';
import type { Scope } from '../scope';
import { MAX_REPEAT } from '../parse/flow';
import { evaluate } from './arithmetic';
import { capture } from './captures';
import { checkExpectation, type Verdict } from './expectations';
import { Latency } from './latency';
import { LOAD_SHOWN_FAILURES } from './load';
import type { SessionContext } from './responder';
import { elapsed, newStepState, stepBase, type Outcome, type StepState, type Tools } from './stepState';
import type { StepContext, StepResult } from './steps';

/** The errors of a step whose peer closed or reset: while the run closes its kept connections, they come from its own end. */
const PEER_CLOSED: ReadonlySet<string> = new Set(['EOF', 'ECONNRESET', 'EPIPE']);

/** What a run counts, and how it is ending: the runner's, which the step loop counts into. */
export interface RunTally {
  passed: number;
  failed: number;
  errors: number;
  /** The run is stopping: a step cut now is reported, not counted (§7.2). */
  stopping: boolean;
  /** The run closes its kept connections: a peer's close then is the run's own end. */
  closingKept: boolean;
  /** A step was cut by the caller's cancel: the run was interrupted. */
  interrupted: boolean;
}

/** What the step loop needs of its run. */
export interface StepLoopHost {
  readonly tally: RunTally;
  /** The run's variables and what reads them: every block's but a load session's that writes variables. */
  readonly tools: Tools;
  /** Aborts when the run stops: the signal of steps that have none of their own. */
  readonly signal: AbortSignal;
  readonly bus: TrafficBus;
  /** `--verbose`: every round of a repeat is reported, none folded. */
  readonly everyRound: boolean;
  /** Before each step: a promise to wait for while the reader of the run's events is behind (`RunOptions.outputReady`). */
  readonly outputReady: (() => Promise<void> | undefined) | undefined;
  /** True once the caller cancelled the run. */
  cancelled(): boolean;
  emit(event: RunEvent): void;
  /** Where a block's steps run: made once per block or session, and shared by the rounds of its repeats. */
  stepContext(block: Block, channel: Channel | undefined, state: StepState, signal: AbortSignal): StepContext;
}

/** Runs the steps of a run's blocks and sessions; one per run. */
export class StepLoop {
  constructor(private readonly host: StepLoopHost) {}

  /**
   * The test of an `if` or a `repeat … until` on the last value, as `expect` checks it but counted
   * as nothing. A test whose payload cannot be made is an error of `step`, reported; then undefined.
   */
  async test(matcher: Matcher, state: StepState, block: Block, base: Omit<StepEvent, 'status' | 'ms'>, t0: number): Promise<Verdict | undefined> {
    const { payloads, scope } = state.tools ?? this.host.tools;
    try {
      return await checkExpectation(matcher, state, block.eol, (payload, eol) => payloads.pattern(payload, eol), scope);
    } catch (err) {
      const error = fromNodeError(err, base.source);
      this.failure(state, { ...base, status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
      return undefined;
    }
  }

  /**
   * Reports a failed `expect` or an error that ends the steps, and counts it: in the run's
   * summary, or for a load's session in the load's statistics, where only the first
   * {@link LOAD_SHOWN_FAILURES} sessions after the first report theirs one by one.
   */
  private failure(state: StepState, event: StepEvent): void {
    const load = state.load;
    if (!load) {
      this.host.emit(event);
      if (event.status === 'fail') this.host.tally.failed++;
      else this.host.tally.errors++;
      return;
    }
    load.code = event.status === 'fail' ? 'EXPECT' : (event.code ?? 'EUNKNOWN');
    if (load.stats.shown++ < LOAD_SHOWN_FAILURES) this.host.emit(event);
  }

  /** Runs a `set` step: its value is expanded and computed once, here, for every later step. */
  private set(step: Extract<Step, { kind: 'set' }>, scope: Scope): StepResult {
    const value = evaluate(scope.expand(step.value), step.name);
    scope.assign(step.name, Buffer.from(value, 'utf8'));
    return { detail: `${step.name} = "${escapeBytes(Buffer.from(value, 'utf8'), 64)}"` };
  }

  /** Runs a `capture` step: its variables are set in the run's scope for every later step; a field at an offset is marked. */
  private capture(step: Extract<Step, { kind: 'capture' }>, state: StepState): StepResult {
    const taken = capture(step, state.last);
    const scope = state.tools?.scope ?? this.host.tools.scope;
    for (const [name, value] of taken.values) scope.assign(name, value);
    if (taken.span) this.mark(state, 'field', taken.span, taken.detail);
    return { detail: taken.detail };
  }

  /**
   * Reports which received bytes a step read ({@link MarkEvent}): `span` is within `state.last`,
   * which must have been received (a looked-up value has no bytes on a socket).
   */
  mark(state: StepState, mark: MarkEvent['mark'], span: { readonly offset: number; readonly length: number }, label: string): void {
    const at = state.lastAt;
    if (!at || span.length <= 0) return;
    this.host.bus.emit({ type: 'mark', mark, id: at.id, direction: 'in', offset: at.offset + span.offset, length: span.length, label });
  }

  /**
   * Runs steps in order. An error ends the steps unless the next step is `expect error`, which
   * then checks it; a failed expect ends the steps too.
   *
   * A repeat calls this once per round, so it stays small: an async function keeps every local
   * it has in a frame allocated per call (V8's heap profiler put 1.7 KB a round on this loop with
   * the flow steps written in it, 0.8 KB without). Sends, receives and the other steps of the
   * executor run here; `repeat`, `if` and `expect` in methods of their own, the bookkeeping in
   * {@link StepLoop.stepDone} and {@link StepLoop.stepFailed}.
   */
  async runSteps(block: Block, steps: readonly Step[], channel: Channel | undefined, ctx: SessionContext, initialError?: SocketLabError, state: StepState = newStepState({ lastError: initialError, connectError: initialError })): Promise<Outcome> {
    const where = (state.where ??= this.host.stepContext(block, channel, state, state.signal ?? this.host.signal));
    if (channel) state.channel = channel;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      const behind = this.host.outputReady?.();
      if (behind !== undefined) await behind;
      const t0 = performance.now();
      // Events are built when they are sent (stepBase): a step past a repeat's reported rounds that goes as it should has none.
      if (step.kind === 'repeat' || step.kind === 'if' || step.kind === 'expect') {
        const outcome = await (step.kind === 'repeat' ? this.repeat(block, step, channel, ctx, state, t0) : step.kind === 'if' ? this.branch(block, step, channel, ctx, state, t0) : this.expect(block, step, ctx, state, t0));
        if (outcome !== undefined) return outcome;
        continue;
      }
      try {
        const ran = step.kind === 'capture' ? this.capture(step, state) : step.kind === 'set' ? this.set(step, (state.tools ?? this.host.tools).scope) : (state.tools ?? this.host.tools).executor.exec(step, where);
        this.stepDone(ran instanceof Promise ? await ran : ran, block, step, channel, ctx, state, t0);
      } catch (err) {
        const outcome = this.stepFailed(err, block, steps, i, ctx, state, t0);
        if (outcome !== undefined) return outcome;
      }
    }
    return 'pass';
  }

  /** What a step that ran did to the block's state (its bytes, the load's times), and its event. */
  private stepDone(r: StepResult, block: Block, step: Step, channel: Channel | undefined, ctx: SessionContext, state: StepState, t0: number): void {
    state.lastError = undefined;
    if (r.value) {
      state.last = r.value;
      const received = step.kind === 'recv' ? channel?.received : undefined;
      state.lastAt = received ? { id: received.id, offset: received.end - r.value.length } : undefined;
      if (step.kind === 'recv' && step.mode === 'frame') this.mark(state, 'frame', { offset: 0, length: r.value.length }, step.source);
    }
    if (step.kind === 'recv' && r.value?.length === 0) state.sawClose = true;
    // capture and set keep what came before: `expect time` after them still times the step that did.
    if (step.kind !== 'capture' && step.kind !== 'set') state.lastMs = elapsed(t0);
    if (r.payload && r.direction === 'out') state.bytesOut += r.payload.length;
    else if (r.payload) state.bytesIn += r.payload.length;
    const lt = state.load;
    if (lt && step.kind === 'send') lt.sentAt ??= t0;
    else if (lt && step.kind === 'recv') {
      const now = performance.now();
      if (!lt.gotFirst) {
        lt.gotFirst = true;
        lt.stats.record('first-byte', now - lt.connectedAt);
      }
      if (lt.sentAt !== undefined) lt.stats.record('round-trip', now - lt.sentAt);
      lt.sentAt = undefined;
    }
    if (!state.folded) this.host.emit({ ...stepBase(block, step, ctx, state), status: 'ok', ms: elapsed(t0), ...(r.detail !== undefined ? { detail: r.detail } : {}), ...(r.payload ? { payload: r.payload, direction: r.direction } : {}) });
  }

  /**
   * Reports the error of step `i` of `steps`: undefined when the next step is `expect error`,
   * which checks it, else the outcome that ends the steps.
   */
  private stepFailed(err: unknown, block: Block, steps: readonly Step[], i: number, ctx: SessionContext, state: StepState, t0: number): Outcome | undefined {
    const step = steps[i];
    const signal = state.signal ?? this.host.signal;
    const error = fromNodeError(err, step.source);
    const next = steps[i + 1];
    const expected = next?.kind === 'expect' && next.matcher.kind === 'error';
    const stopped = this.host.tally.stopping || (signal.aborted && error.code === 'ECANCELED') || (this.host.tally.closingKept && PEER_CLOSED.has(error.code));
    if (state.load && !expected) {
      // A load's session: cut when the load's time ran out, else an error of the load's, reported if among the first.
      if (stopped) state.load.cut = true;
      else this.failure(state, { ...stepBase(block, step, ctx, state), status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
      return 'error';
    }
    if (!(expected && state.folded)) this.host.emit({ ...stepBase(block, step, ctx, state), status: 'error', detail: stopped ? `${error.message} (${this.host.signal.aborted || this.host.tally.closingKept ? 'the run was stopping' : 'cancelled'})` : error.message, code: error.code, ms: elapsed(t0), ...(expected ? { expected } : {}), ...(stopped ? { cut: true } : {}) });
    if (expected) {
      state.lastError = error;
      return undefined;
    }
    // Cut by a signal: the run was interrupted. Cut by the end of the run: reported, not counted (§7.2).
    if (stopped) {
      if (this.host.cancelled()) this.host.tally.interrupted = true;
    } else this.host.tally.errors++;
    return 'error';
  }

  /**
   * Runs a `repeat`: its rounds (paced by its rate) until its count, or until its `until` test
   * passes. Undefined when the steps go on, else the outcome that ends them. Only the rounds are
   * here, as they run every time; what the repeat reports is {@link StepLoop.repeatEnded}'s.
   */
  private async repeat(block: Block, step: Extract<Step, { kind: 'repeat' }>, channel: Channel | undefined, ctx: SessionContext, state: StepState, t0: number): Promise<Outcome | undefined> {
    const signal = state.signal ?? this.host.signal;
    const { scope } = state.tools ?? this.host.tools;
    // Counts and rates from variables are read as the repeat starts.
    let count: number;
    let everyMs: number | undefined;
    try {
      count = scope.count(step.count, 'repeat', 1, MAX_REPEAT);
      everyMs = step.everyMs === undefined ? undefined : scope.duration(step.everyMs, 'repeat … every');
    } catch (err) {
      const error = fromNodeError(err, step.source);
      this.failure(state, { ...stepBase(block, step, ctx, state), status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
      return 'error';
    }
    let rounds = 0;
    /** With `until`: the verdict of the round that ended it, or of the last round. */
    let test: Verdict | undefined;
    /** How a round ended the steps (it failed or erred), else undefined. */
    let ended: Outcome | undefined;
    // Round times are kept for the repeat's own event, which a folded repeat does not have.
    const roundMs = state.folded ? undefined : new Latency(true);
    const out0 = state.bytesOut;
    const in0 = state.bytesIn;
    const outerFolded = state.folded === true;
    // The round from which rounds that go as they should are not reported: none inside a folded
    // repeat (it reports nothing) or with --verbose.
    const foldAt = outerFolded || this.host.everyRound ? -1 : FULL_ROUNDS;
    const path = (state.rounds ??= []);
    const depth = path.length;
    for (; rounds < count && !test?.pass; rounds++) {
      if ((everyMs || step.rate) && rounds > 0) {
        // A rate, not a pause: round k starts k × every after the first (or, for a byte rate,
        // once the bytes sent so far are due). A round due within the next millisecond (a
        // timer's grain) starts now, so rates past 1,000 rounds a second keep their average.
        const sinceStart = step.rate?.per === 'byte' ? ((state.bytesOut - out0) * 1000) / step.rate.perSecond : rounds * (everyMs ?? 1000 / (step.rate?.perSecond ?? 1));
        const due = t0 + sinceStart - performance.now();
        if (due >= 1) await sleep(due, signal, 'repeat').catch(() => undefined);
      }
      if (signal.aborted) break;
      if (rounds === foldAt) {
        state.folded = true;
        this.host.emit({ type: 'fold', block: block.index, line: step.range.start.line, column: step.range.start.column, ...(ctx.connection ? { connection: ctx.connection } : {}), ...(ctx.session ? { session: ctx.session } : {}), ...(ctx.listener ? { listener: ctx.listener } : {}) });
      }
      const r0 = performance.now();
      path[depth] = rounds + 1;
      const outcome = await this.runSteps(block, step.steps, channel, ctx, undefined, state);
      path.length = depth;
      if (outcome !== 'pass') {
        ended = outcome;
        break;
      }
      roundMs?.record(performance.now() - r0);
      if (step.until) {
        const verdict = await this.test(step.until, state, block, stepBase(block, step, ctx, state), t0);
        if (verdict === undefined) {
          ended = 'error';
          break;
        }
        test = verdict;
      }
    }
    state.folded = outerFolded;
    path.length = depth;
    return ended ?? this.repeatEnded(block, step, ctx, state, t0, { rounds, count, test, roundMs, out0, in0, reported: !outerFolded });
  }

  /** Reports a repeat that ran its rounds, was cancelled, or never passed its `until` test. */
  private repeatEnded(block: Block, step: Extract<Step, { kind: 'repeat' }>, ctx: SessionContext, state: StepState, t0: number, ran: { readonly rounds: number; readonly count: number; readonly test: Verdict | undefined; readonly roundMs: Latency | undefined; readonly out0: number; readonly in0: number; readonly reported: boolean }): Outcome | undefined {
    const { rounds, count, test } = ran;
    const done = `${rounds} round${rounds === 1 ? '' : 's'}`;
    const spread = ran.roundMs?.summary();
    const repeat = { rounds, bytesOut: state.bytesOut - ran.out0, bytesIn: state.bytesIn - ran.in0, minMs: spread?.minMs ?? 0, medianMs: spread?.medianMs ?? 0, p99Ms: spread?.p99Ms ?? 0, maxMs: spread?.maxMs ?? 0 };
    if (rounds < count && !test?.pass) {
      if (this.host.cancelled()) this.host.tally.interrupted = true;
      if (state.load) state.load.cut = true;
      else this.host.emit({ ...stepBase(block, step, ctx, state), status: 'error', code: 'ECANCELED', detail: `cancelled after ${done} of ${count}`, ms: elapsed(t0), repeat });
      return 'error';
    }
    if (test && !test.pass) {
      // Polling that never saw what it waited for: a failed expectation, as `expect` would be.
      this.failure(state, { ...stepBase(block, step, ctx, state), status: 'fail', detail: `no round of ${count} passed the test: ${test.detail}`, ms: elapsed(t0), repeat });
      return 'fail';
    }
    if (ran.reported) this.host.emit({ ...stepBase(block, step, ctx, state), status: 'ok', detail: test ? `${done}: the last passed the test (${test.detail})` : done, ms: elapsed(t0), repeat });
    return undefined;
  }

  /** Runs an `if`: its steps or its `else` steps, as the test on the last value says. */
  private async branch(block: Block, step: Extract<Step, { kind: 'if' }>, channel: Channel | undefined, ctx: SessionContext, state: StepState, t0: number): Promise<Outcome | undefined> {
    const verdict = await this.test(step.test, state, block, stepBase(block, step, ctx, state), t0);
    if (verdict === undefined) return 'error';
    if (!state.folded) this.host.emit({ ...stepBase(block, step, ctx, state), status: 'ok', detail: verdict.pass ? `yes: ${verdict.detail}` : `no: ${verdict.detail}; ${step.otherwise.length > 0 ? 'the steps after else run' : 'nothing runs'}`, ms: elapsed(t0) });
    const outcome = await this.runSteps(block, verdict.pass ? step.steps : step.otherwise, channel, ctx, undefined, state);
    return outcome === 'pass' ? undefined : outcome;
  }

  /** Runs an `expect` on the last value, error or facts: a failed one ends the steps. */
  private async expect(block: Block, step: Extract<Step, { kind: 'expect' }>, ctx: SessionContext, state: StepState, t0: number): Promise<Outcome | undefined> {
    const { scope, payloads } = state.tools ?? this.host.tools;
    let verdict: Verdict;
    try {
      verdict = await checkExpectation(step.matcher, state, block.eol, (payload, eol) => payloads.pattern(payload, eol), scope);
    } catch (err) {
      // The expected payload itself could not be made (a missing file, a bad variable).
      const error = fromNodeError(err, step.source);
      this.failure(state, { ...stepBase(block, step, ctx, state), status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
      return 'error';
    }
    state.lastError = undefined;
    if (verdict.span) this.mark(state, 'field', verdict.span, step.source);
    const event: StepEvent = { ...stepBase(block, step, ctx, state), status: verdict.pass ? 'pass' : 'fail', detail: verdict.detail, ...(verdict.diff ? { diff: verdict.diff } : {}), ...(verdict.compared ? { compared: verdict.compared } : {}), ms: elapsed(t0) };
    if (!verdict.pass) {
      this.failure(state, event);
      return 'fail';
    }
    if (!state.folded) this.host.emit(event);
    // A load's sessions count their outcome in the load's statistics, not in the run's summary.
    if (!state.load) this.host.tally.passed++;
    return undefined;
  }
}
