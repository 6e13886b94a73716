/**
 * A client block with a `load` line, run as its virtual clients (spec §8.15): the plan checked
 * against the machine, the sessions started on their schedule ({@link runLoad}), their traffic
 * sampled, the figures reported every {@link LOAD_PROGRESS_MS} and on the load line when it
 * ends, and the block's load expectations checked. The run lends what a session needs through a
 * {@link LoadHost}.
 */
import { fromNodeError } from '../../net/errors';
import type { TrafficBus } from '../../net/traffic';
import type { Amount, Block, Header, LoadPlan, Step } from '../ast';
import type { Channel } from '../channel';
import { LOAD_PROGRESS_MS, type RunEvent, type StepEvent } from '../runEvents';
import type { BlockClient } from './blockClient';
import { compare, type Verdict } from './expectations';
import { elapsed, type Outcome } from './stepState';
import { checkLoadLimits, describeLoad, formatMs, loadChecks, LOAD_SHOWN_FAILURES, loadSessionCaptured, LoadStats, runLoad, sessionSteps, type LoadSession } from './load';

/** What a load needs of its run. */
export interface LoadHost {
  emit(event: RunEvent): void;
  /** The run's bus: the sampled sessions' sockets report to it, the others to a quiet one sharing its ids. */
  bus(): TrafficBus;
  /** What the header connects to, for an error: `connect tcp 127.0.0.1:7`; throws for a target that does not parse. */
  describe(header: Header): string;
  /** Opens one session's connection as the block's header and settings say. */
  connect(block: Block, header: Header, bus: TrafficBus, signal: AbortSignal): Promise<BlockClient>;
  /** Runs `steps` (the block's, as {@link sessionSteps} gives them) for one session: its own variables when they write any, its events folded but for the first session. */
  runSession(block: Block, steps: readonly Step[], channel: Channel, load: LoadSession, connectMs: number, signal: AbortSignal): Promise<{ outcome: Outcome; bytesOut: number; bytesIn: number }>;
  /** Lists a session's connection among the run's open ones until the returned function is called. */
  track(channel: Channel): () => void;
  /** A duration written or from a variable, as the run reads it. */
  duration(v: Amount, what: string): number;
  /** Counts an outcome in the run's summary. */
  count(what: 'passed' | 'failed' | 'errors'): void;
}

/**
 * Runs `block` as its load's virtual clients, then reports the load's statistics on the load
 * line and checks the block's load expectations; without any, a session that failed or erred
 * fails the load. A plan the machine cannot hold is an error of the load line, before any
 * connection.
 */
export async function runLoadBlock(host: LoadHost, block: Block, header: Header, plan: LoadPlan, signal: AbortSignal): Promise<Outcome> {
  const t0 = performance.now();
  const stats = new LoadStats();
  const at = { type: 'step' as const, block: block.index, line: plan.range.start.line, column: plan.range.start.column, source: plan.source, verb: 'load' as const };
  try {
    stats.notes.push(...(await checkLoadLimits(plan, header.transport)));
  } catch (err) {
    const error = fromNodeError(err, plan.source);
    host.emit({ ...at, status: 'error', detail: error.message, code: error.code, ms: elapsed(t0) });
    host.count('errors');
    return 'error';
  }
  let sessions = 0;
  const steps = sessionSteps(block);
  const bus = host.bus();
  const quiet = bus.quiet();
  const progress = setInterval(() => {
    const w = stats.window();
    host.emit({ type: 'load-progress', block: block.index, line: plan.range.start.line, ms: elapsed(t0), sessions: stats.passed + stats.errors, errors: stats.errors, running: stats.running, ...w });
  }, LOAD_PROGRESS_MS);
  try {
    await runLoad(plan, stats, signal, async (_client, sessionSignal) => {
      const n = sessions++;
      const captured = loadSessionCaptured(n);
      if (captured) stats.captured++;
      stats.running++;
      try {
        await loadSession(host, block, steps, header, stats, n === 0, sessionSignal, captured ? bus : quiet);
      } finally {
        stats.running--;
      }
    });
  } finally {
    clearInterval(progress);
  }
  const report = stats.report();
  const checks = loadChecks(block);
  const errors = stats.errors;
  if (checks.length === 0 && errors > 0) {
    host.emit({ ...at, status: 'fail', detail: `${describeLoad(report)}; ${errors} of ${report.sessions} sessions failed or erred (expect errors < N allows some)`, ms: elapsed(t0), load: report });
    host.count('failed');
    return 'fail';
  }
  host.emit({ ...at, status: 'ok', detail: describeLoad(report), ms: elapsed(t0), load: report });
  let outcome: Outcome = 'pass';
  for (const step of checks) {
    const m = step.matcher;
    const base: Omit<StepEvent, 'status' | 'ms'> = { type: 'step', block: block.index, line: step.range.start.line, column: step.range.start.column, source: step.source, verb: 'expect' };
    let verdict: Verdict;
    if (m.kind === 'errors') {
      const pass = compare(errors, m.op, m.count);
      verdict = { pass, detail: `${errors} of ${report.sessions} sessions failed or erred`, ...(pass ? {} : { compared: { expected: `${m.op} ${m.count}`, actual: String(errors) } }) };
    } else if (m.kind === 'latency') {
      let limit: number;
      try {
        limit = host.duration(m.ms, `expect ${m.stat}`);
      } catch (err) {
        const error = fromNodeError(err, step.source);
        host.emit({ ...base, status: 'error', detail: error.message, code: error.code, ms: 0 });
        host.count('errors');
        outcome = 'error';
        continue;
      }
      const value = stats.stat(m.metric, m.stat);
      const pass = value !== undefined && compare(value, m.op, limit);
      verdict = value === undefined ? { pass, detail: `no ${m.metric} was measured` } : { pass, detail: `${m.metric} ${m.stat} ${formatMs(value)}`, ...(pass ? {} : { compared: { expected: `${m.op} ${limit} ms`, actual: formatMs(value) } }) };
    } else continue;
    host.emit({ ...base, status: verdict.pass ? 'pass' : 'fail', detail: verdict.detail, ...(verdict.compared ? { compared: verdict.compared } : {}), ms: 0 });
    host.count(verdict.pass ? 'passed' : 'failed');
    if (!verdict.pass && outcome === 'pass') outcome = 'fail';
  }
  return outcome;
}

/** One virtual client's session of a load: connect, the block's steps, close; its timings and outcome go to `stats`. */
async function loadSession(host: LoadHost, block: Block, steps: readonly Step[], header: Header, stats: LoadStats, first: boolean, signal: AbortSignal, bus: TrafficBus): Promise<void> {
  const t0 = performance.now();
  const reportError = (code: string, detail: string): void => {
    if (stats.shown++ < LOAD_SHOWN_FAILURES) host.emit({ type: 'step', block: block.index, line: header.range.start.line, column: header.range.start.column, source: header.source, verb: header.kind, status: 'error', detail, code, ms: elapsed(t0) });
  };
  let what = header.source;
  let channel: Channel;
  try {
    what = host.describe(header);
    const client = await host.connect(block, header, bus, signal);
    channel = client.channel;
    stats.record(header.transport === 'tls' ? 'tls' : 'connect', performance.now() - t0);
    if (first) host.emit({ type: 'step', block: block.index, line: header.range.start.line, column: header.range.start.column, source: header.source, verb: header.kind, status: 'ok', detail: client.detail, ms: elapsed(t0), connection: channel.id });
  } catch (err) {
    const error = fromNodeError(err, what);
    if (signal.aborted && error.code === 'ECANCELED') stats.cut++;
    else {
      stats.sessionEnded(error.code);
      reportError(error.code, error.message);
    }
    return;
  }
  const load: LoadSession = { stats, first, connectedAt: performance.now(), gotFirst: false };
  const untrack = host.track(channel);
  try {
    const r = await host.runSession(block, steps, channel, load, elapsed(t0), signal);
    stats.bytesOut += r.bytesOut;
    stats.bytesIn += r.bytesIn;
    if (load.cut) stats.cut++;
    else {
      stats.sessionEnded(r.outcome === 'pass' ? undefined : (load.code ?? 'EXPECT'));
      stats.record('session', performance.now() - t0);
    }
  } finally {
    untrack();
    await channel.close();
  }
}
