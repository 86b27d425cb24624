import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keySlot, SLOT_COUNT } from './key-slot.js';
import { type SlotMapInput, type SlotRangeSpec, slotMap } from './slot-map.js';
import { evenSplit, MAX_SPLIT_MASTERS } from './slot-ranges.js';

const masters = ['10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'];
const config = expect.objectContaining({ code: 'E_CONFIG' });

/** Random slot maps: 1–8 masters, up to 40 ranges with random owners; idle masters kept. */
const slotMapInput: fc.Arbitrary<SlotMapInput> = fc
  .record({
    nodeCount: fc.integer({ min: 1, max: 8 }),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 40 }),
    owners: fc.array(fc.nat(), { minLength: 1, maxLength: 41 }),
  })
  .map(({ nodeCount, cuts, owners }) => {
    const bounds = [0, ...cuts.sort((a, b) => a - b), SLOT_COUNT];
    const ids = Array.from({ length: nodeCount }, (_, index) => `10.1.0.${index}:6379`);
    const ranges: SlotRangeSpec[] = bounds.slice(1).map((next, index) => ({
      start: bounds[index]!,
      end: next - 1,
      node: ids[owners[index % owners.length]! % nodeCount]!,
    }));
    return { ranges, masters: ids.filter((id) => !ranges.some((range) => range.node === id)) };
  });

describe('evenSplit / slotMap(nodes)', () => {
  // Range ends printed by redis-cli's own formula compiled from C (clusterManagerCommandCreate).
  it.each([
    [3, [5460, 10922, 16383]],
    [5, [3276, 6553, 9829, 13106, 16383]],
    [7, [2340, 4680, 7021, 9361, 11702, 14042, 16383]],
    [13, [1259, 2520, 3780, 5040, 6301, 7561, 8821, 10081, 11342, 12602, 13862, 15123, 16383]],
  ])('splits %i masters like redis-cli --cluster create', (count, ends) => {
    expect(evenSplit(count).map((span) => span.end)).toEqual(ends);
    const map = slotMap(Array.from({ length: count }, (_, index) => `127.0.0.1:${7000 + index}`));
    expect(map.ranges().map((range) => range.end)).toEqual(ends);
  });

  it('gives every master floor or ceil of 16384 / N in contiguous ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_SPLIT_MASTERS }), (count) => {
        const spans = evenSplit(count);
        const floor = Math.floor(SLOT_COUNT / count);
        return (
          spans.length === count &&
          spans[0]!.start === 0 &&
          spans.at(-1)!.end === SLOT_COUNT - 1 &&
          spans.every((span, index) => index === 0 || span.start === spans[index - 1]!.end + 1) &&
          spans.every((span) => span.end - span.start + 1 - floor <= 1 && span.end - span.start + 1 >= floor)
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects counts past MAX_SPLIT_MASTERS, where redis-cli itself goes uneven', () => {
    expect(() => evenSplit(MAX_SPLIT_MASTERS + 1)).toThrow(config);
    expect(() => slotMap([])).toThrow(config);
    expect(() => slotMap(['127.0.0.1:7000', '127.0.0.1:7000'])).toThrow(config);
  });
});

describe('slotMap', () => {
  it('locates a key at the owner of its slot, deterministically', () => {
    fc.assert(
      fc.property(slotMapInput, fc.array(fc.string({ unit: 'binary' }), { maxLength: 20 }), (input, keys) => {
        const first = slotMap(input);
        const second = slotMap(input);
        return keys.every(
          (key) =>
            first.locate(key) === second.locate(key) && first.locate(key) === first.ownerOfSlot(keySlot(key)),
        );
      }),
    );
  });

  it('keeps keys of one hash tag on one master', () => {
    const map = slotMap(masters);
    expect(map.locate('{user1}.a')).toBe(map.locate('{user1}.b'));
    expect(map.kind).toBe('slots');
    expect(map.nodes.map((node) => node.id)).toEqual(masters);
  });

  it('locateN gives n distinct masters, the owner first, the same for a whole slot', () => {
    // A key without '}' is its own hash tag: `{key}x` lands in the same slot.
    const tagFree = fc.string({ minLength: 1 }).filter((text) => !text.includes('}'));
    fc.assert(
      fc.property(slotMapInput, tagFree, fc.nat(), (input, key, pick) => {
        const map = slotMap(input);
        const n = (pick % map.nodes.length) + 1;
        const chosen = map.locateN(key, n);
        return (
          chosen.length === n &&
          new Set(chosen).size === n &&
          chosen[0] === map.locate(key) &&
          chosen.join() === map.locateN(`{${key}}x`, n).join()
        );
      }),
    );
  });

  it('locateN walks slot ranges upward, then masters without slots', () => {
    const map = slotMap(masters).withNode('10.0.0.9:7000');
    // 'foo' is slot 12182, on the third master; walking up wraps to the first, then the second.
    expect(map.locateN('foo', 4)).toEqual([masters[2], masters[0], masters[1], '10.0.0.9:7000']);
    expect(() => map.locateN('foo', 5)).toThrow(config);
  });

  it('validates ranges: integer bounds, no overlap, full coverage', () => {
    const node = masters[0]!;
    const cases: SlotRangeSpec[][] = [
      [{ start: 0, end: 16382, node }],
      [{ start: 0, end: 16384, node }],
      [{ start: -1, end: 16383, node }],
      [{ start: 0.5, end: 16383, node }],
      [{ start: 9, end: 3, node }],
      [
        { start: 0, end: 100, node },
        { start: 100, end: 16383, node: masters[1]! },
      ],
    ];
    for (const ranges of cases) expect(() => slotMap({ ranges })).toThrow(config);
    expect(() => slotMap({ ranges: [{ start: 0, end: 16383, node }], masters: [node] })).toThrow(config);
    expect(() =>
      slotMap({ ranges: [{ start: 0, end: 16383, node }], masters: [masters[1]!, masters[1]!] }),
    ).toThrow(config);
    expect(() => slotMap({ ranges: [], allowUncovered: true })).toThrow(config);
    expect(() => slotMap(undefined as unknown as SlotMapInput)).toThrow(config);
  });

  it('with allowUncovered, builds and throws E_NODE_UNAVAILABLE for keys of uncovered slots', () => {
    const map = slotMap({ ranges: [{ start: 0, end: 8191, node: masters[0]! }], allowUncovered: true });
    expect(map.coveredSlots).toBe(8192);
    expect(map.ownerOfSlot(12182)).toBeUndefined();
    expect(map.replicasOf(12182)).toEqual([]);
    expect(() => map.locate('foo')).toThrow(
      expect.objectContaining({ code: 'E_NODE_UNAVAILABLE', key: 'foo' }),
    );
    expect(() => map.locateN('foo', 1)).toThrow(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
    expect(map.locate('hello')).toBe(masters[0]); // slot 866
  });

  it('keeps replicas per master, merged over its ranges', () => {
    const [a, b] = masters as [string, string];
    const map = slotMap({
      ranges: [
        { start: 0, end: 99, node: a, replicas: ['10.0.1.1:7000'] },
        { start: 100, end: 199, node: b, replicas: [] },
        { start: 200, end: 16383, node: a, replicas: ['10.0.1.1:7000', '10.0.1.2:7000'] },
      ],
    });
    expect(map.replicasOf(5)).toEqual(['10.0.1.1:7000', '10.0.1.2:7000']);
    expect(map.replicasOf(150)).toEqual([]);
    expect(map.ranges()).toEqual([
      { start: 0, end: 99, node: a, replicas: ['10.0.1.1:7000', '10.0.1.2:7000'] },
      { start: 100, end: 199, node: b, replicas: [] },
      { start: 200, end: 16383, node: a, replicas: ['10.0.1.1:7000', '10.0.1.2:7000'] },
    ]);
    expect(map.slotsOf(a)).toEqual([
      { start: 0, end: 99 },
      { start: 200, end: 16383 },
    ]);
    expect(() => map.slotsOf('10.9.9.9:1')).toThrow(config);
  });
});

describe('slotMap topology changes', () => {
  const map = slotMap(masters);

  it('withNode adds a master with no slots: no key moves', () => {
    const grown = map.withNode('10.0.0.4:7000');
    expect(grown.nodes).toHaveLength(4);
    expect(grown.slotsOf('10.0.0.4:7000')).toEqual([]);
    for (let slot = 0; slot < SLOT_COUNT; slot += 97)
      expect(grown.ownerOfSlot(slot)).toBe(map.ownerOfSlot(slot));
    expect(() => map.withNode(masters[0]!)).toThrow(config);
  });

  it('withoutNode refuses a master that still owns slots, and re-indexes after removal', () => {
    expect(() => map.withoutNode(masters[0]!)).toThrow(/move them to other masters first/);
    expect(() => map.withoutNode('10.9.9.9:1')).toThrow(config);
    const emptied = map.withSlots([{ start: 0, end: 5460, from: masters[0]!, to: masters[1]! }]);
    const shrunk = emptied.withoutNode(masters[0]!);
    expect(shrunk.nodes.map((node) => node.id)).toEqual(masters.slice(1));
    for (let slot = 0; slot < SLOT_COUNT; slot += 31)
      expect(shrunk.ownerOfSlot(slot)).toBe(emptied.ownerOfSlot(slot));
    const lone = slotMap({ ranges: [{ start: 0, end: 16383, node: masters[0]! }], masters: [masters[1]!] });
    expect(() => lone.withoutNode(masters[0]!)).toThrow(config);
    expect(() => lone.withoutNode(masters[1]!).withoutNode(masters[0]!)).toThrow(config);
  });

  it('withWeight is a ConfigError: weights are not a slot-map concept', () => {
    expect(() => map.withWeight(masters[0]!, 2)).toThrow(/no weights/);
  });

  it('withSlots moves ranges, checks from, and leaves the original untouched', () => {
    const moved = map.withSlots([{ start: 10, end: 19, from: masters[0]!, to: masters[2]! }]);
    expect(moved.ownerOfSlot(15)).toBe(masters[2]);
    expect(map.ownerOfSlot(15)).toBe(masters[0]);
    expect(() => map.withSlots([{ start: 10, end: 19, from: masters[1]!, to: masters[2]! }])).toThrow(
      /stale/,
    );
    expect(() => map.withSlots([{ start: 10, end: 19, from: masters[0]!, to: '10.9.9.9:1' }])).toThrow(
      config,
    );
    expect(() => map.withSlots([{ start: 19, end: 10, from: masters[0]!, to: masters[2]! }])).toThrow(config);
  });
});
