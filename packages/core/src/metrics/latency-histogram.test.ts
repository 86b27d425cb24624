import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LATENCY_MAX_MICROSECONDS,
  LATENCY_RELATIVE_ERROR,
  LatencyHistogram,
  WindowedHistogram,
} from './latency-histogram.js';

/** The nearest-rank percentile of a sorted array: what the histogram approximates. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The documented bound: relative error, plus 1/128 µs absolute for sub-microsecond values. */
function expectWithinError(actual: number, exact: number): void {
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact * LATENCY_RELATIVE_ERROR + 1 / 128 + 1e-9);
}

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.count).toBe(0);
    expect(histogram.percentile(50)).toBe(0);
    expect(histogram.min).toBe(0);
    expect(histogram.max).toBe(0);
    expect(histogram.mean).toBe(0);
  });

  it('reports a uniform 1..10000 µs distribution within the error bound', () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 10_000; value++) histogram.record(value);
    expect(histogram.count).toBe(10_000);
    expectWithinError(histogram.percentile(50), 5_000);
    expectWithinError(histogram.percentile(99), 9_900);
    expectWithinError(histogram.percentile(99.9), 9_990);
    expect(histogram.percentile(0)).toBe(1);
    expect(histogram.percentile(100)).toBe(10_000);
    expect(histogram.mean).toBeCloseTo(5_000.5, 6);
  });

  it('covers 1 µs to 60 s with the same relative precision', () => {
    for (const value of [1, 1.5, 3.7, 63, 64, 65, 1_000, 123_456, 1_000_000, 59_999_999, 60_000_000]) {
      const histogram = new LatencyHistogram();
      // Two neighbours so that the min/max clamp cannot hide the bucket's own error.
      histogram.record(value * 0.5);
      histogram.record(value);
      histogram.record(value * 2);
      expectWithinError(histogram.percentile(50), value);
    }
  });

  it('finds a slow tail: 1% of calls at 50 ms among 200 µs calls', () => {
    const histogram = new LatencyHistogram();
    for (let index = 0; index < 99_000; index++) histogram.record(200 + (index % 7));
    for (let index = 0; index < 1_000; index++) histogram.record(50_000);
    expectWithinError(histogram.percentile(50), 203);
    expectWithinError(histogram.percentile(98.9), 206);
    expectWithinError(histogram.percentile(99.1), 50_000);
  });

  it('counts NaN and negative values as 0 and clamps values above the range', () => {
    const histogram = new LatencyHistogram();
    histogram.record(Number.NaN);
    histogram.record(-5);
    histogram.record(1e12);
    expect(histogram.count).toBe(3);
    expect(histogram.min).toBe(0);
    expect(histogram.max).toBeCloseTo(LATENCY_MAX_MICROSECONDS, 3);
    expect(histogram.percentile(100)).toBeCloseTo(LATENCY_MAX_MICROSECONDS, 3);
  });

  it('rejects a percentile outside 0-100', () => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.percentile(101)).toThrow(RangeError);
    expect(() => histogram.percentile(-1)).toThrow(RangeError);
    expect(() => histogram.percentile(Number.NaN)).toThrow(RangeError);
  });

  it('merges and resets', () => {
    const low = new LatencyHistogram();
    const high = new LatencyHistogram();
    for (let value = 1; value <= 100; value++) low.record(value);
    for (let value = 101; value <= 200; value++) high.record(value);
    low.merge(high);
    expect(low.count).toBe(200);
    expectWithinError(low.percentile(75), 150);
    expect(low.max).toBe(200);
    low.reset();
    expect(low.count).toBe(0);
    expect(low.percentile(99)).toBe(0);
    low.record(7);
    expect(low.percentile(50)).toBe(7);
  });

  it('stays within the error bound of the exact percentile for any data (property)', () => {
    const latency = fc.oneof(
      fc.double({ min: 0.5, max: 60_000_000, noNaN: true }),
      fc.integer({ min: 1, max: 60_000_000 }),
      // Latencies cluster: many equal or near-equal values stress one bucket.
      fc.constantFrom(1, 100, 250, 1_000, 1_000_000),
    );
    fc.assert(
      fc.property(
        fc.array(latency, { minLength: 1, maxLength: 500 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const histogram = new LatencyHistogram();
          for (const value of values) histogram.record(value);
          // Compare against what was recorded: values are kept to 1/64 µs.
          const sorted = values.map((value) => Math.floor(value * 64) / 64).sort((a, b) => a - b);
          expectWithinError(histogram.percentile(p), exactPercentile(sorted, p));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('WindowedHistogram', () => {
  it('reads the union of both windows within the error bound (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.5, max: 60_000_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, cut, p) => {
          const windowed = new WindowedHistogram({ windowMs: 10, clock: () => 0 });
          // Split the values across the previous (t = 1) and the current (t = 11) window.
          for (const [index, value] of values.entries())
            windowed.record(value, index < cut % values.length ? 1 : 11);
          const sorted = values.map((value) => Math.floor(value * 64) / 64).sort((a, b) => a - b);
          expect(windowed.count(11)).toBe(values.length);
          expectWithinError(windowed.percentile(p, 11), exactPercentile(sorted, p));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports the current and previous windows, then forgets', () => {
    let now = 0;
    const windowed = new WindowedHistogram({ windowMs: 1_000, clock: () => now });
    for (let index = 0; index < 100; index++) windowed.record(100);
    now = 1_500; // second window: the first one is now "previous"
    for (let index = 0; index < 100; index++) windowed.record(10_000);
    expect(windowed.count()).toBe(200);
    expectWithinError(windowed.percentile(25), 100);
    expectWithinError(windowed.percentile(75), 10_000);
    now = 2_100; // third window: the first one is gone
    expect(windowed.count()).toBe(100);
    expectWithinError(windowed.percentile(25), 10_000);
    now = 4_000; // two windows of silence: nothing recent
    expect(windowed.count()).toBe(0);
    expect(windowed.percentile(99)).toBe(0);
  });

  it('rotates on the timestamp passed to record without reading its clock', () => {
    let reads = 0;
    const windowed = new WindowedHistogram({
      windowMs: 100,
      clock: () => {
        reads++;
        return 0;
      },
    });
    reads = 0;
    windowed.record(5, 50);
    windowed.record(6, 150);
    windowed.record(7, 250);
    expect(reads).toBe(0);
    expect(windowed.count(250)).toBe(2);
    expect(windowed.percentile(0, 250)).toBe(6);
    expect(windowed.percentile(100, 250)).toBe(7);
  });

  it('resets and validates its window', () => {
    const windowed = new WindowedHistogram({ windowMs: 1_000, clock: () => 0 });
    windowed.record(3);
    windowed.reset();
    expect(windowed.count()).toBe(0);
    expect(() => new WindowedHistogram({ windowMs: 0 })).toThrow(RangeError);
  });
});
