import { ConfigError } from '../errors.js';
import { type CacheNode, type NodeSpec, parseNodeList } from '../node-spec.js';
import { SLOT_COUNT } from './key-slot.js';
import type { SlotMap, SlotMove } from './slot-map.js';

/** How many slots each master should own after a rebalance, by node id. */
export type SlotTargets = ReadonlyMap<string, number>;

/**
 * The slot count each master should own so that ownership is even: every target master gets
 * `floor(16384 / N)` or one more, and masters not in `targetNodes` get 0.
 *
 * The `16384 mod N` larger shares go to the masters owning the most slots now (ties: earlier in
 * `targetNodes`), which is what makes the plan minimal: each larger share given to a master above
 * the floor saves one move, and no assignment can save more.
 *
 * @throws ConfigError as {@link planRebalance}
 */
export function rebalanceTargets(map: SlotMap, targetNodes?: readonly NodeSpec[]): SlotTargets {
  return computeTargets(ownedCounts(map), resolveTargets(map, targetNodes));
}

/**
 * The minimal list of slot moves that evens out slot ownership over `targetNodes` (default: the
 * map's masters). New ids in `targetNodes` are new masters; masters left out lose all their slots.
 *
 * - Minimal: the number of slots moved equals the sum over masters of `max(0, owned - target)`
 *   with targets from {@link rebalanceTargets}; no balanced assignment moves fewer.
 * - Slots only move from masters above their target to masters below it, never through a third.
 * - A master above target gives up its highest slots, so what stays with it stays contiguous
 *   where it was; receivers are filled in `targetNodes` order.
 * - Moves are maximal contiguous ranges of one `from` and one `to`, sorted by `start`.
 *
 * Also a method of every slot map: `map.planRebalance(targetNodes)`.
 *
 * Apply it with {@link applyRebalance}, or `map.withNode(...)` for each new master, then
 * `withSlots(plan)`, then `withoutNode(...)` for each dropped one. With Redis, each move is a
 * `CLUSTER SETSLOT ... IMPORTING/MIGRATING`, `MIGRATE`, `SETSLOT ... NODE` sequence.
 *
 * @throws ConfigError when the map does not cover all 16384 slots (fix coverage first), when
 *   `targetNodes` is empty, has duplicates or bad specs, or has more than 16384 masters
 */
export function planRebalance(map: SlotMap, targetNodes?: readonly NodeSpec[]): SlotMove[] {
  const owned = ownedCounts(map);
  const targets = computeTargets(owned, resolveTargets(map, targetNodes));
  // Receivers with their deficits, in targetNodes order. Total surplus equals total deficit
  // (both sides sum to 16384), so the walk below never runs past the last receiver.
  const receivers = [...targets]
    .map(([id, target]) => ({ id, deficit: target - (owned.get(id) ?? 0) }))
    .filter((receiver) => receiver.deficit > 0);
  const moves: SlotMove[] = [];
  let receiver = 0;
  let received = 0;
  for (const node of map.nodes) {
    const surplus = (owned.get(node.id) ?? 0) - (targets.get(node.id) ?? 0);
    if (surplus <= 0) continue;
    for (const slot of highestSlots(map, node.id, surplus)) {
      const to = receivers[receiver]!;
      appendMove(moves, slot, node.id, to.id);
      if (++received === to.deficit) {
        receiver++;
        received = 0;
      }
    }
  }
  return moves.sort((a, b) => a.start - b.start);
}

/**
 * A new map where {@link planRebalance}'s moves are applied: new masters added, slots moved,
 * dropped masters removed. Node specs of new masters are taken from `targetNodes`.
 * @throws ConfigError as {@link planRebalance}
 */
export function applyRebalance(map: SlotMap, targetNodes?: readonly NodeSpec[]): SlotMap {
  const plan = planRebalance(map, targetNodes);
  const targets = resolveTargets(map, targetNodes);
  const known = new Set(map.nodes.map((node) => node.id));
  let result: SlotMap = map;
  for (const node of targets) {
    if (!known.has(node.id)) result = result.withNode(node);
  }
  result = result.withSlots(plan);
  const kept = new Set(targets.map((node) => node.id));
  for (const node of map.nodes) {
    if (!kept.has(node.id)) result = result.withoutNode(node.id);
  }
  return result;
}

function resolveTargets(map: SlotMap, targetNodes: readonly NodeSpec[] | undefined): CacheNode[] {
  if (map.coveredSlots !== SLOT_COUNT) {
    throw new ConfigError(
      `cannot rebalance a map covering ${map.coveredSlots} of ${SLOT_COUNT} slots: assign the missing slots first`,
    );
  }
  const targets = targetNodes === undefined ? [...map.nodes] : parseNodeList(targetNodes);
  if (targets.length > SLOT_COUNT) {
    throw new ConfigError(`cannot balance ${SLOT_COUNT} slots over ${targets.length} masters`);
  }
  return targets;
}

function computeTargets(
  owned: ReadonlyMap<string, number>,
  targets: readonly CacheNode[],
): Map<string, number> {
  const base = Math.floor(SLOT_COUNT / targets.length);
  const extra = SLOT_COUNT % targets.length;
  // Stable sort: ties keep targetNodes order, so the plan is deterministic.
  const byOwned = targets
    .map((node, order) => ({ id: node.id, owned: owned.get(node.id) ?? 0, order }))
    .sort((a, b) => b.owned - a.owned || a.order - b.order);
  const larger = new Set(byOwned.slice(0, extra).map((entry) => entry.id));
  const result = new Map<string, number>();
  for (const node of targets) result.set(node.id, base + (larger.has(node.id) ? 1 : 0));
  for (const id of owned.keys()) if (!result.has(id)) result.set(id, 0);
  return result;
}

/** Slots each master of `map` owns now. */
function ownedCounts(map: SlotMap): Map<string, number> {
  const counts = new Map<string, number>(map.nodes.map((node) => [node.id, 0]));
  for (const range of map.ranges()) {
    counts.set(range.node, counts.get(range.node)! + range.end - range.start + 1);
  }
  return counts;
}

/** The `count` highest slots `id` owns, ascending. */
function highestSlots(map: SlotMap, id: string, count: number): number[] {
  const slots: number[] = [];
  const spans = map.slotsOf(id);
  for (let index = spans.length - 1; index >= 0 && slots.length < count; index--) {
    const span = spans[index]!;
    for (let slot = span.end; slot >= span.start && slots.length < count; slot--) slots.push(slot);
  }
  return slots.reverse();
}

/** Extends the last move when `slot` continues it, else starts a new one. */
function appendMove(moves: SlotMove[], slot: number, from: string, to: string): void {
  const last = moves[moves.length - 1];
  if (last !== undefined && last.end + 1 === slot && last.from === from && last.to === to) {
    moves[moves.length - 1] = { ...last, end: slot };
  } else {
    moves.push({ start: slot, end: slot, from, to });
  }
}
