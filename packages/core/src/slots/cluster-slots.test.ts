import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterSlotsEntry, type ClusterSlotsReply, fromClusterSlots } from './cluster-slots.js';
import { keySlot, SLOT_COUNT } from './key-slot.js';
import { type SlotMap, slotMap } from './slot-map.js';

const config = expect.objectContaining({ code: 'E_CONFIG' });

// The shape Redis 7 returns: [start, end, [ip, port, node id, metadata], ...replicas].
const node = (port: number): [string, number, string, unknown[]] => ['127.0.0.1', port, `id-${port}`, []];
const threeMasters: ClusterSlotsReply = [
  [10923, 16383, node(7002), node(7003)],
  [0, 5460, node(7000), node(7004)],
  [5461, 10922, node(7001), node(7005)],
];

/** What CLUSTER SLOTS would answer for `map`, entries in a shuffled order. */
function toReply(map: SlotMap, order: readonly number[]): ClusterSlotsReply {
  const entries = map.ranges().map((range): ClusterSlotsEntry => {
    const [master, ...replicas] = [range.node, ...range.replicas].map((id) => {
      const colon = id.lastIndexOf(':');
      return [id.slice(0, colon), Number(id.slice(colon + 1)), 'id', []] as const;
    });
    return [range.start, range.end, master!, ...replicas];
  });
  return entries
    .map((entry, index) => ({ entry, key: order[index % order.length]! }))
    .sort((a, b) => a.key - b.key)
    .map(({ entry }) => entry);
}

describe('fromClusterSlots', () => {
  it('builds the map of a 3-master cluster, masters ordered by slot, replicas kept', () => {
    const map = fromClusterSlots(threeMasters);
    expect(map.nodes.map((each) => each.id)).toEqual(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002']);
    expect(map.coveredSlots).toBe(SLOT_COUNT);
    expect(map.locate('foo')).toBe('127.0.0.1:7002'); // slot 12182
    expect(map.replicasOf(12182)).toEqual(['127.0.0.1:7003']);
    expect(map.ranges()).toEqual(
      slotMap(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'])
        .ranges()
        .map((range, index) => ({ ...range, replicas: [`127.0.0.1:${7003 + ((index + 1) % 3)}`] })),
    );
  });

  it('round-trips any slot map through its CLUSTER SLOTS reply', () => {
    const input = fc
      .record({
        cuts: fc.uniqueArray(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 30 }),
        owners: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 31 }),
        replicaCounts: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
        order: fc.array(fc.nat(), { minLength: 1, maxLength: 31 }),
      })
      .map(({ cuts, owners, replicaCounts, order }) => {
        const bounds = [0, ...cuts.sort((a, b) => a - b), SLOT_COUNT];
        const ranges = bounds.slice(1).map((next, index) => {
          const owner = owners[index % owners.length]!;
          const replicas = Array.from({ length: replicaCounts[owner]! }, (_, r) => `10.2.${owner}.${r}:6380`);
          return { start: bounds[index]!, end: next - 1, node: `10.1.0.${owner}:6379`, replicas };
        });
        return { map: slotMap({ ranges }), order };
      });
    fc.assert(
      fc.property(input, ({ map, order }) => {
        const rebuilt = fromClusterSlots(toReply(map, order));
        expect(rebuilt.ranges()).toEqual(map.ranges());
        for (let slot = 0; slot < SLOT_COUNT; slot += 101) {
          expect(rebuilt.ownerOfSlot(slot)).toBe(map.ownerOfSlot(slot));
          expect(rebuilt.replicasOf(slot)).toEqual(map.replicasOf(slot));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('builds a partial map when slots are missing; their keys throw E_NODE_UNAVAILABLE', () => {
    const map = fromClusterSlots([threeMasters[0]!, threeMasters[1]!]);
    expect(map.coveredSlots).toBe(SLOT_COUNT - 5462);
    expect(map.ownerOfSlot(7000)).toBeUndefined();
    expect(map.locate('hello')).toBe('127.0.0.1:7000'); // slot 866
    const missing = Array.from({ length: 100 }, (_, index) => `k${index}`).find(
      (key) => keySlot(key) >= 5461 && keySlot(key) <= 10922,
    )!;
    expect(() => map.locate(missing)).toThrow(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
  });

  it('accepts string numbers, byte hosts, and brackets IPv6 hosts', () => {
    const reply = [
      ['0', '16383', [new TextEncoder().encode('::1'), '7000', 'id'], ['fe80::2', 7001]],
    ] as unknown as ClusterSlotsReply;
    const map = fromClusterSlots(reply);
    expect(map.nodes[0]!.id).toBe('[::1]:7000');
    expect(map.replicasOf(0)).toEqual(['[fe80::2]:7001']);
  });

  it('uses defaultHost for an empty host, and rejects it without one', () => {
    const reply: ClusterSlotsReply = [[0, 16383, ['', 7000, 'id']]];
    expect(() => fromClusterSlots(reply)).toThrow(/defaultHost/);
    expect(fromClusterSlots(reply, { defaultHost: '10.0.0.5' }).nodes[0]!.id).toBe('10.0.0.5:7000');
  });

  it('rejects malformed replies with E_CONFIG', () => {
    const bad: unknown[] = [
      'nope',
      [],
      [[0, 16383]],
      [[0, 16383, ['127.0.0.1']]],
      [[0, 16383, ['127.0.0.1', 'x']]],
      [[0, 16383, [42, 7000]]],
      [[0, 16383, ['?', 7000]]],
      [['a', 16383, ['127.0.0.1', 7000]]],
      [
        [0, 100, ['127.0.0.1', 7000]],
        [100, 16383, ['127.0.0.1', 7001]],
      ],
    ];
    for (const reply of bad) expect(() => fromClusterSlots(reply as ClusterSlotsReply)).toThrow(config);
  });
});
