/**
 * Latency recording with HdrHistogram semantics (Gil Tene's HdrHistogram, through the
 * `hdr-histogram-js` package): values are kept to 3 significant digits from 1 µs to one hour, so
 * a percentile is exact to 0.1% whatever the count, in memory that does not grow with the count.
 */
// The classes themselves, not the package's index: the index loads a WebAssembly build (200 KB
// in the bundle) and log writers that cost 25 ms at startup.
import Int32Histogram from 'hdr-histogram-js/dist/Int32Histogram';
import type JsHistogram from 'hdr-histogram-js/dist/JsHistogram';

/** The longest value recorded, in µs (one hour); a longer one is recorded as one hour. */
const HIGHEST_US = 3_600_000_000;

/** A summary of recorded durations, in ms to 0.001 (1 µs). */
export interface LatencySummary {
  /** How many durations were recorded. */
  readonly count: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/**
 * Durations in ms, recorded into an HdrHistogram at 1 µs resolution.
 *
 * `compact` histograms (a repeat's rounds) keep 2 significant digits (1%) in 14 KiB, and answer
 * a percentile in a few µs; the others (a load's metrics, shared by all its sessions) keep 3
 * (0.1%) in 93 KiB. Both record in about 0.1 µs. (HdrHistogram's packed form is smaller but
 * takes about 0.5 ms per percentile over this range.)
 */
export class Latency {
  private readonly h: JsHistogram;
  /** The exact extremes, µs (the histogram keeps 3 significant digits). */
  private minUs = Infinity;
  private maxUs = 0;
  /**
   * The sum of the values recorded, µs, for the exact mean: the histogram's own mean walks every
   * bucket (about 10 ms for a load's histogram), and is a mean of the buckets' values.
   */
  private sumUs = 0;

  constructor(compact = false) {
    this.h = new Int32Histogram(1, HIGHEST_US, compact ? 2 : 3);
  }

  /** Records one duration; ms, from `performance.now()` differences. Negative values count as 0. */
  record(ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(0, Math.round(ms * 1000)));
    this.h.recordValue(us);
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Forgets every value: the histogram starts again, in the memory it has. */
  reset(): void {
    this.h.reset();
    this.minUs = Infinity;
    this.maxUs = 0;
    this.sumUs = 0;
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The value at `percentile` (0 to 100) in ms; 0 when nothing was recorded. */
  at(percentile: number): number {
    if (this.h.totalCount === 0) return 0;
    if (percentile <= 0) return this.minUs / 1000;
    if (percentile >= 100) return this.maxUs / 1000;
    // The histogram answers with the top of a value's bucket (3 significant digits): never past the extremes seen.
    return Math.min(this.maxUs, Math.max(this.minUs, this.h.getValueAtPercentile(percentile))) / 1000;
  }

  /** The mean of the values recorded in ms, to 1 µs; 0 when nothing was recorded. */
  get meanMs(): number {
    const count = this.h.totalCount;
    return count === 0 ? 0 : Math.round(this.sumUs / count) / 1000;
  }

  summary(): LatencySummary {
    return { count: this.h.totalCount, minMs: this.at(0), medianMs: this.at(50), p90Ms: this.at(90), p99Ms: this.at(99), maxMs: this.at(100), meanMs: this.meanMs };
  }
}
