import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaceSaving } from './space-saving.js';

describe('SpaceSaving', () => {
  it('counts exactly while under capacity', () => {
    const summary = new SpaceSaving(10);
    for (const key of ['a', 'b', 'a', 'c', 'a', 'b']) summary.record(key);
    expect(summary.top(3)).toEqual([
      { key: 'a', count: 3, error: 0 },
      { key: 'b', count: 2, error: 0 },
      { key: 'c', count: 1, error: 0 },
    ]);
    expect(summary.accesses).toBe(6);
  });

  it('keeps every key above total/capacity, with count - error ≤ true count ≤ count', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 3000 }), (stream) => {
        const summary = new SpaceSaving(16);
        const truth = new Map<string, number>();
        for (const value of stream) {
          const key = `k${value}`;
          summary.record(key);
          truth.set(key, (truth.get(key) ?? 0) + 1);
        }
        const tracked = new Map(summary.top(16).map((entry) => [entry.key, entry]));
        for (const [key, count] of truth) {
          if (count > stream.length / 16) expect(tracked.has(key)).toBe(true);
          const entry = tracked.get(key);
          if (entry !== undefined) {
            expect(entry.count).toBeGreaterThanOrEqual(count);
            expect(entry.count - entry.error).toBeLessThanOrEqual(count);
          }
        }
        const counts = summary.top(16).map((entry) => entry.count);
        expect(counts).toEqual([...counts].sort((a, b) => b - a));
      }),
    );
  });

  it('finds a 30% key in a long Zipf-like stream with a small capacity', () => {
    const summary = new SpaceSaving(64);
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let index = 0; index < 100_000; index++) {
      summary.record(random() < 0.3 ? 'global:config' : `key:${Math.floor(random() ** 3 * 100_000)}`);
    }
    const [first] = summary.top(1);
    expect(first?.key).toBe('global:config');
    expect(first!.count / summary.accesses).toBeGreaterThan(0.29);
  });
});
