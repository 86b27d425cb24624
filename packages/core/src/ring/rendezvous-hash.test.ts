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

describe('rendezvousHash properties', () => {
  const anyKey = fc.string({ unit: 'grapheme', maxLength: 30 });
  const nodeList = (count: number) => Array.from({ length: count }, (_, index) => `10.2.0.${index}:11211`);

  it('adding a node moves about 1/(N+1) of keys, all of them to the new node', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 1000 }), (count, salt) => {
        const before = rendezvousHash(nodeList(count));
        const added = `10.3.${salt % 250}.1:${20000 + salt}`;
        const after = before.withNode(added);
        let moved = 0;
        for (const key of keys.slice(0, 6000)) {
          const owner = after.locate(key);
          if (owner === before.locate(key)) continue;
          moved++;
          expect(owner).toBe(added);
        }
        // Binomial with p = 1/(N+1) over 6,000 keys: ±30% is more than 4 standard deviations.
        const ideal = 6000 / (count + 1);
        expect(moved).toBeGreaterThan(ideal * 0.7);
        expect(moved).toBeLessThan(ideal * 1.3);
      }),
      { numRuns: 15 },
    );
  });

  it('locateN is the preference order: a prefix of every longer list, and the next owner when one goes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), anyKey, (count, key) => {
        const partitioner = rendezvousHash(
          nodeList(count).map((node, index) => `${node}:${1 + (index % 3)}`),
        );
        const all = partitioner.locateN(key, count);
        expect(new Set(all).size).toBe(count);
        for (let n = 1; n <= count; n++) expect(partitioner.locateN(key, n)).toEqual(all.slice(0, n));
        // Without its owner, the key goes to its second choice and the rest keep their order.
        expect(partitioner.withoutNode(all[0]!).locateN(key, count - 1)).toEqual(all.slice(1));
      }),
    );
  });

  it('is deterministic across instances and node orders', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(anyKey, { maxLength: 20 }), (count, sample) => {
        const first = rendezvousHash(nodeList(count));
        const second = rendezvousHash([...nodeList(count)].reverse());
        for (const key of sample) expect(second.locate(key)).toBe(first.locate(key));
      }),
    );
  });

  it('rejects bad input with typed errors', () => {
    const config = expect.objectContaining({ code: 'E_CONFIG' });
    expect(() => rendezvousHash([])).toThrowError(config);
    expect(() => rendezvousHash(['a:1', 'a:1'])).toThrowError(config);
    for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rendezvousHash([{ host: 'a', port: 1, weight }])).toThrowError(config);
    }
    const partitioner = rendezvousHash(['a:1', 'b:1', 'c:1']);
    expect(() => partitioner.locateN('k', 4)).toThrowError(config);
    expect(() => partitioner.locateN('k', 0)).toThrowError(config);
    expect(() => partitioner.locateN('k', 1.5)).toThrowError(config);
    for (const key of [42, undefined, null, Symbol('k'), ['k']]) {
      expect(() => partitioner.locate(key as unknown as string)).toThrowError(
        expect.objectContaining({ code: 'E_KEY_INVALID' }),
      );
      expect(() => partitioner.locateN(key as unknown as string, 1)).toThrowError(
        expect.objectContaining({ code: 'E_KEY_INVALID' }),
      );
    }
    expect(() => partitioner.withNode('a:1')).toThrowError(config);
    expect(() => partitioner.withoutNode('z:1')).toThrowError(config);
    expect(() => rendezvousHash(['a:1']).withoutNode('a:1')).toThrowError(config);
    expect(() => partitioner.withWeight('z:1', 2)).toThrowError(config);
    expect(() => partitioner.withWeight('a:1', 0)).toThrowError(config);
    expect(() => partitioner.withWeight('a:1', Number.NaN)).toThrowError(config);
  });
});
