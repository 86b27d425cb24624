import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashRing } from '../ring/hash-ring.js';
import { groupByNode, scatter } from './group-by-node.js';

describe('groupByNode', () => {
  const ring = hashRing(['a:1', 'b:1', 'c:1'], { vnodes: 64 });

  it('puts every key in its owner’s group and scatters results back in input order', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 200 }), (keys) => {
        const groups = groupByNode(ring, keys);
        for (const group of groups) {
          for (const key of group.keys) expect(ring.locate(key)).toBe(group.group);
        }
        const echoed = scatter(
          groups,
          groups.map((group) => group.keys.map((key) => `value-of-${key}`)),
          keys.length,
        );
        expect(echoed).toEqual(keys.map((key) => `value-of-${key}`));
      }),
    );
  });

  it('keeps duplicate keys at each of their positions', () => {
    const groups = groupByNode(ring, ['x', 'y', 'x']);
    const total = groups.reduce((sum, group) => sum + group.keys.length, 0);
    expect(total).toBe(3);
  });
});
