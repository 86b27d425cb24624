/**
 * Draws ranks 1…n with probability proportional to 1 / rank^s (Zipf's law): rank 1 is the most
 * popular. Inverse-CDF sampling over a precomputed table: O(n) memory, O(log n) per draw.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
    if (!(s > 0)) throw new RangeError('s must be > 0');
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 1; rank <= n; rank++) {
      total += 1 / rank ** s;
      this.cumulative[rank - 1] = total;
    }
    for (let index = 0; index < n; index++) this.cumulative[index]! /= total;
  }

  /** The probability of `rank`. */
  probability(rank: number): number {
    return this.cumulative[rank - 1]! - (rank === 1 ? 0 : this.cumulative[rank - 2]!);
  }

  /** A rank from 1 to n. */
  next(): number {
    const target = this.random();
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  }
}
