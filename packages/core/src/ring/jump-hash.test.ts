import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jumpBucket, jumpHash } from './jump-hash.js';
import { movedFraction } from './moved-fraction.js';

/** The paper's reference algorithm in BigInt, to check the 32-bit-halves arithmetic. */
function referenceJump(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  let k = key;
  while (j < BigInt(buckets)) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((k >> 33n) + 1n))));
  }
  return Number(b);
}

const nodes = Array.from({ length: 10 }, (_, index) => `n${index}:1`);

describe('jumpHash', () => {
  it('matches the reference algorithm bit for bit', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 100_000 }),
        (key, buckets) => {
          const high = Number(key >> 32n);
          const low = Number(key & 0xffffffffn);
          expect(jumpBucket(high, low, buckets)).toBe(referenceJump(key, buckets));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('moves exactly the keys that go to an appended node', () => {
    const before = jumpHash(nodes);
    const after = before.withNode('n10:1');
    const keys = Array.from({ length: 20_000 }, (_, index) => `user:${index}`);
    for (const key of keys) {
      const owner = after.locate(key);
      if (owner !== before.locate(key)) expect(owner).toBe('n10:1');
    }
    expect(movedFraction(before, after, keys)).toBeCloseTo(1 / 11, 1);
  });

  it('locateN returns distinct nodes, the owner first', () => {
    const partitioner = jumpHash(nodes);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: nodes.length }), (key, n) => {
        const found = partitioner.locateN(key, n);
        expect(new Set(found).size).toBe(n);
        expect(found[0]).toBe(partitioner.locate(key));
      }),
    );
  });

  it('documents its limits with typed errors', () => {
    const partitioner = jumpHash(nodes);
    expect(() => partitioner.withoutNode('n3:1')).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(partitioner.withoutNode('n9:1').nodes).toHaveLength(9);
    expect(() => partitioner.withWeight('n1:1', 2)).toThrowError(
      expect.objectContaining({ code: 'E_CONFIG' }),
    );
    expect(() => jumpHash(['a:1:2'])).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
  });
});

describe('jumpHash properties', () => {
  const sample = Array.from({ length: 8000 }, (_, index) => `session:${index}`);

  it('removing the last node moves only its keys; adding it back restores the placement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), (count) => {
        const before = jumpHash(Array.from({ length: count }, (_, index) => `n${index}:1`));
        const last = `n${count - 1}:1`;
        const after = before.withoutNode(last);
        for (const key of sample.slice(0, 2000)) {
          const owner = before.locate(key);
          if (owner !== last) expect(after.locate(key)).toBe(owner);
        }
        // Adding it back restores every key: its keys return to it from where they went.
        const restored = after.withNode(last);
        for (const key of sample.slice(0, 500)) expect(restored.locate(key)).toBe(before.locate(key));
      }),
      { numRuns: 20 },
    );
  });

  it('moves only the removed last node’s keys, about 1/N of them', () => {
    const before = jumpHash(nodes);
    const after = before.withoutNode('n9:1');
    const moved = sample.filter((key) => before.locate(key) !== after.locate(key));
    expect(moved.every((key) => before.locate(key) === 'n9:1')).toBe(true);
    expect(moved.length / sample.length).toBeCloseTo(1 / 10, 1);
  });

  it('rejects n larger than the node count, and keys that are not strings, with typed errors', () => {
    const partitioner = jumpHash(nodes);
    const config = expect.objectContaining({ code: 'E_CONFIG' });
    expect(() => partitioner.locateN('k', nodes.length + 1)).toThrowError(config);
    expect(() => partitioner.locateN('k', 0)).toThrowError(config);
    expect(() => partitioner.locateN('k', 2.5)).toThrowError(config);
    expect(partitioner.locateN('k', nodes.length)).toHaveLength(nodes.length);
    for (const key of [7, undefined, null, { toString: () => 'k' }, Buffer.from('k')]) {
      expect(() => partitioner.locate(key as unknown as string)).toThrowError(
        expect.objectContaining({ code: 'E_KEY_INVALID' }),
      );
      expect(() => partitioner.locateN(key as unknown as string, 2)).toThrowError(
        expect.objectContaining({ code: 'E_KEY_INVALID' }),
      );
    }
    expect(() => jumpHash([])).toThrowError(config);
    expect(() => jumpHash(['a:1', 'a:1'])).toThrowError(config);
    expect(() => partitioner.withNode('n0:1')).toThrowError(config);
    expect(() => partitioner.withoutNode('nope:1')).toThrowError(config);
    expect(() => jumpHash(['a:1']).withoutNode('a:1')).toThrowError(config);
  });
});
