/**
 * Load generation (spec §8.15): a client block run as many virtual clients, closed loop (each
 * client starts its next session when its last ends) or open loop (`rate`: sessions start on a
 * schedule whatever the replies), and the statistics of all their sessions: latency per metric
 * in HdrHistograms, throughput, and errors by code.
 */
import type { Block, LoadMetric, LoadPlan, LoadStat, Step } from '../ast';
import { LOAD_METRICS } from '../lang/verbs';
import { sleep } from '../../net/wait';
import { SocketLabError } from '../../net/errors';
import { ephemeralPorts, fdLimits, raiseFdLimit, TIME_WAIT_MS } from '../../net/limits';
import { Latency, type LatencySummary } from './latency';

/** Failures and errors of a load's sessions that are reported one by one; the rest are counted. */
export const LOAD_SHOWN_FAILURES = 10;

/**
 * The load expectations of a block with a `load` line (`expect p99 …`, `expect errors …`): checked
 * once when its load ends, and cases of their own in reports (§8.15).
 */
export function loadChecks(block: Block): Extract<Step, { kind: 'expect' }>[] {
  return block.load ? block.steps.filter((s): s is Extract<Step, { kind: 'expect' }> => isLoadCheck(s)) : [];
}

/** The steps each session of a load runs: the block's but its load expectations, which are checked once, when the load ends. */
export function sessionSteps(block: Block): readonly Step[] {
  return block.steps.filter((s) => !isLoadCheck(s));
}

/** True for a load expectation: an `expect` of a load statistic or of its errors. */
export function isLoadCheck(step: Step): boolean {
  return step.kind === 'expect' && (step.matcher.kind === 'latency' || step.matcher.kind === 'errors');
}

/** A load's first sessions whose traffic the run's bus receives (the capture, the views, `--json`)… */
export const LOAD_CAPTURED_FIRST = 10;
/** …and after them, one session in this many: a long load's capture stays bounded, and says so. */
export const LOAD_CAPTURE_EVERY = 100;

/** True when session `n` (0-based, in start order) of a load is captured. */
export function loadSessionCaptured(n: number): boolean {
  return n < LOAD_CAPTURED_FIRST || n % LOAD_CAPTURE_EVERY === 0;
}

/** What a load did, reported with the block's `load` step and in `--json` (every figure). */
export interface LoadReport {
  /** Sessions that ran to their end: passed, failed (an `expect` did not hold) or erred. */
  readonly sessions: number;
  readonly passed: number;
  readonly failed: number;
  /** Sessions that met an error, by code (`ECONNREFUSED`, `ETIMEDOUT` …); a failed expect counts as `EXPECT`. */
  readonly errors: Readonly<Record<string, number>>;
  /** Sessions cut when the load's time ran out or the run was cancelled: not counted as errors. */
  readonly cut: number;
  /** Open loop only: starts skipped because every client was busy (as k6's dropped iterations). */
  readonly dropped: number;
  /** Sessions whose traffic was captured (see {@link loadSessionCaptured}); the others' is not recorded. */
  readonly captured: number;
  /** From the first start to the last session's end, ms. */
  readonly ms: number;
  /** Sessions ended per second. */
  readonly sessionsPerSecond: number;
  /** Round trips (a send to the end of the recv after it) per second. */
  readonly roundTripsPerSecond: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** Latency of each metric that was measured at least once; ms. */
  readonly latency: Partial<Record<LoadMetric, LatencySummary>>;
  /** What the load changed or met on this machine, e.g. `raised the open-file limit from 1024 to 5064`. */
  readonly notes: readonly string[];
}

/** The percentile each statistic `expect` names reads, but the mean. */
const PERCENTILE: Record<Exclude<LoadStat, 'mean'>, number> = { min: 0, median: 50, p90: 90, p99: 99, max: 100 };

/** One virtual client's session of a load, as its steps run. */
export interface LoadSession {
  readonly stats: LoadStats;
  /** The first session reports its steps as a plain block does; the others only their first failures. */
  readonly first: boolean;
  /** When the session's connect ended (`performance.now()` ms), for the first byte. */
  readonly connectedAt: number;
  /** When the send that awaits its reply started, for the round trip. */
  sentAt?: number;
  gotFirst: boolean;
  /** The code of the error that ended the session, `EXPECT` for a failed expectation. */
  code?: string;
  /** True when the load's time ran out (or the run was cancelled) while the session ran. */
  cut?: boolean;
}

/** The statistics of one load, which its sessions record into. */
export class LoadStats {
  private readonly latency = new Map<LoadMetric, Latency>();
  /** The round trips (or sessions, for a load without any) since the last {@link LoadStats.window}. */
  private readonly windowRoundTrips = new Latency(true);
  private readonly windowSessions = new Latency(true);
  private windowStart = performance.now();
  private windowEnded = 0;
  /** Sessions running now. */
  running = 0;
  private readonly errorCounts = new Map<string, number>();
  passed = 0;
  failed = 0;
  cut = 0;
  dropped = 0;
  captured = 0;
  bytesOut = 0;
  bytesIn = 0;
  /** Failures and errors of later sessions reported so far (see {@link LOAD_SHOWN_FAILURES}). */
  shown = 0;
  readonly notes: string[] = [];
  private readonly t0 = performance.now();
  private end = this.t0;

  record(metric: LoadMetric, ms: number): void {
    if (metric === 'round-trip') this.windowRoundTrips.record(ms);
    else if (metric === 'session') this.windowSessions.record(ms);
    let h = this.latency.get(metric);
    if (!h) {
      h = new Latency();
      this.latency.set(metric, h);
    }
    h.record(ms);
  }

  /** One session ended: `code` is its error's, `EXPECT` for a failed expectation, undefined when it passed. */
  sessionEnded(code: string | undefined): void {
    this.end = performance.now();
    this.windowEnded++;
    if (code === undefined) this.passed++;
    else {
      if (code === 'EXPECT') this.failed++;
      this.errorCounts.set(code, (this.errorCounts.get(code) ?? 0) + 1);
    }
  }

  /** Sessions that failed or erred. */
  get errors(): number {
    let n = 0;
    for (const c of this.errorCounts.values()) n += c;
    return n;
  }

  /** A statistic in ms; undefined when the metric was never measured. */
  stat(metric: LoadMetric, stat: LoadStat): number | undefined {
    const h = this.latency.get(metric);
    if (!h || h.count === 0) return undefined;
    return stat === 'mean' ? h.meanMs : h.at(PERCENTILE[stat]);
  }

  /**
   * The figures since the last call (or the load's start), and starts a new window: sessions
   * ended and round trips per second, and the round trip's median and p99 (the session's, for a
   * load without round trips); ms.
   */
  window(): { sessionsPerSecond: number; roundTripsPerSecond: number; medianMs: number; p99Ms: number } {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.windowStart) / 1000);
    const h = this.windowRoundTrips.count > 0 ? this.windowRoundTrips : this.windowSessions;
    const out = { sessionsPerSecond: Math.round((this.windowEnded / seconds) * 10) / 10, roundTripsPerSecond: Math.round((this.windowRoundTrips.count / seconds) * 10) / 10, medianMs: h.at(50), p99Ms: h.at(99) };
    this.windowRoundTrips.reset();
    this.windowSessions.reset();
    this.windowStart = now;
    this.windowEnded = 0;
    return out;
  }

  report(): LoadReport {
    const ms = Math.max(0.001, this.end - this.t0);
    const errors = this.errors;
    const sessions = this.passed + errors;
    const latency: Partial<Record<LoadMetric, LatencySummary>> = {};
    for (const m of LOAD_METRICS) {
      const h = this.latency.get(m);
      if (h && h.count > 0) latency[m] = h.summary();
    }
    const roundTrips = this.latency.get('round-trip')?.count ?? 0;
    return {
      sessions,
      passed: this.passed,
      failed: this.failed,
      errors: Object.fromEntries([...this.errorCounts].sort((a, b) => b[1] - a[1])),
      cut: this.cut,
      dropped: this.dropped,
      captured: this.captured,
      ms: Math.round(ms * 10) / 10,
      sessionsPerSecond: Math.round((sessions / ms) * 1000 * 10) / 10,
      roundTripsPerSecond: Math.round((roundTrips / ms) * 1000 * 10) / 10,
      bytesOut: this.bytesOut,
      bytesIn: this.bytesIn,
      latency,
      notes: [...this.notes],
    };
  }
}

/** File descriptors a load keeps free beyond one per client: the run's own files, listeners and pipes. */
export const FD_MARGIN = 64;

/**
 * What a load plan needs of this machine at most: an open file per client (and
 * {@link FD_MARGIN}), and over TCP and TLS an ephemeral port per connection, held for
 * `timeWaitMs` after it closes. A closed loop with `for` is counted as its clients only: how
 * fast its sessions end is not known beforehand (a shortage then shows as `EADDRNOTAVAIL`).
 */
export function loadNeeds(plan: LoadPlan, transport: string, timeWaitMs: number): { readonly fds: number; readonly ports?: number } {
  const fds = plan.clients + FD_MARGIN;
  if (transport !== 'tcp' && transport !== 'tls') return { fds };
  if (plan.rate === undefined || plan.forMs === undefined) return { fds, ports: plan.clients };
  return { fds, ports: Math.ceil((plan.rate * Math.min(plan.forMs, timeWaitMs)) / 1000) + plan.clients };
}

/** Starts made back to back, when late, before the schedule lets the event loop turn. */
const YIELD_EVERY = 64;


/**
 * Runs the sessions of a load plan until they are done, its time is up or `signal` aborts.
 *
 * - Closed loop (no `rate`): `clients` clients, client k starting at k × ramp / clients; each runs
 *   `session` once, or again and again until `forMs` has passed since the load began.
 * - Open loop (`rate`): a session starts every 1 / rate s (late starts catch up at once, so the
 *   average holds past a timer's 1 ms grain) until `forMs`, at most `clients` at once; a start
 *   that finds every client busy is counted in `stats.dropped`.
 *
 * When the time is up (or `signal` aborts), the sessions still running are cancelled through the
 * signal they were given; the caller counts them as cut.
 *
 * @param session runs one session; never rejects (it records its own outcome)
 */
export async function runLoad(plan: LoadPlan, stats: LoadStats, signal: AbortSignal, session: (client: number, signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  const timer = plan.forMs === undefined ? undefined : setTimeout(() => stop.abort(), plan.forMs);
  const t0 = performance.now();
  try {
    if (plan.rate === undefined) {
      const clients: Promise<void>[] = [];
      for (let k = 0; k < plan.clients; k++) {
        clients.push(
          (async () => {
            const due = plan.rampMs > 0 ? (k * plan.rampMs) / plan.clients : 0;
            if (due >= 1) await sleep(due - (performance.now() - t0), both, 'load ramp').catch(() => undefined);
            do {
              if (both.aborted) return;
              await session(k, both);
            } while (plan.forMs !== undefined && !both.aborted);
          })(),
        );
      }
      await Promise.all(clients);
      return;
    }
    const every = 1000 / plan.rate;
    const running = new Set<Promise<void>>();
    let started = 0;
    let burst = 0;
    for (;;) {
      if (both.aborted) break;
      const due = t0 + started * every - performance.now();
      if (due >= 1) {
        burst = 0;
        await sleep(due, both, 'load rate').catch(() => undefined);
      } else if (++burst >= YIELD_EVERY) {
        // Behind the schedule: catch up, but let the sessions (and the time limit) run between bursts.
        burst = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (both.aborted) break;
      started++;
      if (running.size >= plan.clients) {
        stats.dropped++;
        continue;
      }
      const p: Promise<void> = session(started - 1, both).finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
  } finally {
    clearTimeout(timer);
  }
}

/** A duration for people: `0.42 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** The load step's detail, one line: sessions, rates, the round trip's median and p99, errors. */
export function describeLoad(r: LoadReport): string {
  const parts = [`${r.sessions} session${r.sessions === 1 ? '' : 's'} in ${formatMs(r.ms)}: ${r.sessionsPerSecond}/s`];
  if (r.roundTripsPerSecond > 0) parts.push(`${r.roundTripsPerSecond} round trips/s`);
  const main = r.latency['round-trip'] ?? r.latency.session;
  if (main) parts.push(`${r.latency['round-trip'] ? 'round trip' : 'session'} median ${formatMs(main.medianMs)}, p99 ${formatMs(main.p99Ms)}`);
  const errors = Object.entries(r.errors);
  parts.push(errors.length === 0 ? 'no errors' : `errors ${errors.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (r.cut > 0) parts.push(`${r.cut} cut as the load stopped`);
  if (r.dropped > 0) parts.push(`${r.dropped} starts dropped (every client busy)`);
  const started = r.sessions + r.cut;
  if (r.captured < started) parts.push(`traffic of ${r.captured} of ${started} sessions captured (the first ${LOAD_CAPTURED_FIRST}, then 1 in ${LOAD_CAPTURE_EVERY})`);
  parts.push(...r.notes);
  return parts.join('; ');
}

/**
 * The load's latency table as cells: a header row, then a row per metric measured, with its
 * count, min, median, p90, p99 and max; empty when nothing was measured. The load view shows it.
 */
export function loadTableCells(r: LoadReport): string[][] {
  const rows = LOAD_METRICS.filter((m) => r.latency[m]).map((m) => {
    const s = r.latency[m] as LatencySummary;
    return [m, String(s.count), formatMs(s.minMs), formatMs(s.medianMs), formatMs(s.p90Ms), formatMs(s.p99Ms), formatMs(s.maxMs)];
  });
  return rows.length === 0 ? [] : [['', 'count', 'min', 'median', 'p90', 'p99', 'max'], ...rows];
}

/** {@link loadTableCells} as aligned text lines, as the transcript and the inline results' hover print it. */
export function loadTable(r: LoadReport): string[] {
  const table = loadTableCells(r);
  if (table.length === 0) return [];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

/**
 * Checks a load plan against this machine before it starts: raises the open-file limit when the
 * plan needs more and the hard limit allows, and refuses a plan that cannot fit.
 * @returns notes for the load's report (what was raised)
 * @throws SocketLabError `EMFILE` when the open-file limit cannot be raised far enough,
 *   `EADDRNOTAVAIL` when the free ephemeral ports are fewer than the plan needs
 */
export async function checkLoadLimits(plan: LoadPlan, transport: string): Promise<string[]> {
  const needs = loadNeeds(plan, transport, TIME_WAIT_MS);
  const notes: string[] = [];
  const fds = await fdLimits();
  if (fds && fds.soft < needs.fds) {
    if (fds.hard < needs.fds) {
      throw new SocketLabError('EMFILE', `load ${plan.clients} clients needs about ${needs.fds} open files (a socket each); this process may open ${fds.soft}, and at most ${fds.hard} (the hard limit): lower the clients, or raise the limit (ulimit -Hn as root, or /etc/security/limits.conf)`);
    }
    let raised;
    try {
      raised = await raiseFdLimit(needs.fds);
    } catch (err) {
      throw new SocketLabError('EMFILE', `load ${plan.clients} clients needs about ${needs.fds} open files; this process may open ${fds.soft}, and ${(err as Error).message}: run ulimit -n ${needs.fds} first`);
    }
    if (!raised || raised.soft < needs.fds) throw new SocketLabError('EMFILE', `load ${plan.clients} clients needs about ${needs.fds} open files; this process may open ${raised?.soft ?? fds.soft}: run ulimit -n ${needs.fds} first`);
    notes.push(`raised the open-file limit from ${fds.soft} to ${raised.soft}`);
  }
  if (needs.ports !== undefined) {
    const ports = await ephemeralPorts();
    const free = ports ? ports.high - ports.low + 1 - ports.inUse : undefined;
    if (ports && free !== undefined && free < needs.ports) {
      throw new SocketLabError('EADDRNOTAVAIL', `load needs about ${needs.ports} ephemeral ports (a connection's port stays in TIME_WAIT for ${TIME_WAIT_MS / 1000} s after it closes); ${free} of this machine's ${ports.low}–${ports.high} are free (net.ipv4.ip_local_port_range): lower the rate, the time or the clients`);
    }
  }
  return notes;
}
