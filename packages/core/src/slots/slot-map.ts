import { ConfigError, NodeUnavailableError } from '../errors.js';
import { type CacheNode, type NodeSpec, parseNodeList, parseNodeSpec } from '../node-spec.js';
import { assertKey, assertReplicaCount } from '../ring/checks.js';
import type { Partitioner } from '../ring/partitioner.js';
import { assertSlot, keySlot } from './key-slot.js';
// plan-rebalance.ts imports only types from this file, so the two modules load in either order.
import { planRebalance } from './plan-rebalance.js';
import {
  buildOwnerTable,
  evenSplit,
  type IndexedRange,
  runsOf,
  type SlotSpan,
  UNASSIGNED,
} from './slot-ranges.js';

/** One range of a slot map as users write it. Bounds are inclusive, like CLUSTER SLOTS. */
export interface SlotRangeSpec {
  start: number;
  end: number;
  /** The master serving the range. */
  node: NodeSpec;
  /** The master's replicas, for reads. Replicas belong to a master: lists of its ranges are merged. */
  replicas?: readonly NodeSpec[];
}

export interface SlotMapInput {
  ranges: readonly SlotRangeSpec[];
  /** Masters that own no slots yet (a node added before a rebalance). */
  masters?: readonly NodeSpec[];
  /**
   * Accept ranges that leave slots uncovered; `locate` of such a slot throws E_NODE_UNAVAILABLE.
   * `fromClusterSlots` sets it, because a cluster in the middle of a failure reports gaps.
   * @default false
   */
  allowUncovered?: boolean;
}

/** A maximal run of slots with one owner, as `ranges()` reports it. */
export interface SlotRange {
  readonly start: number;
  readonly end: number;
  /** The master's id (`host:port`). */
  readonly node: string;
  /** The master's replica ids, in the order first reported. */
  readonly replicas: readonly string[];
}

/** Slots `start`–`end` (inclusive) change owner from master `from` to master `to`. */
export interface SlotMove {
  readonly start: number;
  readonly end: number;
  readonly from: string;
  readonly to: string;
}

/**
 * Redis Cluster's partitioning as a {@link Partitioner}: a key belongs to the master owning
 * `keySlot(key)`. `nodes` are the masters.
 */
export interface SlotMap extends Partitioner {
  readonly kind: 'slots';
  /** How many of the 16384 slots have an owner; less than 16384 only for partial maps. */
  readonly coveredSlots: number;
  /**
   * The master owning `key`'s slot.
   * @throws InvalidKeyError when `key` is not a string
   * @throws NodeUnavailableError (E_NODE_UNAVAILABLE) when no master serves the slot
   */
  locate(key: string): string;
  /**
   * `n` distinct masters: the owner of `key`'s slot first, then the owners met walking slot
   * ranges upward from that slot (wrapping at 16383), then masters owning no slots in node
   * order. Deterministic, and the same for all keys of one slot.
   * @throws ConfigError when `n` is not an integer from 1 to the master count
   * @throws NodeUnavailableError when no master serves the key's slot
   */
  locateN(key: string, n: number): string[];
  /**
   * The master owning `slot`, or `undefined` when the slot is uncovered.
   * @throws ConfigError when `slot` is not an integer from 0 to 16383
   */
  ownerOfSlot(slot: number): string | undefined;
  /**
   * The replicas of the master owning `slot` (empty when none or uncovered).
   * @throws ConfigError when `slot` is not an integer from 0 to 16383
   */
  replicasOf(slot: number): readonly string[];
  /**
   * The ranges master `nodeId` owns, in slot order; empty for a master without slots.
   * @throws ConfigError when `nodeId` is not a master of this map
   */
  slotsOf(nodeId: string): SlotSpan[];
  /** Maximal runs of one owner in slot order; uncovered slots are left out. */
  ranges(): SlotRange[];
  /**
   * A new map with one more master that owns no slots until slots are moved to it
   * (`withSlots`, `planRebalance`). Keys do not move.
   * @throws ConfigError on a bad spec or a duplicate id
   */
  withNode(node: NodeSpec): SlotMap;
  /**
   * A new map without master `id`, which must own no slots.
   * @throws ConfigError when `id` is unknown, still owns slots (move them first), or is the last master
   */
  withoutNode(id: string): SlotMap;
  /**
   * Always throws: a slot map has no weights; a master's share is the slots it owns.
   * @throws ConfigError always
   */
  withWeight(id: string, weight: number): SlotMap;
  /**
   * A new map with slot ranges reassigned. Each move's `from` must own every slot of its range
   * (guards against applying a stale plan) and `to` must be a master of this map.
   * @throws ConfigError on bad bounds, an unknown master, or a slot `from` does not own
   */
  withSlots(moves: readonly SlotMove[]): SlotMap;
  /**
   * The minimal slot moves that even out ownership over `targetNodes` (default: this map's
   * masters): `planRebalance(this, targetNodes)`, see there.
   * @throws ConfigError as {@link planRebalance}
   */
  planRebalance(targetNodes?: readonly NodeSpec[]): SlotMove[];
}

/**
 * Builds a Redis Cluster slot map.
 *
 * - `slotMap(nodes)`: the masters split the 16384 slots in contiguous ranges exactly as
 *   `redis-cli --cluster create` would (see `evenSplit`).
 * - `slotMap({ ranges })`: explicit ranges, which must cover every slot exactly once unless
 *   `allowUncovered` is set.
 *
 * Masters are listed in `nodes` in the order they are first named (ranges in the given order,
 * then `masters`). Weights in node specs are ignored: ownership is by slot.
 *
 * @throws ConfigError on an empty or duplicate node list, more than `MAX_SPLIT_MASTERS` for a split,
 *   bad bounds, overlapping ranges or (without `allowUncovered`) uncovered slots
 */
export function slotMap(input: readonly NodeSpec[] | SlotMapInput): SlotMap {
  if (isNodeList(input)) {
    const nodes = parseNodeList(input);
    const ranges = evenSplit(nodes.length).map((span, owner) => ({ ...span, owner }));
    return new SlotTable(
      nodes,
      buildOwnerTable(ranges, true),
      nodes.map(() => []),
    );
  }
  if (typeof input !== 'object' || input === null || !Array.isArray(input.ranges)) {
    throw new ConfigError('slotMap takes a node list or { ranges: [{ start, end, node }] }');
  }
  const { ranges, masters = [], allowUncovered = false } = input;
  const nodes: CacheNode[] = [];
  const replicas: string[][] = [];
  const indexOf = new Map<string, number>();
  const addMaster = (spec: NodeSpec): number => {
    const node = parseNodeSpec(spec);
    let index = indexOf.get(node.id);
    if (index === undefined) {
      index = nodes.length;
      indexOf.set(node.id, index);
      nodes.push(node);
      replicas.push([]);
    }
    return index;
  };
  const indexed: IndexedRange[] = ranges.map((range) => {
    const owner = addMaster(range.node);
    const known = replicas[owner]!;
    for (const replica of range.replicas ?? []) {
      const id = parseNodeSpec(replica).id;
      if (!known.includes(id)) known.push(id);
    }
    return { start: range.start, end: range.end, owner };
  });
  for (const master of masters) {
    const { id } = parseNodeSpec(master);
    if (indexOf.has(id))
      throw new ConfigError(`master ${id} appears twice (in masters, or in masters and ranges)`);
    addMaster(master);
  }
  if (nodes.length === 0) throw new ConfigError('a slot map needs at least one master');
  return new SlotTable(nodes, buildOwnerTable(indexed, !allowUncovered), replicas);
}

// Array.isArray does not narrow a readonly array out of a union; this guard does.
function isNodeList(input: readonly NodeSpec[] | SlotMapInput): input is readonly NodeSpec[] {
  return Array.isArray(input);
}

class SlotTable implements SlotMap {
  readonly kind = 'slots';
  readonly nodes: readonly CacheNode[];
  readonly coveredSlots: number;
  /** Slot → index into `nodes`, or UNASSIGNED (32 KiB). Never written after construction, so maps share it. */
  private readonly owners: Uint16Array;
  /** Replica ids per master, indexed like `nodes`. */
  private readonly replicaIds: readonly (readonly string[])[];
  /** Runs of one owner (uncovered runs included), for `locateN`'s walk and `ranges()`. */
  private readonly runs: IndexedRange[];

  constructor(nodes: readonly CacheNode[], owners: Uint16Array, replicaIds: readonly (readonly string[])[]) {
    if (nodes.length >= UNASSIGNED)
      throw new ConfigError(`a slot map holds at most ${UNASSIGNED - 1} masters`);
    this.nodes = Object.freeze([...nodes]);
    this.owners = owners;
    // Frozen because replicasOf() and ranges() hand these lists out without copying.
    this.replicaIds = replicaIds.map((list) => (Object.isFrozen(list) ? list : Object.freeze([...list])));
    this.runs = runsOf(owners);
    this.coveredSlots = this.runs.reduce(
      (sum, run) => (run.owner === UNASSIGNED ? sum : sum + run.end - run.start + 1),
      0,
    );
  }

  locate(key: string): string {
    assertKey(key);
    return this.idAt(this.ownerIndex(keySlot(key), key));
  }

  locateN(key: string, n: number): string[] {
    assertKey(key);
    assertReplicaCount(n, this.nodes.length);
    const slot = keySlot(key);
    const chosen = [this.ownerIndex(slot, key)];
    const first = this.runIndexOf(slot);
    // Walking runs (not slots) keeps this O(runs), and a cluster has few runs.
    for (let step = 1; step < this.runs.length && chosen.length < n; step++) {
      const owner = this.runs[(first + step) % this.runs.length]!.owner;
      if (owner !== UNASSIGNED && !chosen.includes(owner)) chosen.push(owner);
    }
    for (let index = 0; index < this.nodes.length && chosen.length < n; index++) {
      if (!chosen.includes(index)) chosen.push(index);
    }
    return chosen.map((index) => this.idAt(index));
  }

  ownerOfSlot(slot: number): string | undefined {
    assertSlot(slot);
    const owner = this.owners[slot]!;
    return owner === UNASSIGNED ? undefined : this.idAt(owner);
  }

  replicasOf(slot: number): readonly string[] {
    assertSlot(slot);
    const owner = this.owners[slot]!;
    return owner === UNASSIGNED ? [] : this.replicaIds[owner]!;
  }

  slotsOf(nodeId: string): SlotSpan[] {
    const index = this.indexOf(nodeId);
    return this.runs.filter((run) => run.owner === index).map(({ start, end }) => ({ start, end }));
  }

  ranges(): SlotRange[] {
    return this.runs
      .filter((run) => run.owner !== UNASSIGNED)
      .map((run) => ({
        start: run.start,
        end: run.end,
        node: this.idAt(run.owner),
        replicas: this.replicaIds[run.owner]!,
      }));
  }

  withNode(node: NodeSpec): SlotMap {
    const added = parseNodeSpec(node);
    if (this.nodes.some((existing) => existing.id === added.id)) {
      throw new ConfigError(`node ${added.id} is already a master of this slot map`);
    }
    return new SlotTable([...this.nodes, added], this.owners, [...this.replicaIds, []]);
  }

  withoutNode(id: string): SlotMap {
    const removed = this.indexOf(id);
    const owned = this.slotsOf(id);
    if (owned.length > 0) {
      const count = owned.reduce((sum, span) => sum + span.end - span.start + 1, 0);
      throw new ConfigError(
        `node ${id} still owns ${count} slots: move them to other masters first (withSlots, planRebalance)`,
      );
    }
    if (this.nodes.length === 1) throw new ConfigError(`node ${id} is the last master of this slot map`);
    // Indexes above the removed node shift down by one; UNASSIGNED is above all of them and stays.
    const owners = this.owners.map((owner) => (owner > removed && owner !== UNASSIGNED ? owner - 1 : owner));
    return new SlotTable(
      this.nodes.filter((_, index) => index !== removed),
      owners,
      this.replicaIds.filter((_, index) => index !== removed),
    );
  }

  withWeight(id: string, _weight: number): SlotMap {
    throw new ConfigError(
      `a slot map has no weights (node ${id}): a master's share is the slots it owns; move slots with withSlots or planRebalance`,
    );
  }

  withSlots(moves: readonly SlotMove[]): SlotMap {
    const owners = this.owners.slice();
    moves.forEach((move, index) => {
      assertSlot(move.start, `moves[${index}].start`);
      assertSlot(move.end, `moves[${index}].end`);
      if (move.start > move.end) throw new ConfigError(`moves[${index}]: start is after end`);
      const from = this.indexOf(move.from);
      const to = this.indexOf(move.to);
      for (let slot = move.start; slot <= move.end; slot++) {
        if (owners[slot] !== from) {
          throw new ConfigError(
            `moves[${index}]: slot ${slot} is not owned by ${move.from} (the plan may be stale)`,
          );
        }
        owners[slot] = to;
      }
    });
    return new SlotTable(this.nodes, owners, this.replicaIds);
  }

  planRebalance(targetNodes?: readonly NodeSpec[]): SlotMove[] {
    return planRebalance(this, targetNodes);
  }

  private ownerIndex(slot: number, key: string): number {
    const owner = this.owners[slot]!;
    if (owner === UNASSIGNED) {
      throw new NodeUnavailableError(`no master serves slot ${slot}: the cluster does not cover it`, { key });
    }
    return owner;
  }

  private idAt(index: number): string {
    return this.nodes[index]!.id;
  }

  private indexOf(nodeId: string): number {
    const index = this.nodes.findIndex((node) => node.id === nodeId);
    if (index === -1) throw new ConfigError(`node ${nodeId} is not a master of this slot map`);
    return index;
  }

  /** Binary search for the run holding `slot`. */
  private runIndexOf(slot: number): number {
    let low = 0;
    let high = this.runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.runs[middle]!.start <= slot) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
