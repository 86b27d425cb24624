import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashRing } from '../ring/hash-ring.js';
import { groupBy, groupByNode, groupItems, scatter } from './group-by-node.js';

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

describe('groupItems', () => {
  it('splits any items by destination, each once, in first-seen order, with its input position', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string(), value: fc.integer() }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 7 }),
        (entries, destinations) => {
          const seenPositions: number[] = [];
          const groups = groupItems(entries, (entry, position) => {
            seenPositions.push(position);
            return entry.key.length % destinations;
          });
          expect(seenPositions).toEqual(entries.map((_, position) => position));
          // First-seen order: a group comes before another when its first item does.
          const firsts = groups.map((group) => group.positions[0]!);
          expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
          const positions = groups.flatMap((group) => group.positions).sort((a, b) => a - b);
          expect(positions).toEqual(entries.map((_, position) => position));
          for (const group of groups) {
            expect(group.items).toHaveLength(group.positions.length);
            group.items.forEach((item, index) => {
              // The same object, not a copy, at its input position.
              expect(item).toBe(entries[group.positions[index]!]);
              expect(item.key.length % destinations).toBe(group.group);
            });
            expect(group.positions).toEqual([...group.positions].sort((a, b) => a - b));
          }
        },
      ),
    );
  });

  it('treats undefined as a destination like any other', () => {
    const groups = groupItems(['a', 'bb', 'c'], (key) => (key.length === 1 ? undefined : 'long'));
    expect(groups).toEqual([
      { group: undefined, items: ['a', 'c'], positions: [0, 2] },
      { group: 'long', items: ['bb'], positions: [1] },
    ]);
  });

  it('groupBy hands its destination the key alone', () => {
    const calls: unknown[][] = [];
    groupBy(['x', 'y'], (...args: unknown[]) => {
      calls.push(args);
      return 0;
    });
    expect(calls).toEqual([['x'], ['y']]);
  });
});
