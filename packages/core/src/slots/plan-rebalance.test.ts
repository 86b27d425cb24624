import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOT_COUNT } from './key-slot.js';
import { applyRebalance, planRebalance, rebalanceTargets } from './plan-rebalance.js';
import { type SlotMap, type SlotRangeSpec, slotMap } from './slot-map.js';

const config = expect.objectContaining({ code: 'E_CONFIG' });

/** A random fully covered map over up to 8 masters, and a random target set: some kept, some new. */
const scenario = fc
  .record({
    nodeCount: fc.integer({ min: 1, max: 8 }),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 40 }),
    owners: fc.array(fc.nat(), { minLength: 1, maxLength: 41 }),
    keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    added: fc.integer({ min: 0, max: 3 }),
  })
  .filter(({ nodeCount, keep, added }) => added > 0 || keep.slice(0, nodeCount).some(Boolean))
  .map(({ nodeCount, cuts, owners, keep, added }) => {
    const bounds = [0, ...cuts.sort((a, b) => a - b), SLOT_COUNT];
    const ids = Array.from({ length: nodeCount }, (_, index) => `10.1.0.${index}:6379`);
    const ranges: SlotRangeSpec[] = bounds.slice(1).map((next, index) => ({
      start: bounds[index]!,
      end: next - 1,
      node: ids[owners[index % owners.length]! % nodeCount]!,
    }));
    const map = slotMap({ ranges, masters: ids.filter((id) => !ranges.some((range) => range.node === id)) });
    const targets = [
      ...ids.filter((_, index) => keep[index]),
      ...Array.from({ length: added }, (_, index) => `10.9.0.${index}:6379`),
    ];
    return { map, targets };
  });

function ownedCounts(map: SlotMap): Map<string, number> {
  const counts = new Map(map.nodes.map((node) => [node.id, 0]));
  for (const range of map.ranges())
    counts.set(range.node, counts.get(range.node)! + range.end - range.start + 1);
  return counts;
}

/**
 * The fewest slots any balanced assignment must move, computed without the planner: every slot
 * of a dropped master, plus each kept master's excess over the floor, minus one for each master
 * above the floor that can take one of the `16384 mod N` larger shares.
 */
function minimumMoves(map: SlotMap, targets: readonly string[]): number {
  const owned = ownedCounts(map);
  const base = Math.floor(SLOT_COUNT / targets.length);
  const extra = SLOT_COUNT % targets.length;
  let moves = 0;
  for (const [id, count] of owned) if (!targets.includes(id)) moves += count;
  const above = targets.filter((id) => (owned.get(id) ?? 0) > base);
  for (const id of above) moves += (owned.get(id) ?? 0) - base;
  return moves - Math.min(extra, above.length);
}

describe('planRebalance', () => {
  it('moves exactly sum(max(0, owned - target)) slots, the minimum possible', () => {
    fc.assert(
      fc.property(scenario, ({ map, targets }) => {
        const plan = planRebalance(map, targets);
        const moved = plan.reduce((sum, move) => sum + move.end - move.start + 1, 0);
        const owned = ownedCounts(map);
        const goal = rebalanceTargets(map, targets);
        let surplus = 0;
        for (const [id, target] of goal) surplus += Math.max(0, (owned.get(id) ?? 0) - target);
        return moved === surplus && moved === minimumMoves(map, targets);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves every target master with floor or ceil of 16384 / N, and drops the others', () => {
    fc.assert(
      fc.property(scenario, ({ map, targets }) => {
        const balanced = applyRebalance(map, targets);
        const floor = Math.floor(SLOT_COUNT / targets.length);
        const owned = ownedCounts(balanced);
        expect([...owned.keys()].sort()).toEqual([...targets].sort());
        expect(balanced.coveredSlots).toBe(SLOT_COUNT);
        for (const count of owned.values()) expect(count === floor || count === floor + 1).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('moves only from over-full to under-full masters, in maximal sorted ranges', () => {
    fc.assert(
      fc.property(scenario, ({ map, targets }) => {
        const plan = planRebalance(map, targets);
        const owned = ownedCounts(map);
        const goal = rebalanceTargets(map, targets);
        return plan.every((move, index) => {
          const next = plan[index + 1];
          const mergeable =
            next !== undefined &&
            next.start === move.end + 1 &&
            next.from === move.from &&
            next.to === move.to;
          return (
            owned.get(move.from)! > goal.get(move.from)! &&
            (owned.get(move.to) ?? 0) < goal.get(move.to)! &&
            map.slotsOf(move.from).some((span) => span.start <= move.start && move.end <= span.end) &&
            (next === undefined || next.start > move.end) &&
            !mergeable
          );
        });
      }),
      { numRuns: 200 },
    );
  });

  it('is empty for a map that is already balanced', () => {
    const masters = ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'];
    expect(planRebalance(slotMap(masters))).toEqual([]);
    expect(planRebalance(slotMap(masters), [...masters].reverse())).toEqual([]);
  });

  it('fills a new master from the top of each existing master', () => {
    const masters = ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'];
    const plan = planRebalance(slotMap(masters), [...masters, '127.0.0.1:7003']);
    // 5461/5462/5461 slots → 4096 each: the old masters give 1365, 1366, 1365 from their tops.
    expect(plan).toEqual([
      { start: 4096, end: 5460, from: masters[0], to: '127.0.0.1:7003' },
      { start: 9557, end: 10922, from: masters[1], to: '127.0.0.1:7003' },
      { start: 15019, end: 16383, from: masters[2], to: '127.0.0.1:7003' },
    ]);
  });

  it('uses the map masters by default, including ones without slots', () => {
    const map = slotMap(['127.0.0.1:7000', '127.0.0.1:7001']).withNode('127.0.0.1:7002');
    const balanced = applyRebalance(map);
    // 8192/8192/0: the larger share goes to the first of the two biggest owners (saves a move).
    expect([...ownedCounts(balanced).values()]).toEqual([5462, 5461, 5461]);
  });

  it('is also a method of the map: map.planRebalance(targets) is planRebalance(map, targets)', () => {
    fc.assert(
      fc.property(scenario, ({ map, targets }) => {
        const plan = map.planRebalance(targets);
        expect(plan).toEqual(planRebalance(map, targets));
        expect(map.planRebalance()).toEqual(planRebalance(map));
      }),
      { numRuns: 50 },
    );
    const masters = ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'];
    expect(slotMap(masters).planRebalance([...masters, '127.0.0.1:7003'])).toHaveLength(3);
    expect(() => slotMap(masters).planRebalance([])).toThrow(config);
  });

  it('rejects a partial map, an empty or duplicate target list', () => {
    const partial = slotMap({
      ranges: [{ start: 0, end: 99, node: '127.0.0.1:7000' }],
      allowUncovered: true,
    });
    expect(() => planRebalance(partial)).toThrow(/assign the missing slots first/);
    const map = slotMap(['127.0.0.1:7000']);
    expect(() => planRebalance(map, [])).toThrow(config);
    expect(() => planRebalance(map, ['127.0.0.1:7001', '127.0.0.1:7001'])).toThrow(config);
  });
});
