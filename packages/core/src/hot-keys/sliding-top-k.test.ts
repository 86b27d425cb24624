import { describe, expect, it } from 'vitest';
import { SlidingTopK } from './sliding-top-k.js';

describe('SlidingTopK', () => {
  it('sums a key over the slices of the window and forgets a slice only when it slides out', () => {
    const window = new SlidingTopK(8, 3);
    for (let index = 0; index < 10; index++) window.record('a');
    window.slide();
    for (let index = 0; index < 5; index++) window.record('a');
    for (let index = 0; index < 7; index++) window.record('b');
    expect(window.top(2)).toEqual([
      { key: 'a', count: 15 },
      { key: 'b', count: 7 },
    ]);
    expect(window.accesses).toBe(22);
    window.slide();
    // Three slices: the first one (10 reads of a) is still in the window.
    expect(window.top(1)).toEqual([{ key: 'a', count: 15 }]);
    window.slide();
    expect(window.top(2)).toEqual([
      { key: 'b', count: 7 },
      { key: 'a', count: 5 },
    ]);
    expect(window.accesses).toBe(12);
    window.slide();
    window.slide();
    expect(window.top(5)).toEqual([]);
    expect(window.accesses).toBe(0);
  });

  it('keeps memory bounded: at most capacity keys per slice however many keys are read', () => {
    const window = new SlidingTopK(16, 4);
    for (let index = 0; index < 100_000; index++) window.record(index % 7 === 0 ? 'hot' : `key:${index}`);
    const top = window.top(Number.POSITIVE_INFINITY);
    expect(top.length).toBeLessThanOrEqual(16);
    expect(top[0]!.key).toBe('hot');
    // Space-Saving overestimates by at most total / capacity.
    expect(top[0]!.count).toBeGreaterThanOrEqual(Math.ceil(100_000 / 7));
    expect(top[0]!.count).toBeLessThanOrEqual(Math.ceil(100_000 / 7) + 100_000 / 16);
  });
});
