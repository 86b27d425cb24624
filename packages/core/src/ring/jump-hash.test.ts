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
