import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rendezvousHash } from './rendezvous-hash.js';

const nodes = Array.from({ length: 8 }, (_, index) => `n${index}:1`);
const keys = Array.from({ length: 40_000 }, (_, index) => `user:${index}`);

describe('rendezvousHash', () => {
  it('is deterministic and balanced', () => {
    const a = rendezvousHash(nodes);
    const b = rendezvousHash([...nodes].reverse());
    const counts = new Map<string, number>();
    for (const key of keys) {
      expect(a.locate(key)).toBe(b.locate(key));
      counts.set(a.locate(key), (counts.get(a.locate(key)) ?? 0) + 1);
    }
    expect(Math.max(...counts.values()) / (keys.length / nodes.length)).toBeLessThan(1.05);
  });

  it('honours weights', () => {
    const partitioner = rendezvousHash(['a:1:1', 'b:1:3']);
    const share = keys.filter((key) => partitioner.locate(key) === 'b:1').length / keys.length;
    expect(share).toBeCloseTo(0.75, 1);
  });

  it('removing a node moves only its keys; locateN is the top-n and shifts by one', () => {
    const before = rendezvousHash(nodes);
    const after = before.withoutNode('n3:1');
    for (const key of keys.slice(0, 5000)) {
      const [first, second] = before.locateN(key, 2);
      expect(after.locate(key)).toBe(first === 'n3:1' ? second : first);
    }
  });

  it('locateN returns distinct nodes, the owner first', () => {
    const partitioner = rendezvousHash(['a:1:1', 'b:1:2', 'c:1:1']);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 3 }), (key, n) => {
        const found = partitioner.locateN(key, n);
        expect(new Set(found).size).toBe(n);
        expect(found[0]).toBe(partitioner.locate(key));
      }),
    );
  });
});
