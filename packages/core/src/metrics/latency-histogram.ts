/**
 * Fixed-memory latency histograms for the per-node p50/p99 in `cache.stats()`.
 *
 * `record()` runs on every adapter call, so it must not allocate and must not call `Math.log2`:
 * the bucket index comes from `Math.clz32` and two shifts (log-linear, HdrHistogram's layout).
 * Values are kept in units of 1/64 µs so that one uint32 covers 0 to ~67 s with the same
 * relative precision down to half a microsecond (an in-process memory adapter answers in ~1 µs).
 */

/** Internal units per microsecond: 2^6, so sub-microsecond calls keep their precision. */
const UNITS_PER_MICROSECOND = 64;
/** 2^SUB_BUCKET_BITS linear sub-buckets per power of two: the precision knob. */
const SUB_BUCKET_BITS = 5;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Values below this many units get one bucket each (exact to 1/64 µs). */
const LINEAR_LIMIT = 2 * SUB_BUCKETS;
/** The largest recordable value in units; anything above is counted here. */
const MAX_UNITS = 0xffff_ffff;
/** The index of MAX_UNITS + 1, i.e. the bucket count: msb 31 → shift 26 → 26·32 + 63 + 1. */
const BUCKET_COUNT = (31 - SUB_BUCKET_BITS) * SUB_BUCKETS + LINEAR_LIMIT;

/**
 * The largest relative error of a reported percentile for values of at least 0.5 µs
 * (1/64 ≈ 1.56%): a bucket is at most 1/32 of its lower bound wide and we report its middle.
 * Below 0.5 µs the error is at most 1/128 µs in absolute terms.
 */
export const LATENCY_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS);

/** The largest value that keeps its precision, in microseconds (~67 s); larger ones are clamped. */
export const LATENCY_MAX_MICROSECONDS = MAX_UNITS / UNITS_PER_MICROSECOND;

/** The bucket of a value in units: linear below LINEAR_LIMIT, then 32 buckets per power of two. */
function bucketOf(units: number): number {
  if (units < LINEAR_LIMIT) return units;
  const shift = 31 - Math.clz32(units) - SUB_BUCKET_BITS;
  // (units >>> shift) is in [32, 64): the top six bits; each octave adds SUB_BUCKETS indexes.
  return shift * SUB_BUCKETS + (units >>> shift);
}

/** The lowest value (in units) of a bucket, the inverse of `bucketOf`. */
function lowestOf(bucket: number): number {
  if (bucket < LINEAR_LIMIT) return bucket;
  const shift = (bucket >>> SUB_BUCKET_BITS) - 1;
  const mantissa = bucket - shift * SUB_BUCKETS;
  return mantissa * 2 ** shift;
}

/** The width (in units) of a bucket. */
function widthOf(bucket: number): number {
  return bucket < LINEAR_LIMIT ? 1 : 2 ** ((bucket >>> SUB_BUCKET_BITS) - 1);
}

/**
 * A log-linear histogram of latencies in microseconds: ~3.5 KB of counts whatever the traffic,
 * O(1) and allocation-free `record()`, percentiles within {@link LATENCY_RELATIVE_ERROR}.
 * Not thread-safe, and needs not be: Node runs the call path on one thread.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKET_COUNT);
  private total = 0;
  private sum = 0;
  private lowest = Number.POSITIVE_INFINITY;
  private highest = 0;

  /** Records one latency. Negative and NaN values count as 0; values above ~67 s are clamped. */
  record(microseconds: number): void {
    const scaled = microseconds * UNITS_PER_MICROSECOND;
    // `>>> 0` truncates to uint32 without a Math call; the comparisons also send NaN to 0.
    const units = scaled >= MAX_UNITS ? MAX_UNITS : scaled > 0 ? scaled >>> 0 : 0;
    this.counts[bucketOf(units)]!++;
    this.total++;
    const value = units / UNITS_PER_MICROSECOND;
    this.sum += value;
    if (value < this.lowest) this.lowest = value;
    if (value > this.highest) this.highest = value;
  }

  /** How many values were recorded since the last reset. */
  get count(): number {
    return this.total;
  }

  /** The smallest recorded value (µs), or 0 when empty. */
  get min(): number {
    return this.total === 0 ? 0 : this.lowest;
  }

  /** The largest recorded value (µs), or 0 when empty. */
  get max(): number {
    return this.highest;
  }

  /** The mean (µs), or 0 when empty. */
  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /**
   * The value at percentile `p` (0–100) by the nearest-rank method, in microseconds, within
   * {@link LATENCY_RELATIVE_ERROR} of the exact one; 0 when empty.
   * @throws RangeError when `p` is outside 0–100
   */
  percentile(p: number): number {
    return valueAtPercentile(p, this);
  }

  /** Adds another histogram's values into this one (for totals across nodes). */
  merge(other: LatencyHistogram): void {
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) this.counts[bucket]! += other.counts[bucket]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      this.lowest = Math.min(this.lowest, other.lowest);
      this.highest = Math.max(this.highest, other.highest);
    }
  }

  /** Forgets every value; keeps the memory. */
  reset(): void {
    if (this.total === 0) return;
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.lowest = Number.POSITIVE_INFINITY;
    this.highest = 0;
  }

  /** @internal the bucket counts, read by `valueAtPercentile` without copying */
  get buckets(): Uint32Array {
    return this.counts;
  }
}

/**
 * The percentile over the union of one or two histograms, walking their buckets together so a
 * windowed read needs no merged copy.
 */
function valueAtPercentile(p: number, first: LatencyHistogram, second?: LatencyHistogram): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  const total = first.count + (second?.count ?? 0);
  if (total === 0) return 0;
  const lowest = Math.min(
    first.count === 0 ? Number.POSITIVE_INFINITY : first.min,
    second === undefined || second.count === 0 ? Number.POSITIVE_INFINITY : second.min,
  );
  const highest = Math.max(first.max, second?.max ?? 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  // The extremes are tracked exactly, so p0 and p100 (and any rank landing on them) are exact.
  if (rank === 1) return lowest;
  if (rank === total) return highest;
  const a = first.buckets;
  const b = second?.buckets;
  let seen = 0;
  for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
    seen += a[bucket]! + (b === undefined ? 0 : b[bucket]!);
    if (seen >= rank) {
      const middle = (lowestOf(bucket) + widthOf(bucket) / 2) / UNITS_PER_MICROSECOND;
      // The exact min and max are known: clamping to them only moves the answer closer.
      return Math.min(highest, Math.max(lowest, middle));
    }
  }
  return highest;
}

/** Options of {@link WindowedHistogram}. */
export interface WindowedHistogramOptions {
  /** The length of one window in milliseconds. @default 10_000 */
  windowMs?: number;
  /** The clock in milliseconds, for reads and for `record()` calls without a timestamp. @default performance.now */
  clock?: () => number;
}

/**
 * Recent latencies: two histograms rotated every `windowMs`, so percentiles cover the current
 * window plus the previous one (between one and two windows of history). A plain cumulative
 * histogram would let an hour of healthy traffic hide the last minute's slow node.
 */
export class WindowedHistogram {
  private current = new LatencyHistogram();
  private previous = new LatencyHistogram();
  private windowEnd: number;
  private readonly windowMs: number;
  private readonly clock: () => number;

  constructor(options: WindowedHistogramOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    if (!(this.windowMs > 0 && Number.isFinite(this.windowMs))) {
      throw new RangeError(`windowMs must be a positive number, got ${this.windowMs}`);
    }
    this.clock = options.clock ?? (() => performance.now());
    this.windowEnd = this.clock() + this.windowMs;
  }

  /**
   * Records one latency in microseconds. Pass `now` (ms, same clock) when the caller already has
   * it, e.g. the end timestamp it took to measure the call: then recording reads no clock.
   */
  record(microseconds: number, now: number = this.clock()): void {
    if (now >= this.windowEnd) this.rotate(now);
    this.current.record(microseconds);
  }

  /** The values in the current and previous windows. */
  count(now: number = this.clock()): number {
    if (now >= this.windowEnd) this.rotate(now);
    return this.current.count + this.previous.count;
  }

  /**
   * The value at percentile `p` (0–100) over the current and previous windows, in microseconds;
   * 0 when nothing was recorded in them.
   * @throws RangeError when `p` is outside 0–100
   */
  percentile(p: number, now: number = this.clock()): number {
    if (now >= this.windowEnd) this.rotate(now);
    return valueAtPercentile(p, this.current, this.previous);
  }

  /** Forgets both windows and starts a new one at `now`. */
  reset(now: number = this.clock()): void {
    this.current.reset();
    this.previous.reset();
    this.windowEnd = now + this.windowMs;
  }

  // Swaps rather than allocates; a gap of two windows or more leaves no recent history at all.
  private rotate(now: number): void {
    const elapsed = Math.floor((now - this.windowEnd) / this.windowMs) + 1;
    const spare = this.previous;
    this.previous = this.current;
    this.current = spare;
    this.current.reset();
    if (elapsed >= 2) this.previous.reset();
    this.windowEnd += elapsed * this.windowMs;
  }
}
