/**
 * Responders (spec §7.9): a listener block's `on` rules answer each message its `messages` line
 * cuts, and in a relay with rules (§7.8) what no rule takes goes upstream. The run ({@link SockRun})
 * is the host: it runs steps, reports events and keeps the variables; this keeps the rules' loop
 * and their hit counts.
 */
import { createError, fromNodeError } from '../../net/errors';
import { byteCount, escapeBytes } from '../../net/payload';
import { BytePattern } from '../../net/regex';
import type { RelayOptions, UpstreamLeg } from '../../net/relay';
import type { MarkEvent } from '../../net/traffic';
import { MAX_TIMER_MS } from '../../net/wait';
import type { Block, Matcher, Step } from '../ast';
import type { Channel } from '../channel';
import type { RunEvent, StepEvent } from '../runEvents';
import type { Verdict } from './expectations';
import type { Faults, StepContext, StepExecutor } from './steps';

/** Whose steps a session runs, for its events (the run's `SessionContext`). */
export interface SessionContext {
  readonly session?: string;
  readonly listener?: string;
  /** A client or `use` block's connection id. */
  readonly connection?: string;
}

/** What the steps of a session carry from step to step, as the run keeps it. */
export interface ResponderState {
  last?: Buffer;
  lastAt?: { readonly id: string; readonly offset: number };
  lastError?: unknown;
  faults?: Faults;
}

/** What the run gives a responder. */
export interface ResponderHost<S extends ResponderState> {
  /** The run's step executor, its signal, and whether it is stopping (read when needed). */
  executor(): StepExecutor;
  signal(): AbortSignal;
  stopping(): boolean;
  runSteps(block: Block, steps: readonly Step[], channel: Channel | undefined, ctx: SessionContext, initialError: undefined, state: S): Promise<'pass' | 'fail' | 'error'>;
  /** The state a session's steps start with: empty. */
  newState(): S;
  emit(event: RunEvent): void;
  test(matcher: Matcher, state: S, block: Block, base: Omit<StepEvent, 'status' | 'ms'>, t0: number): Promise<Verdict | undefined>;
  mark(state: S, mark: MarkEvent['mark'], span: { readonly offset: number; readonly length: number }, label: string): void;
  assign(name: string, value: Buffer): void;
  countError(): void;
  liveBlock(block: Block): Block;
  upstream(block: Block, step: ForwardStep, signal: AbortSignal): Promise<{ endpoint: Parameters<NonNullable<Channel['openUpstream']>>[0]; options: RelayOptions }>;
}

/** A responder rule (§7.9). */
export type OnRule = Extract<Step, { kind: 'on' }>;
/** A relay's `forward` step (§7.8). */
export type ForwardStep = Extract<Step, { kind: 'forward' }>;

/** How a responder without a `messages` line reads: each chunk or datagram as it comes. */
const CHUNK: Extract<Step, { kind: 'recv' }> = { kind: 'recv', mode: 'chunk', range: { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } }, source: '' };

/** A block's responder rules, or undefined when it has none. */
export function rulesOf(block: Block): OnRule[] | undefined {
  const rules = block.steps.filter((s): s is OnRule => s.kind === 'on');
  return rules.length > 0 ? rules : undefined;
}

/** A rule's key for its hit count: its block and its line's text, so a reload that keeps the line keeps the count. */
export function ruleKey(blockIndex: number, rule: OnRule): string {
  return `${blockIndex}:${rule.source}`;
}

/** True when `steps` close or reset the connection (at their top level): a rule's session ends after them. */
function endsConnection(steps: readonly Step[]): boolean {
  return steps.some((s) => s.kind === 'close' || s.kind === 'reset');
}


/** Milliseconds since `t0` (from `performance.now()`), to 0.1 ms. */
function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

/** A run's responder: the loop of its listeners' rules, and how often each rule answered. */
export class Responder<S extends ResponderState> {
  /** Hits by `BLOCK:RULE LINE TEXT` ({@link ruleKey}). */
  readonly hits = new Map<string, number>();

  constructor(private readonly host: ResponderHost<S>) {}

  /**
   * A responder (§7.9): the block's steps, then its `on connect` rule, then for each message the
   * block's `messages` line reads, the first rule whose test the message passes (a regex's named
   * groups set as variables first), else `on other`; at the peer's FIN, `on half-close`. The
   * session ends there, when a rule closes or resets the connection, or when a rule's step fails.
   * A datagram session has one message, its datagram.
   */
  async respond(block: Block, script: readonly Step[], initialRules: readonly OnRule[], channel: Channel, ctx: SessionContext, forward?: ForwardStep): Promise<void> {
    const state = this.host.newState();
    if ((await this.host.runSteps(block, script, channel, ctx, undefined, state)) !== 'pass') return;
    let leg: UpstreamLeg | undefined;
    let answered = 0;
    const forwardEvent = { type: 'step' as const, block: block.index, line: forward?.range.start.line ?? 0, column: forward?.range.start.column ?? 0, source: forward?.source ?? '', verb: 'forward', ...ctx };
    if (forward) {
      const t0 = performance.now();
      try {
        if (!channel.openUpstream) throw createError('EBADPAYLOAD', 'a relay with rules relays a stream connection');
        const up = await this.host.upstream(block, forward, this.host.signal());
        // The session's faults hit what the upstream sends back, as in a relay without rules.
        const faults = state.faults;
        const signal = this.host.signal();
        const options = faults && faults.size > 0 ? { ...up.options, pumpDown: async (chunk: Buffer) => {
                const r = await this.host.executor().sendWithFaults(channel, chunk, faults, signal);
                return { sent: r.sent, end: r.ended };
              } } : up.options;
        leg = await channel.openUpstream(up.endpoint, options);
      } catch (err) {
        const error = fromNodeError(err, forward.source);
        this.host.emit({ ...forwardEvent, status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
        this.host.countError();
        return;
      }
    }
    let ending: 'eof' | 'ended';
    try {
      ending = await this.answerMessages(block, initialRules, channel, ctx, state, leg, () => answered++);
    } catch (err) {
      leg?.abort();
      throw err;
    }
    if (!leg) return;
    // A session that ended otherwise than by the client's FIN (a rule closed it, a step failed) resets the upstream leg.
    if (ending === 'ended') {
      leg.abort();
      return;
    }
    const t0 = performance.now();
    try {
      const r = await leg.finish();
      this.host.emit({ ...forwardEvent, status: 'ok', ms: elapsed(t0), detail: `relayed through ${leg.id}: ${byteCount(r.up)} up, ${byteCount(r.down)} back; ${answered} message${answered === 1 ? '' : 's'} answered by rules` });
    } catch (err) {
      const error = fromNodeError(err, forward?.source ?? 'forward');
      this.host.emit({ ...forwardEvent, status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
      if (!this.host.stopping()) this.host.countError();
    }
  }

  /**
   * The responder's loop (§7.9): each message to the first rule that takes it, else `on other`, else
   * (in a relay with rules, `leg`) upstream. Ends at the peer's FIN, a failed step, or a rule that
   * closes or resets the connection (a relay's upstream leg is then reset too).
   */
  private async answerMessages(block: Block, initialRules: readonly OnRule[], channel: Channel, ctx: SessionContext, state: S, leg: UpstreamLeg | undefined, onAnswered: () => void): Promise<'eof' | 'ended'> {
    let rules = initialRules;
    const rule = (event: OnRule['event']): OnRule | undefined => rules.find((r) => r.event === event);
    const connect = rule('connect');
    if (connect && (await this.runRule(block, connect, 'a peer connected', channel, ctx, state)) !== 'go on') return 'ended';
    const reader = block.policy.messages ?? CHUNK;
    // The wait for the next message has no limit of its own unless the messages line gives one:
    // the listener's idle-timeout and the run's end bound it.
    const read: Step = reader.timeoutMs === undefined ? { ...reader, timeoutMs: MAX_TIMER_MS } : reader;
    const where: StepContext = { channel, connectError: undefined, eol: block.eol, signal: this.host.signal() };
    for (;;) {
      const t0 = performance.now();
      // Without a messages line, a message read is told at the listen line.
      const at = (reader === CHUNK ? block.header?.range.start : undefined) ?? reader.range.start;
      const base = { type: 'step' as const, block: block.index, line: at.line, column: at.column, source: reader.source || 'message', verb: 'recv', ...ctx };
      let message: Buffer;
      try {
        message = (await this.host.executor().exec(read, where)).value ?? Buffer.alloc(0);
      } catch (err) {
        const error = fromNodeError(err, reader.source || 'recv');
        // A peer that closes between messages, or a datagram session's second read, ends the session.
        if (error.code === 'EOF') message = Buffer.alloc(0);
        else {
          const stopped = this.host.stopping() || this.host.signal().aborted;
          this.host.emit({ ...base, status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
          if (!stopped) this.host.countError();
          return 'ended';
        }
      }
      if (message.length === 0) {
        if (channel.peerClosed === undefined) return 'eof'; // a datagram session: its one message was answered
        const halfClose = rule('half-close');
        if (halfClose) await this.runRule(block, halfClose, 'the peer sent FIN', channel, ctx, state);
        return 'eof';
      }
      this.host.emit({ ...base, status: 'ok', ms: elapsed(t0), detail: byteCount(message.length), payload: message, direction: 'in' });
      // The rules as the file says now: a save reloads them for connections already open (§7.9).
      rules = rulesOf(this.host.liveBlock(block)) ?? rules;
      state.last = message;
      const received = channel.received;
      state.lastAt = received ? { id: received.id, offset: received.end - message.length } : undefined;
      state.lastError = undefined;
      let taken: OnRule | undefined;
      let detail = '';
      for (const r of rules) {
        if (r.event !== 'message' || r.test === undefined) continue;
        const verdict = await this.host.test(r.test, state, block, { ...base, line: r.range.start.line, column: r.range.start.column, source: r.source, verb: 'on' }, t0);
        if (verdict === undefined) return 'ended';
        if (!verdict.pass) continue;
        taken = r;
        detail = verdict.detail;
        if (r.test.kind === 'regex') {
          // The rule's line already shows the regex: say what its named groups took instead.
          const m = BytePattern.of(r.test.source, r.test.flags).exec(message);
          const took: string[] = [];
          for (const [name, index] of Object.entries(m?.names ?? {}).sort((a, b) => a[1] - b[1])) {
            const value = m?.groups[index];
            if (value === undefined) continue;
            this.host.assign(name, value);
            took.push(`${name} = "${escapeBytes(value, 64)}"`);
          }
          detail = took.length > 0 ? took.join(', ') : 'matched';
        }
        if (verdict.span) this.host.mark(state, 'field', verdict.span, r.source);
        break;
      }
      taken ??= rule('other');
      // The message is a frame in the traffic view, named for the rule that answered it.
      this.host.mark(state, 'frame', { offset: 0, length: message.length }, taken ? `answered by ${taken.source}` : leg ? `forwarded upstream through ${leg.id}` : 'no rule took it');
      if (!taken && leg) {
        await leg.send(message);
        continue;
      }
      if (!taken) {
        this.host.emit({ ...base, verb: 'on', status: 'ok', ms: 0, detail: 'no rule took this message' });
        continue;
      }
      onAnswered();
      if ((await this.runRule(block, taken, detail || 'no other rule took it', channel, ctx, state)) !== 'go on') return 'ended';
    }
  }

  /**
   * Runs a rule's steps and counts its hit; says whether the session goes on: not when a step
   * failed, or the rule closed or reset the connection.
   */
  private async runRule(block: Block, rule: OnRule, why: string, channel: Channel, ctx: SessionContext, state: S): Promise<'go on' | 'end'> {
    const key = ruleKey(block.index, rule);
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    this.host.emit({ type: 'step', block: block.index, line: rule.range.start.line, column: rule.range.start.column, source: rule.source, verb: 'on', status: 'ok', ms: 0, detail: why, ...ctx });
    const outcome = await this.host.runSteps(block, rule.steps, channel, ctx, undefined, state);
    return outcome === 'pass' && !endsConnection(rule.steps) ? 'go on' : 'end';
  }
}
