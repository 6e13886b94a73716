// The latency figures a load reports and its `expect` lines check (§8.15): percentiles to the
// histogram's precision, the extremes and the mean exact.
import { strict as assert } from 'node:assert';
import { Latency } from '../../../../src/sock/run/latency';
import { LoadStats } from '../../../../src/sock/run/load';

describe('latency figures', () => {
  it('1 to 1,000 ms: the percentiles to 0.1%, min, max and the mean exact; nothing recorded is all zero', () => {
    const l = new Latency();
    assert.deepEqual(l.summary(), { count: 0, minMs: 0, medianMs: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 });
    for (let ms = 1000; ms >= 1; ms--) l.record(ms);
    const s = l.summary();
    assert.equal(s.count, 1000);
    assert.equal(s.minMs, 1);
    assert.equal(s.maxMs, 1000);
    assert.equal(s.meanMs, 500.5);
    for (const [got, want] of [[s.medianMs, 500], [s.p90Ms, 900], [s.p99Ms, 990]]) assert.ok(Math.abs(got - want) <= want * 0.001, `${got} is ${want} to 0.1%`);
  });

  it('the mean is of the values, to 1 µs, not of the buckets; reset forgets it', () => {
    const l = new Latency(true);
    // Two significant digits: 1.234 ms and 1.236 ms share a bucket, the mean does not.
    l.record(1.234);
    l.record(1.236);
    l.record(0.0004);
    assert.equal(l.meanMs, 0.823);
    l.reset();
    assert.equal(l.meanMs, 0);
    l.record(7);
    assert.deepEqual([l.count, l.meanMs, l.at(0), l.at(100)], [1, 7, 7, 7]);
  });

  it("a load's statistics answer each expect with its own figure", () => {
    const stats = new LoadStats();
    assert.equal(stats.stat('round-trip', 'p99'), undefined);
    for (let i = 1; i <= 100; i++) stats.record('round-trip', i / 10);
    const want = { min: 0.1, median: 5, p90: 9, p99: 9.9, max: 10, mean: 5.05 };
    for (const [stat, ms] of Object.entries(want) as [keyof typeof want, number][]) {
      const got = stats.stat('round-trip', stat) as number;
      // Percentiles are the top of their value's bucket (3 significant digits); the extremes and the mean exact.
      assert.ok(stat === 'median' || stat === 'p90' || stat === 'p99' ? got >= ms && got <= ms * 1.001 : got === ms, `${stat} ${got}, not ${ms}`);
    }
  });
});
