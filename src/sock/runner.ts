/**
 * Runs a parsed `.sock` file over real sockets and reports every step as a {@link RunEvent}.
 * Client and lookup blocks run in order; a listener block starts its listener and the run goes
 * on, the listener's steps running for each accepted connection or datagram, until
 * {@link SockRun.stop}.
 */
import { formatHostPort, isWildcardAddress, parseHostPort, parseListenerHostPort, DEFAULT_BIND_HOST, unixSocketPath, type Endpoint } from '../net/address';
import { createError, fromNodeError, SocketLabError } from '../net/errors';
import type { RelayOptions } from '../net/relay';
import { TrafficBus } from '../net/traffic';
import type { TlsClientOptions } from '../net/tlsInfo';
import { BytePattern, replaceAll } from '../net/regex';

import type { Block, Header, SockFile, Step, Template } from './ast';
import type { Channel } from './channel';
import type { RunEvent, SummaryEvent } from './runEvents';
import type { RunOptions } from './run/options';
import { runLoadBlock, type LoadHost } from './run/loadBlock';
import { assigns, elapsed, hasExpect, newStepState, type Outcome, type StepState, type Tools } from './run/stepState';
import { StepLoop, type RunTally } from './run/stepLoop';
import { Scope, type ListenerInfo } from './scope';
import { replaceBytes } from '../net/payload';
import { connectBlockClient } from './run/blockClient';
import { openBlockListener } from './run/blockListener';
import { tlsClientOptions } from './run/tlsOptions';
import { PayloadBuilder } from './run/payloads';
import { StepExecutor, type StepContext } from './run/steps';
import { Responder, ruleKey, rulesOf, type ForwardStep, type OnRule, type SessionContext } from './run/responder';
import { AwaitCounts } from './run/awaits';

export { MAX_FILE_PAYLOAD } from './files';

/** The default time a connect, receive or send may wait (5 s). */
export const DEFAULT_TIMEOUT_MS = 5000;

export type { RunOptions } from './run/options';

export class SockRun {
  private readonly bus: TrafficBus;
  private readonly timeoutMs: number;
  private readonly internal = new AbortController();
  private readonly listeners: { close(): Promise<void> }[] = [];
  /**
   * The listener each listener block started, by block number, for {@link SockRun.stopBlock}, and
   * the block its sessions run now ({@link SockRun.reload} may give it a newer one).
   */
  private readonly blockListeners = new Map<number, { id: string; close(): Promise<void>; name?: string; block: Block }>();
  private readonly listenerInfo = new Map<string, ListenerInfo>();
  /** Connections opened with `connect … as NAME keep`, by name. */
  private readonly kept = new Map<string, Channel>();
  /** The connections steps use now (clients, accepted connections, UDP sessions), by bus id, for {@link SockRun.closeSocket}. */
  private readonly open = new Map<string, Channel>();
  private readonly sessions = new Set<Promise<void>>();
  /** The loop of the listeners' responder rules (§7.9), and their hits. */
  private readonly responder = new Responder<StepState>({
    executor: () => this.executor,
    signal: () => this.internal.signal,
    stopping: () => this.tally.stopping,
    runSteps: (block, steps, channel, ctx, initialError, state) => this.loop.runSteps(block, steps, channel, ctx, initialError, state),
    newState: () => newStepState(),
    emit: (e) => this.emit(e),
    test: (matcher, state, block, base, t0) => this.loop.test(matcher, state, block, base, t0),
    mark: (state, mark, span, label) => this.loop.mark(state, mark, span, label),
    assign: (name, value) => this.scope.assign(name, value),
    countError: () => void this.tally.errors++,
    liveBlock: (block) => this.liveBlock(block),
    upstream: (block, step, signal) => this.upstream(block, step, signal),
  });
  private readonly started = Date.now();
  private readonly unsubscribe: () => void;
  /** What `await` steps wait for: the connections, datagrams and bytes each socket of the run has seen. */
  private readonly awaitCounts = new AwaitCounts();
  private readonly scope: Scope;
  private readonly payloads: PayloadBuilder;
  private readonly executor: StepExecutor;
  /** The run's variables and what reads them: every block's but a load session's that writes variables. */
  private readonly tools: Tools;
  /** What the run counted, and how it is ending; {@link SockRun.stop} sets `closingKept` as it closes the kept connections. */
  private readonly tally: RunTally = { passed: 0, failed: 0, errors: 0, stopping: false, closingKept: false, interrupted: false };
  /** Runs the steps of blocks and sessions. */
  private readonly loop: StepLoop;
  private internalError: Error | undefined;
  private running: Promise<void> | undefined;
  private stopped: Promise<SummaryEvent> | undefined;

  constructor(
    private file: SockFile,
    private readonly options: RunOptions,
  ) {
    this.bus = options.bus ?? new TrafficBus();
    this.timeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.unsubscribe = this.bus.subscribe((event) => {
      this.awaitCounts.observe(event);
      options.onEvent({ type: 'traffic', event });
    });
    this.scope = new Scope(file, (name) => this.listenerInfo.get(name), options.allowEnv !== false, options.variables);
    this.payloads = new PayloadBuilder(this.scope, options.baseDir);
    this.executor = new StepExecutor(this.scope, this.payloads, this.timeoutMs, { counts: this.awaitCounts, target: (name) => this.awaitTarget(name) });
    this.tools = { scope: this.scope, payloads: this.payloads, executor: this.executor };
    this.loop = new StepLoop({
      tally: this.tally,
      tools: this.tools,
      signal: this.internal.signal,
      bus: this.bus,
      everyRound: options.everyRound === true,
      outputReady: options.outputReady,
      cancelled: () => this.cancelled,
      emit: (e) => this.emit(e),
      stepContext: (block, channel, state, signal) => this.stepContext(block, channel, state, signal),
    });
    options.signal?.addEventListener('abort', () => this.internal.abort(), { once: true });
  }

  /** 0 when every expectation held, 1 when one failed, 2 after an error (parse, network, …). */
  get exitCode(): 0 | 1 | 2 {
    return this.tally.errors > 0 ? 2 : this.tally.failed > 0 ? 1 : 0;
  }

  /**
   * Runs the selected blocks in order. Listener blocks leave their listeners running; call
   * {@link SockRun.stop} to close them. Never rejects for network or input errors: they are
   * reported as events and counted.
   */
  run(): Promise<void> {
    this.running ??= (async () => {
      const selected = this.options.blocks;
      for (const block of this.file.blocks) {
        if (selected && !selected.includes(block.index)) continue;
        if (this.internal.signal.aborted) {
          if (this.cancelled) this.tally.interrupted = true;
          break;
        }
        if (!(await this.guard(block, this.runBlock(block)))) break;
      }
    })();
    return this.running;
  }

  /** True when the caller's signal (Ctrl-C, SIGTERM, SIGHUP) ended the run, not {@link SockRun.stop}. */
  private get cancelled(): boolean {
    return this.options.signal?.aborted === true;
  }

  /**
   * Awaits work of `block` that is not meant to throw: every step's own errors are reported and
   * counted where they happen. Anything that still escapes is a defect of Socket Lab (a stack
   * overflow, a failed assertion): it is reported as an `EINTERNAL` error of the block, counted,
   * and the run closes every listener and connection at once, so nothing is left listening
   * behind an error. Resolves false in that case.
   */
  private async guard(block: Block, work: Promise<unknown>, ctx: SessionContext = {}): Promise<boolean> {
    try {
      await work;
      return true;
    } catch (err) {
      if (this.internalError) return false;
      this.internalError = err instanceof Error ? err : new Error(String(err));
      this.tally.errors++;
      this.emit({ type: 'step', block: block.index, line: block.range.start.line, column: 0, source: block.title || `block ${block.index}`, verb: 'internal', status: 'error', code: 'EINTERNAL', detail: `internal error: ${this.internalError.message}; every listener and connection of this run was closed`, ms: 0, ...ctx });
      this.tally.stopping = true;
      this.internal.abort();
      await this.closeAll();
      return false;
    }
  }

  /** The defect that ended the run early (reported as `EINTERNAL`), if any. */
  get failedInternally(): Error | undefined {
    return this.internalError;
  }

  /** Closes every listener and connection of the run: listeners (and their accepted connections), kept and open connections. */
  private closeAll(): Promise<unknown> {
    return Promise.allSettled([...this.listeners.map((l) => l.close()), ...[...this.kept.values(), ...this.open.values()].map((c) => c.close())]);
  }

  /**
   * Runs some blocks now, in order, in this run (so they see the listeners it started before),
   * with the file as it is now: the editor's CodeLens "Run"/"Start" use this as the text changes.
   * A listener block whose listener is already running is skipped. Aborting `signal` cancels
   * these blocks only: their waiting steps end with `ECANCELED` and the rest do not start, while
   * the listeners the run started (and their connections) keep running.
   */
  runBlocks(indices: readonly number[], file: SockFile = this.file, signal?: AbortSignal): Promise<void> {
    const cancel = signal ? AbortSignal.any([this.internal.signal, signal]) : this.internal.signal;
    this.file = file;
    this.scope.setFile(file);
    // Tracked like run(), so stop() lets these blocks finish reporting before its summary.
    this.running = (async () => {
      for (const block of file.blocks) {
        if (!indices.includes(block.index) || this.isListening(block.index)) continue;
        if (cancel.aborted) break;
        if (!(await this.guard(block, this.runBlock(block, cancel)))) break;
      }
    })();
    return this.running;
  }

  /** True while the listener of listener block `index` is running. */
  isListening(index: number): boolean {
    return this.blockListeners.has(index);
  }

  /** How many listener blocks are running. */
  get listeningCount(): number {
    return this.blockListeners.size;
  }

  /** The bus id `await NAME` waits on: the running listener of a block `listen … as NAME`, or the kept connection NAME. */
  private awaitTarget(name: string): string | undefined {
    for (const l of this.blockListeners.values()) if (l.name === name) return l.id;
    return this.kept.get(name)?.id;
  }

  /** Stops the listener of listener block `index` (and its connections); later blocks no longer see its name. */
  async stopBlock(index: number): Promise<void> {
    const l = this.blockListeners.get(index);
    if (!l) return;
    this.blockListeners.delete(index);
    if (l.name) this.listenerInfo.delete(l.name);
    await l.close();
  }

  /**
   * Closes one socket of this run by its bus id (the tree's ✕): a block's listener stops as its
   * Stop does (a Unix listener removes its socket file); a connection closes, and a step waiting
   * on it ends with an error.
   * @returns false when the id is not one of this run's sockets
   */
  async closeSocket(id: string): Promise<boolean> {
    for (const [index, l] of this.blockListeners) {
      if (l.id !== id) continue;
      await this.stopBlock(index);
      return true;
    }
    const channel = this.open.get(id) ?? [...this.kept.values()].find((c) => c.id === id);
    if (!channel) return false;
    this.open.delete(id);
    for (const [name, c] of this.kept) if (c === channel) this.kept.delete(name);
    await channel.close();
    return true;
  }

  /** True when the run was stopped or cancelled before every selected block had run. */
  get wasInterrupted(): boolean {
    return this.tally.interrupted;
  }

  /**
   * Ends the run: waits up to `graceMs` for listener steps still running, then closes every
   * listener and connection (steps cut short then are reported, not counted), and reports the
   * summary. Safe to call twice.
   */
  stop(graceMs = 2000): Promise<SummaryEvent> {
    this.stopped ??= this.stopNow(graceMs);
    return this.stopped;
  }

  private async stopNow(graceMs: number): Promise<SummaryEvent> {
    // No block will use a kept connection now: closing it first lets a listener of this run that
    // serves it see the close and finish its session within the grace time. A session that still
    // wanted bytes from it is cut by the run's end, as it would be after the grace.
    this.tally.closingKept = this.kept.size > 0;
    const keptClosed = Promise.allSettled([...this.kept.values()].map((c) => c.close()));
    // What the blocks sent this run's listeners has reached their sockets (loopback hands it over
    // at once) but may not have been read yet: one turn of the event loop starts its sessions, so
    // the grace below waits for them too, and the last datagram of a client is not lost.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.sessions.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.sessions]),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.tally.stopping = true;
    this.internal.abort();
    // Let the blocks still running see the abort and finish reporting before the summary.
    if (this.running) await this.running;
    await Promise.all([keptClosed, this.closeAll()]);
    await Promise.allSettled([...this.sessions]);
    const summary: SummaryEvent = { type: 'summary', passed: this.tally.passed, failed: this.tally.failed, errors: this.tally.errors, ms: Date.now() - this.started };
    this.options.onEvent(summary);
    this.unsubscribe();
    this.awaitCounts.release();
    return summary;
  }

  private emit(event: RunEvent): void {
    this.options.onEvent(event);
  }

  private async runBlock(block: Block, signal: AbortSignal = this.internal.signal): Promise<void> {
    const t0 = performance.now();
    this.emit({ type: 'block', block: block.index, title: block.title, line: block.range.start.line });
    let outcome: Outcome | 'listening';
    const header = block.header;
    if (!header) outcome = await this.loop.runSteps(block, block.steps, undefined, {}, undefined, newStepState({ signal }));
    else if (header.kind === 'listen') outcome = await this.startListener(block, header);
    else outcome = await this.runClient(block, header, signal);
    // A block that checks nothing passes by running cleanly; a listener's sessions count only their expects.
    const unchecked = header?.kind !== 'listen' && !hasExpect(block.steps);
    if (unchecked && outcome === 'pass') this.tally.passed++;
    this.emit({ type: 'block-end', block: block.index, status: outcome, ms: elapsed(t0), ...(unchecked ? { unchecked } : {}) });
  }

  private endpoint(header: Header): Endpoint {
    const target = this.expand(header.target);
    if (header.transport === 'unix') return { transport: 'unix', path: unixSocketPath(target, this.options.baseDir) };
    const { host, port } = header.kind === 'listen' ? parseListenerHostPort(target, DEFAULT_BIND_HOST) : parseHostPort(target);
    return { transport: header.transport, host, port };
  }

  /**
   * Where a `forward` relays to, read as a connect's target is (a Unix path against the file's
   * folder), and the relay's options: the connect's timeout, a TLS upstream verified by its host.
   * @throws SocketLabError `EBADADDR` for a target that is no address, `EVARIABLE`
   */
  private async upstream(block: Block, step: Extract<Step, { kind: 'forward' }>, signal: AbortSignal): Promise<{ endpoint: Endpoint; options: RelayOptions; rewritten: () => string }> {
    const target = this.expand(step.target);
    const endpoint: Endpoint = step.transport === 'unix' ? { transport: 'unix', path: unixSocketPath(target, this.options.baseDir) } : { transport: step.transport, ...parseHostPort(target) };
    const timeoutMs = step.timeoutMs === undefined ? this.timeoutMs : this.scope.duration(step.timeoutMs, 'forward … timeout');
    // The rewrites, their payloads built once for the connection, applied in order to each chunk.
    const counts = { up: 0, down: 0 };
    const ways: Record<'up' | 'down', ((chunk: Buffer) => { bytes: Buffer; count: number })[]> = { up: [], down: [] };
    for (const r of block.policy.rewrites ?? []) {
      const replacement = await this.payloads.bytes(r.replacement, block.eol);
      if (r.match.kind === 'regex') {
        const pattern = BytePattern.of(r.match.source, r.match.flags);
        ways[r.direction].push((chunk) => replaceAll(pattern, chunk, replacement));
      } else {
        const needle = await this.payloads.bytes(r.match.payload, block.eol);
        ways[r.direction].push((chunk) => replaceBytes(chunk, needle, replacement));
      }
    }
    const rewrite = (way: 'up' | 'down') =>
      ways[way].length === 0
        ? undefined
        : (chunk: Buffer): Buffer => {
            let out = chunk;
            for (const f of ways[way]) {
              const r = f(out);
              counts[way] += r.count;
              out = r.bytes;
            }
            return out;
          };
    const up = rewrite('up');
    const down = rewrite('down');
    const rewritten = (): string => (['up', 'down'] as const).filter((w) => ways[w].length > 0).map((w) => `; ${counts[w]} rewrite${counts[w] === 1 ? '' : 's'} ${w}`).join('');
    const options: RelayOptions = { bus: this.bus, timeoutMs, signal, ...(step.transport === 'tls' ? { tls: { insecure: step.insecure === true } } : {}), ...(up || down ? { rewrite: { ...(up ? { up } : {}), ...(down ? { down } : {}) } } : {}) };
    return { endpoint, options, rewritten };
  }

  /** Reports the header as a step: ok, or an error (expected when `expect error` follows). */
  private headerEvent(block: Block, header: Header, t0: number, ctx: SessionContext, result: { detail: string } | { error: SocketLabError }): boolean {
    const base = { type: 'step' as const, block: block.index, line: header.range.start.line, column: header.range.start.column, source: header.source, verb: header.kind, ms: elapsed(t0), ...ctx };
    if ('detail' in result) {
      this.emit({ ...base, status: 'ok', detail: result.detail });
      return true;
    }
    const expected = block.steps[0]?.kind === 'expect' && block.steps[0].matcher.kind === 'error';
    this.emit({ ...base, status: 'error', detail: result.error.message, code: result.error.code, ...(expected ? { expected } : {}) });
    if (!expected) this.tally.errors++;
    return expected;
  }

  private async runClient(block: Block, header: Header, signal: AbortSignal): Promise<Outcome> {
    const t0 = performance.now();
    let channel: Channel | undefined;
    let what = header.source;
    let connectMs: number | undefined;
    if (header.kind === 'use') {
      channel = this.kept.get(header.name ?? '');
      if (!channel) {
        const error = createError('EVARIABLE', `no connection named "${header.name}" is open: run the block that connects it first`);
        if (!this.headerEvent(block, header, t0, {}, { error })) return 'error';
        return this.loop.runSteps(block, block.steps, undefined, {}, error, newStepState({ lastError: error, connectError: error, signal }));
      }
      this.headerEvent(block, header, t0, { connection: channel.id }, { detail: `on ${channel.id}` });
      return this.loop.runSteps(block, block.steps, channel, { connection: channel.id }, undefined, newStepState({ signal }));
    }
    if (block.load && header.kind === 'connect') {
      const outcome = await runLoadBlock(this.loadHost, block, header, block.load, signal);
      if (signal.aborted && this.cancelled) this.tally.interrupted = true;
      return outcome;
    }
    try {
      const ep = this.endpoint(header);
      what = `connect ${header.transport} ${ep.transport === 'unix' ? ep.path : formatHostPort(ep.host, ep.port)}`;
      const client = await connectBlockClient(block, ep, { bus: this.bus, timeoutMs: header.timeoutMs === undefined ? this.timeoutMs : this.scope.duration(header.timeoutMs, 'connect … timeout'), signal, expand: (t) => this.expand(t), baseDir: this.options.baseDir });
      channel = client.channel;
      this.headerEvent(block, header, t0, { connection: channel.id }, { detail: client.detail });
      connectMs = elapsed(t0);
    } catch (err) {
      const error = fromNodeError(err, what);
      if (!this.headerEvent(block, header, t0, {}, { error })) return 'error';
      return this.loop.runSteps(block, block.steps, undefined, {}, error, newStepState({ lastError: error, connectError: error, signal }));
    }
    if (header.keep && header.name) {
      // Kept for later `use NAME` blocks; closed when the run stops.
      this.kept.set(header.name, channel);
      return this.loop.runSteps(block, block.steps, channel, { connection: channel.id }, undefined, newStepState({ signal, lastMs: connectMs }));
    }
    this.open.set(channel.id, channel);
    try {
      return await this.loop.runSteps(block, block.steps, channel, { connection: channel.id }, undefined, newStepState({ signal, lastMs: connectMs }));
    } finally {
      this.open.delete(channel.id);
      await channel.close();
    }
  }

  private async startListener(block: Block, header: Header): Promise<Outcome | 'listening'> {
    const t0 = performance.now();
    const label = header.name ?? `block ${block.index}`;
    try {
      const ep = this.endpoint(header);
      const listener = await openBlockListener(block, ep, {
        bus: this.bus,
        expand: (t) => this.expand(t),
        baseDir: this.options.baseDir,
        onSession: (channel, session) => this.track(this.runSession(this.blockListeners.get(block.index)?.block ?? block, channel, { session, listener: label })),
      });
      this.listeners.push(listener);
      this.blockListeners.set(block.index, { id: listener.id, close: () => listener.close(), block, ...(header.name ? { name: header.name } : {}) });
      const { id, info } = listener;
      if (header.name) this.listenerInfo.set(header.name, info);
      // A host from variables is checked here, by the bound address; a literal one was checked by the parser.
      const fromVariables = header.target.parts.some((part) => !('text' in part));
      const wildcard = fromVariables && info.host !== undefined && isWildcardAddress(info.host) ? `; warning: listening on ${info.host} accepts connections from other machines; 127.0.0.1 keeps the listener on this one` : '';
      this.headerEvent(block, header, t0, {}, { detail: `listening on ${info.address} (${id})${listener.note}${wildcard}` });
      this.emit({ type: 'listening', block: block.index, ...(header.name ? { name: header.name } : {}), transport: header.transport, local: info.address, id });
      return 'listening';
    } catch (err) {
      const error = fromNodeError(err, header.source);
      if (!this.headerEvent(block, header, t0, {}, { error })) return 'error';
      return this.loop.runSteps(block, block.steps.slice(0, 1), undefined, {}, error);
    }
  }

  /** Keeps a listener session until it ends, so stop() can wait for it; returns it. */
  private track(session: Promise<void>): Promise<void> {
    this.sessions.add(session);
    void session.finally(() => this.sessions.delete(session));
    return session;
  }

  private async runSession(block: Block, channel: Channel, ctx: SessionContext): Promise<void> {
    this.open.set(channel.id, channel);
    try {
      const first = block.steps.findIndex((s) => s.kind === 'on');
      const forward = block.steps.findIndex((s) => s.kind === 'forward');
      if (first < 0) await this.guard(block, this.loop.runSteps(block, block.steps, channel, ctx), ctx);
      // A relay with rules: they answer what they take, the rest goes upstream.
      else if (forward >= 0 && forward < first) await this.guard(block, this.responder.respond(block, block.steps.slice(0, forward), block.steps.slice(first) as OnRule[], channel, ctx, block.steps[forward] as ForwardStep), ctx);
      else await this.guard(block, this.responder.respond(block, block.steps.slice(0, first), block.steps.slice(first) as OnRule[], channel, ctx), ctx);
    } finally {
      this.open.delete(channel.id);
      await channel.close();
    }
  }

  /** The block a running listener's sessions run now: `block`, or what {@link SockRun.reload} gave its listener since. */
  liveBlock(block: Block): Block {
    const byIndex = this.blockListeners.get(block.index);
    if (byIndex && byIndex.block.header?.source === block.header?.source) return byIndex.block;
    for (const l of this.blockListeners.values()) if (l.block === block || l.block.header?.source === block.header?.source) return l.block;
    return block;
  }

  /**
   * The rules of the listener with bus id `listenerId` and how often each answered since the run
   * began (a rule reloaded with the same line keeps its count); undefined for a listener of
   * another run, or one without rules.
   */
  rulesOf(listenerId: string): { readonly source: string; readonly line: number; readonly hits: number }[] | undefined {
    for (const l of this.blockListeners.values()) {
      if (l.id !== listenerId) continue;
      const rules = rulesOf(l.block);
      return rules?.map((r) => ({ source: r.source, line: r.range.start.line, hits: this.responder.hits.get(ruleKey(l.block.index, r)) ?? 0 }));
    }
    return undefined;
  }

  /**
   * Gives each running listener the block of `file` with the same `listen` line (by block number
   * first), so its new connections run the new steps and rules, and its open connections answer
   * their next message with the new rules; nothing is closed. A listener whose line changed keeps
   * its block: it must be restarted.
   * @returns for each running listener, its name (or block number) and what happened
   */
  reload(file: SockFile): { readonly listener: string; readonly rules: number; readonly reloaded: boolean }[] {
    const out: { listener: string; rules: number; reloaded: boolean }[] = [];
    for (const [index, l] of this.blockListeners) {
      const source = l.block.header?.source;
      const same = (b: Block): boolean => b.header?.kind === 'listen' && b.header.source === source;
      const next = file.blocks.find((b) => b.index === index && same(b)) ?? file.blocks.find(same);
      const label = l.name ?? `block ${index}`;
      if (!next) {
        out.push({ listener: label, rules: rulesOf(l.block)?.length ?? 0, reloaded: false });
        continue;
      }
      l.block = next;
      out.push({ listener: label, rules: rulesOf(next)?.length ?? 0, reloaded: true });
    }
    return out;
  }

  /** What a load block's sessions need of this run (§8.15). */
  private readonly loadHost: LoadHost = {
    emit: (e) => this.emit(e),
    bus: () => this.bus,
    describe: (header) => {
      const ep = this.endpoint(header);
      return `connect ${header.transport} ${ep.transport === 'unix' ? ep.path : formatHostPort(ep.host, ep.port)}`;
    },
    connect: (block, header, bus, signal) => connectBlockClient(block, this.endpoint(header), { bus, timeoutMs: header.timeoutMs === undefined ? this.timeoutMs : this.scope.duration(header.timeoutMs, 'connect … timeout'), signal, expand: (t) => this.expand(t), baseDir: this.options.baseDir }),
    runSession: async (block, steps, channel, load, connectMs, signal) => {
      const state = newStepState({ signal, lastMs: connectMs, load, folded: !load.first, tools: assigns(steps) ? this.sessionTools() : undefined });
      const outcome = await this.loop.runSteps(block, steps, channel, { connection: channel.id }, undefined, state);
      return { outcome, bytesOut: state.bytesOut, bytesIn: state.bytesIn };
    },
    track: (channel) => {
      this.open.set(channel.id, channel);
      return () => void this.open.delete(channel.id);
    },
    duration: (v, what) => this.scope.duration(v, what),
    count: (what) => void this.tally[what]++,
  };

  /**
   * Variables of a load session's own (§8.15): the run's so far, and what its `capture` and
   * `set` steps write, seen by no other session and not after the load.
   */
  private sessionTools(): Tools {
    const scope = this.scope.fork();
    const payloads = new PayloadBuilder(scope, this.options.baseDir);
    return { scope, payloads, executor: new StepExecutor(scope, payloads, this.timeoutMs, { counts: this.awaitCounts, target: (name) => this.awaitTarget(name) }) };
  }

  /** Where a block's steps run ({@link StepContext}): made once per block or session, and shared by the rounds of its repeats. */
  private stepContext(block: Block, channel: Channel | undefined, state: StepState, signal: AbortSignal): StepContext {
    const header = block.header;
    // STARTTLS needs the host the certificate must name and the block's TLS lines: a connect tcp block's.
    const tlsTarget = header?.kind === 'connect' && header.transport === 'tcp'
      ? async (): Promise<{ host: string; tls: TlsClientOptions }> => {
          const ep = this.endpoint(header);
          return { host: ep.transport === 'unix' ? '' : ep.host, tls: await tlsClientOptions(block.tls, (t) => this.expand(t), this.options.baseDir) };
        }
      : undefined;
    const upstream = header?.kind === 'listen' ? (step: Extract<Step, { kind: 'forward' }>, stepSignal: AbortSignal) => this.upstream(block, step, stepSignal) : undefined;
    const faults = channel ? (state.faults ??= new Map()) : undefined;
    return { channel, connectError: state.connectError, eol: block.eol, signal, ...(faults ? { faults } : {}), ...(tlsTarget ? { tlsTarget } : {}), ...(upstream ? { upstream } : {}) };
  }

  private expand(t: Template): string {
    return this.scope.expand(t);
  }
}
