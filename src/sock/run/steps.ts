/**
 * Runs one step of a block on its {@link Channel}: `send`, `recv` (each framing), `close`,
 * `shutdown`, `echo`, `wait`, and the lookups ({@link runLookup}). `expect` and `repeat` are the
 * runner's: they decide what happens to the steps around them.
 */
import { createError, type SocketLabError } from '../../net/errors';
import { byteCount } from '../../net/payload';
import { SENT, sleep } from '../../net/wait';
import { RECV_MAX_BYTES, type RecvOptions } from '../../net/stream';
import type { Endpoint } from '../../net/address';
import type { RelayOptions } from '../../net/relay';
import { describeTls, type TlsClientOptions } from '../../net/tlsInfo';
import type { Amount, Payload, Step } from '../ast';
import type { Channel } from '../channel';
import type { Scope } from '../scope';
import { MAX_AWAIT_COUNT } from '../parse/flow';
import { countOf, notRunning, type AwaitCounts } from './awaits';
import { recvDelimited, recvFrame } from './frames';
import { runLookup } from './lookups';
import type { LineEnding, PayloadBuilder } from './payloads';

const LF = Buffer.from('\n');

/** What a receive of `data` did. */
function receivedResult(data: Buffer): StepResult {
  return { value: data, payload: data, direction: 'in', detail: data.length === 0 ? '0 bytes: the peer closed its side' : byteCount(data.length) };
}

/** The faults a session's sends go through now, by kind, with their amounts (ms, bytes; a budget counts down). */
export type Faults = Map<'delay' | 'drip' | 'partial' | 'close-after' | 'reset-after' | 'drop', { ms?: number; bytes?: number }>;

/** What one step did, for the transcript and for the `expect` after it. */
export interface StepResult {
  /** The bytes received or the answer looked up: what a following `expect` checks. */
  readonly value?: Buffer;
  /** The transcript's summary: a byte count, `closed`, an answer … */
  readonly detail?: string;
  /** The bytes sent or received, shown with the step. */
  readonly payload?: Buffer;
  /** Whether `payload` was sent (`out`) or received (`in`). */
  readonly direction?: 'in' | 'out';
}

/** Where a block's steps run: its connection, if it has one, and what cancels them. */
export interface StepContext {
  /** The block's connection; absent for a block without a header or whose connect failed. */
  readonly channel: Channel | undefined;
  /** Why the block has no connection, when its connect failed: steps that need one say so. */
  readonly connectError: SocketLabError | undefined;
  /** The line ending of the block's heredocs. */
  readonly eol: LineEnding;
  /** Ends a waiting step with `ECANCELED`. */
  readonly signal: AbortSignal;
  /** For `starttls` in a `connect tcp` block: the host its certificate must name, and the block's TLS lines as options. */
  readonly tlsTarget?: () => Promise<{ readonly host: string; readonly tls: TlsClientOptions }>;
  /** The session's faults (`fault`, §8.14), which its later sends go through; absent without a connection. */
  readonly faults?: Faults;
  /** For `forward` in a listener block: the upstream it names, and what a relay needs to reach it. */
  readonly upstream?: (step: Extract<Step, { kind: 'forward' }>, signal: AbortSignal) => Promise<{ readonly endpoint: Endpoint; readonly options: RelayOptions; /** What the rewrites did, for the step's detail: `; 2 rewrites down`. */ readonly rewritten: () => string }>;
}

/** Runs the steps of one run, one at a time. */
export class StepExecutor {
  constructor(
    private readonly scope: Scope,
    private readonly payloads: PayloadBuilder,
    /** How long a receive, send or lookup may wait unless its step says `timeout`; ms. */
    private readonly timeoutMs: number,
    /** For `await NAME`: the run's counts, and the bus id of the listener or kept connection NAME now. */
    private readonly awaits?: { readonly counts: AwaitCounts; readonly target: (name: string) => string | undefined },
  ) {}

  /**
   * Runs `step` in `ctx` and says what it did. A `recv` waits up to its `timeout` (else the
   * run's default) and resolves with 0 bytes when the peer closed its side; `send` waits for the
   * socket to take the bytes (backpressure) within the same bound.
   * @throws SocketLabError `ECLOSED` for a step that needs a connection the block does not have
   *   (naming the connect error), `ETIMEDOUT`, `ECANCELED` when `ctx.signal` aborts, `EOF`, the
   *   payload's and the lookup's errors; `TypeError` for `expect` and `repeat`, which the runner runs.
   * @returns the result itself, not a promise, for a literal `send` that the socket took at once
   *   (the round of a repeat then waits only for its receive); else a promise of it
   */
  exec(step: Step, ctx: StepContext): StepResult | Promise<StepResult> {
    // send and recv are the steps a long repeat runs: an async call allocates a frame the size of
    // its function's locals every time, so the usual round, a literal send and a `recv line`, has
    // none, and the other sends and receives have small async functions of their own.
    if (step.kind === 'send') {
      const literal = this.payloads.literal(step.payload);
      return literal === undefined || (ctx.faults !== undefined && ctx.faults.size > 0) ? this.send(step, ctx) : this.sendLiteral(literal, step, ctx);
    }
    if (step.kind === 'recv') return step.mode === 'line' ? this.recvLine(step, ctx) : this.recv(step, ctx);
    return this.other(step, ctx);
  }

  /** A `send` of literal bytes `data` without faults: the result at once when the socket took them, else the channel's promise mapped to it. */
  private sendLiteral(data: Buffer, step: Extract<Step, { kind: 'send' }>, ctx: StepContext): StepResult | Promise<StepResult> {
    let sent: Promise<void>;
    try {
      sent = this.channelFor(step, ctx).send(data, this.waitOptions(undefined, ctx.signal));
    } catch (err) {
      return Promise.reject(err);
    }
    const result: StepResult = { payload: data, direction: 'out', detail: byteCount(data.length) };
    return sent === SENT ? result : sent.then(() => result);
  }

  /** `recv line`: the channel's promise, mapped to the step's result. */
  private recvLine(step: Extract<Step, { kind: 'recv' }>, ctx: StepContext): Promise<StepResult> {
    let received: Promise<Buffer>;
    try {
      received = this.channelFor(step, ctx).recvUntil(LF, this.waitOptions(step.timeoutMs, ctx.signal, 'recv … timeout', 'recv line'));
    } catch (err) {
      return Promise.reject(err);
    }
    return received.then(receivedResult);
  }

  private async send(step: Extract<Step, { kind: 'send' }>, ctx: StepContext): Promise<StepResult> {
    const ch = this.channelFor(step, ctx);
    const made = this.payloads.bytes(step.payload, ctx.eol);
    // Bytes built at once (literal ones, a field payload with a variable every round) cost no promise hop.
    const data = made instanceof Promise ? await made : made;
    if (ctx.faults && ctx.faults.size > 0) return (await this.sendWithFaults(ch, data, ctx.faults, ctx.signal)).result;
    await ch.send(data, this.waitOptions(undefined, ctx.signal));
    return { payload: data, direction: 'out', detail: byteCount(data.length) };
  }

  private async recv(step: Extract<Step, { kind: 'recv' }>, ctx: StepContext): Promise<StepResult> {
    const ch = this.channelFor(step, ctx);
    let data: Buffer;
    // `recv line` is recvLine's.
    if (step.mode === 'frame' && step.delimited) {
      const opts = this.waitOptions(step.timeoutMs, ctx.signal, 'recv … timeout');
      const start = await this.payloads.bytes(step.delimited.start, ctx.eol);
      const end = await this.payloads.bytes(step.delimited.end, ctx.eol);
      const framed = await recvDelimited(ch, start, end, opts);
      const skipped = framed.skipped > 0 ? `; ${byteCount(framed.skipped)} before the start skipped` : '';
      return { value: framed.frame, payload: framed.frame, direction: 'in', detail: `${byteCount(framed.frame.length)}${skipped}` };
    } else {
      const opts = this.waitOptions(step.timeoutMs, ctx.signal, 'recv … timeout');
      if (step.mode === 'until') data = await ch.recvUntil(await this.payloads.bytes(step.until as Payload, ctx.eol), opts);
      else if (step.mode === 'exactly') data = await ch.recvExactly(this.scope.count(step.max as Amount, 'recv exactly', 1, RECV_MAX_BYTES), opts);
      else if (step.mode === 'all') data = await ch.recvAll(opts);
      else if (step.mode === 'frame' && step.frame) data = await recvFrame(ch, step.frame, opts);
      else data = await ch.recv(step.max === undefined ? undefined : this.scope.count(step.max, 'recv', 1, RECV_MAX_BYTES), opts);
    }
    return receivedResult(data);
  }

  /** Every step but send and recv. */
  private async other(step: Step, ctx: StepContext): Promise<StepResult> {
    switch (step.kind) {
      case 'fault': {
        const f = step.fault;
        const faults = ctx.faults;
        if (!faults) throw createError('ECLOSED', 'fault: no connection');
        if (f.kind === 'none') faults.clear();
        else if (f.kind === 'delay') faults.set('delay', { ms: this.scope.duration(f.ms, 'fault delay') });
        else if (f.kind === 'drip') faults.set('drip', { bytes: this.scope.count(f.bytes, 'fault drip', 1, RECV_MAX_BYTES), ms: this.scope.duration(f.everyMs, 'fault drip … every') });
        else if (!('bytes' in f)) faults.set('drop', {});
        else {
          // close-after and reset-after share one budget: the last one written wins.
          if (f.kind !== 'partial') faults.delete(f.kind === 'close-after' ? 'reset-after' : 'close-after');
          faults.set(f.kind, { bytes: this.scope.count(f.bytes, `fault ${f.kind}`, 1, Number.MAX_SAFE_INTEGER) });
        }
        return { detail: f.kind === 'none' ? 'no more faults' : `later sends: ${[...faults.keys()].join(', ')}` };
      }
      case 'starttls': {
        const ch = this.channelFor(step, ctx);
        if (!ctx.tlsTarget || !ch.startTls) throw createError('ESTARTTLS', 'starttls upgrades the TCP connection of a connect tcp block');
        const { host, tls } = await ctx.tlsTarget();
        const session = await ch.startTls(host, tls, this.waitOptions(step.timeoutMs, ctx.signal, 'starttls … timeout'));
        return { detail: describeTls(session, Boolean(tls.insecure)) };
      }
      case 'forward': {
        const ch = this.channelFor(step, ctx);
        if (!ch.relay || !ctx.upstream) throw createError('EBADPAYLOAD', 'forward relays a stream connection (TCP, TLS, Unix) of a listener');
        const up = await ctx.upstream(step, ctx.signal);
        const { endpoint, rewritten } = up;
        // The session's faults hit what the upstream sends back: the client meets a slow, cut or lost server.
        const faults = ctx.faults;
        const options = faults && faults.size > 0 && step.transport !== 'udp' ? { ...up.options, pumpDown: async (chunk: Buffer) => {
                const r = await this.sendWithFaults(ch, chunk, faults, ctx.signal);
                return { sent: r.sent, end: r.ended };
              } } : up.options;
        const r = await ch.relay(endpoint, options);
        // A datagram's answers (and their rewrites) come after the step: only what went up is known.
        if (r.down === undefined) return { detail: `sent ${byteCount(r.up)} upstream through ${r.upstream}; its answers go back to the sender` };
        return { detail: `relayed through ${r.upstream}: ${byteCount(r.up)} up, ${byteCount(r.down)} back${rewritten()}` };
      }
      case 'close':
        await this.channelFor(step, ctx).close();
        return { detail: 'closed' };
      case 'reset': {
        const ch = this.channelFor(step, ctx);
        if (!ch.reset) throw createError('EBADPAYLOAD', 'reset aborts a stream connection (TCP, TLS, Unix)');
        ch.reset();
        return { detail: 'reset (RST sent)' };
      }
      case 'shutdown':
        return { detail: this.channelFor(step, ctx).shutdown() ? 'sent FIN; still receiving' : 'already shut down; nothing sent' };
      case 'wait': {
        const ms = this.scope.duration(step.ms, 'wait');
        await sleep(ms, ctx.signal, 'wait');
        return { detail: `waited ${ms} ms` };
      }
      case 'await': {
        const id = this.awaits?.target(step.name);
        if (id === undefined || !this.awaits) throw notRunning(step.name, step.event);
        const n = step.count === undefined ? 1 : this.scope.count(step.count, 'await', 1, MAX_AWAIT_COUNT);
        const opts = this.waitOptions(step.timeoutMs, ctx.signal, 'await … timeout');
        const reached = await this.awaits.counts.await(id, step.event, n, opts, `await ${step.name} ${step.event}${n === 1 ? '' : ` ${n}`}`);
        return { detail: countOf(step.event, reached) };
      }
      case 'echo': {
        const n = await this.channelFor(step, ctx).echo(this.waitOptions(step.timeoutMs, ctx.signal, 'echo timeout'));
        return { detail: `${byteCount(n)} echoed` };
      }
      case 'expect':
      case 'repeat':
      case 'capture':
      case 'set':
      case 'if':
      case 'on':
        throw new TypeError(`${step.kind} is run by runSteps`);
      case 'send':
      case 'recv':
        throw new TypeError(`${step.kind} is run by exec`);
      default:
        return runLookup(step, (t) => this.scope.expand(t), this.timeoutMs);
    }
  }

  /**
   * Sends `data` through the session's faults (§8.14): dropped, or after a delay, cut to its first
   * bytes, dripped a few bytes at a time, or up to a budget after which the connection is closed or
   * reset mid-reply (`ended`). A `send` step's way, and a relay's for the upstream's bytes.
   */
  async sendWithFaults(ch: Channel, data: Buffer, faults: Faults, signal: AbortSignal): Promise<{ result: StepResult; sent: number; ended: boolean }> {
    const notes: string[] = [];
    if (faults.has('drop')) return { result: { payload: data, direction: 'out', detail: `${byteCount(data.length)} not sent (fault drop)` }, sent: 0, ended: false };
    const delay = faults.get('delay');
    if (delay?.ms) {
      await sleep(delay.ms, signal, 'fault delay');
      notes.push(`after ${delay.ms} ms`);
    }
    let out = data;
    const partial = faults.get('partial');
    if (partial?.bytes !== undefined && out.length > partial.bytes) {
      out = out.subarray(0, partial.bytes);
      notes.push(`${byteCount(data.length - out.length)} left out (fault partial)`);
    }
    const ending = faults.has('close-after') ? 'close-after' : faults.has('reset-after') ? 'reset-after' : undefined;
    const budget = ending ? faults.get(ending) : undefined;
    let ends = false;
    if (budget?.bytes !== undefined && out.length >= budget.bytes) {
      out = out.subarray(0, budget.bytes);
      ends = true;
    }
    const drip = faults.get('drip');
    const opts = this.waitOptions(undefined, signal);
    if (drip?.bytes !== undefined && drip.ms !== undefined) {
      for (let at = 0; at < out.length; at += drip.bytes) {
        if (at > 0) await sleep(drip.ms, signal, 'fault drip');
        await ch.send(out.subarray(at, at + drip.bytes), opts);
      }
      notes.push(`dripped ${drip.bytes} at a time every ${drip.ms} ms`);
    } else if (out.length > 0) await ch.send(out, opts);
    if (budget?.bytes !== undefined) budget.bytes -= out.length;
    if (ends && ending) {
      if (ending === 'reset-after' && ch.reset) ch.reset();
      else await ch.close();
      notes.push(`then ${ending === 'reset-after' ? 'reset' : 'closed'} (fault ${ending})`);
    }
    return { result: { payload: out, direction: 'out', detail: `${byteCount(out.length)}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}` }, sent: out.length, ended: ends };
  }

  /** How long a step waits: its `timeout` (read now when it is a `{{…}}`), or the default. */
  /**
   * The options of a wait. Every one has the same shape (the same properties, in the same
   * order): the socket code that reads them then stays monomorphic on the data path.
   * @param label how the operation is named in errors (`recv line`)
   */
  private waitOptions(timeoutMs: Amount | undefined, signal: AbortSignal, what = 'timeout', label?: string): RecvOptions {
    return { timeoutMs: timeoutMs === undefined ? this.timeoutMs : this.scope.duration(timeoutMs, what), signal, maxBytes: undefined, label };
  }

  private channelFor(step: Step, ctx: StepContext): Channel {
    if (ctx.channel) return ctx.channel;
    throw createError('ECLOSED', `${step.kind}: no connection${ctx.connectError ? `: ${ctx.connectError.message}` : ''}`);
  }
}
