import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingcacheError } from '../errors.js';
import { murmur3 } from '../hashing/murmur3.js';
import { hashRing } from './hash-ring.js';
import { movedFraction } from './moved-fraction.js';

const nodes = Array.from({ length: 10 }, (_, index) => `10.0.0.${index + 1}:11211`);
const keys = Array.from({ length: 50_000 }, (_, index) => `user:${index}`);

function shares(ring: ReturnType<typeof hashRing>, sample: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of sample) counts.set(ring.locate(key), (counts.get(ring.locate(key)) ?? 0) + 1);
  return counts;
}

describe('hashRing', () => {
  it('is deterministic across instances and independent of node order', () => {
    const a = hashRing(nodes);
    const b = hashRing([...nodes].reverse());
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        expect(a.locate(key)).toBe(b.locate(key));
      }),
    );
  });

  it('spreads keys evenly with the default vnodes', () => {
    const counts = shares(hashRing(nodes), keys);
    const mean = keys.length / nodes.length;
    expect(Math.max(...counts.values()) / mean).toBeLessThan(1.08);
    expect(counts.size).toBe(nodes.length);
  });

  it('locateN returns n distinct nodes, the owner first', () => {
    const ring = hashRing(nodes, { vnodes: 64 });
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: nodes.length }), (key, n) => {
        const found = ring.locateN(key, n);
        expect(found).toHaveLength(n);
        expect(new Set(found).size).toBe(n);
        expect(found[0]).toBe(ring.locate(key));
      }),
    );
  });

  it('removing a node moves only that node’s keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: nodes.length - 1 }), (removedIndex) => {
        const before = hashRing(nodes, { vnodes: 256 });
        const removed = nodes[removedIndex]!;
        const after = before.withoutNode(removed);
        for (const key of keys.slice(0, 5_000)) {
          const owner = before.locate(key);
          if (owner !== removed) expect(after.locate(key)).toBe(owner);
        }
      }),
      { numRuns: 5 },
    );
  });

  it('adding a node moves about 1/(N+1) of keys, all to the new node', () => {
    const before = hashRing(nodes);
    const after = before.withNode('10.0.0.99:11211');
    for (const key of keys) {
      const owner = after.locate(key);
      if (owner !== before.locate(key)) expect(owner).toBe('10.0.0.99:11211');
    }
    const moved = movedFraction(before, after, keys);
    expect(moved).toBeGreaterThan((1 / 11) * 0.9);
    expect(moved).toBeLessThan((1 / 11) * 1.1);
  });

  it('gives weighted nodes a proportional share, and re-weighting moves keys only to that node', () => {
    const ring = hashRing(['a:1:1', 'b:1:2', 'c:1:1']);
    const counts = shares(ring, keys);
    expect(counts.get('b:1')! / keys.length).toBeCloseTo(0.5, 1);
    const heavier = ring.withWeight('a:1', 3);
    for (const key of keys.slice(0, 10_000)) {
      const owner = heavier.locate(key);
      if (owner !== ring.locate(key)) expect(owner).toBe('a:1');
    }
  });

  it('hashes the node name instead of host:port when one is given', () => {
    const named = hashRing([{ host: 'x', port: 1, name: 'server1' }, 'y:1']);
    const renamedHost = hashRing([{ host: 'z', port: 9, name: 'server1' }, 'y:1']);
    for (const key of keys.slice(0, 1000)) {
      expect(named.locate(key) === 'x:1').toBe(renamedHost.locate(key) === 'z:9');
    }
  });

  it('places keys exactly by the documented rule: first point clockwise of murmur3(key)', () => {
    const small = ['a:1', 'b:1:2', { host: 'c', port: 1, name: 'cache-c' }];
    const ring = hashRing(small, { vnodes: 50 });
    const points = [
      ...Array.from({ length: 50 }, (_, index) => ({ at: murmur3(`a:1#${index}`), id: 'a:1' })),
      ...Array.from({ length: 100 }, (_, index) => ({ at: murmur3(`b:1#${index}`), id: 'b:1' })),
      ...Array.from({ length: 50 }, (_, index) => ({ at: murmur3(`cache-c#${index}`), id: 'c:1' })),
    ].sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : 1));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        const hash = murmur3(key);
        const owner = points.find((point) => point.at >= hash) ?? points[0]!;
        expect(ring.locate(key)).toBe(owner.id);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects bad input with typed errors', () => {
    const ring = hashRing(nodes);
    expect(() => hashRing([])).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => hashRing(['a:1', 'a:1'])).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => hashRing(['a:1'], { vnodes: 0 })).toThrow(RingcacheError);
    expect(() => ring.locateN('k', 11)).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => ring.locateN('k', 0)).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => ring.locate(42 as unknown as string)).toThrowError(
      expect.objectContaining({ code: 'E_KEY_INVALID' }),
    );
    expect(() => ring.withNode(nodes[0]!)).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => ring.withoutNode('nope:1')).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => hashRing(['a:1']).withoutNode('a:1')).toThrowError(
      expect.objectContaining({ code: 'E_CONFIG' }),
    );
    expect(() => ring.withWeight(nodes[0]!, Number.NaN)).toThrowError(
      expect.objectContaining({ code: 'E_CONFIG' }),
    );
  });
});
