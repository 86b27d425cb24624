import { describe, expect, it } from 'vitest';
import { ZipfSampler } from './zipf.js';

/** A small deterministic generator (mulberry32), so the test cannot flake. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ZipfSampler', () => {
  it('gives rank k a probability proportional to 1/k^s', () => {
    const sampler = new ZipfSampler(1000, 1.1);
    let total = 0;
    for (let rank = 1; rank <= 1000; rank++) total += sampler.probability(rank);
    expect(total).toBeCloseTo(1, 10);
    expect(sampler.probability(1) / sampler.probability(2)).toBeCloseTo(2 ** 1.1, 10);
    expect(sampler.probability(1)).toBeCloseTo(0.1796, 3);
  });

  it('draws ranks with those frequencies', () => {
    const sampler = new ZipfSampler(1000, 1.1, seeded(7));
    const counts = new Map<number, number>();
    const draws = 200_000;
    let lowest = Number.POSITIVE_INFINITY;
    let highest = 0;
    for (let index = 0; index < draws; index++) {
      const rank = sampler.next();
      lowest = Math.min(lowest, rank);
      highest = Math.max(highest, rank);
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
    }
    expect(lowest).toBe(1);
    expect(highest).toBeLessThanOrEqual(1000);
    for (const rank of [1, 2, 3, 10]) {
      expect((counts.get(rank) ?? 0) / draws).toBeCloseTo(sampler.probability(rank), 2);
    }
  });

  it('rejects nonsense parameters', () => {
    expect(() => new ZipfSampler(0, 1.1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, 0)).toThrow(RangeError);
  });
});
