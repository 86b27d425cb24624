import { type AdapterNode, murmur3, type Partitioner, type SlotMap } from '@ringcache/core';

export interface RingArc {
  node: string;
  /** Fractions of the circle, 0 ≤ start < end ≤ 1, clockwise from the top. */
  start: number;
  end: number;
}

export interface RingView {
  partitioner: string;
  /**
   * How arcs were found: `'exact'` from the engine's slot or partition table, `'sampled'` from
   * keys hashed onto the circle, `'share'` when the circle is not known (jump and rendezvous
   * have none; ketama keeps its key hash private): one arc per node, as wide as its share.
   */
  method: 'exact' | 'sampled' | 'share';
  nodes: (AdapterNode & { share: number })[];
  arcs: RingArc[];
}

const SAMPLES = 60_000;
const BUCKETS = 2048;
const UINT32 = 2 ** 32;

/** Where a key sits on the circle, for partitioners that place keys by a hash. */
type Position = (key: string) => number;

/**
 * The ring as the dashboard draws it: arcs of the circle owned by each node, and each node's
 * share of keys, computed from the adapter's topology (the `Partitioner` contract), so the same
 * code draws a hash ring, a Redis Cluster slot map or Hazelcast's partitions.
 */
export function ringView(topology: Partitioner, nodes: readonly AdapterNode[]): RingView {
  const units = unitOwners(topology);
  if (units !== undefined) {
    return view(topology, nodes, 'exact', units, shareOf(units));
  }
  const position = positionOf(topology);
  const counts = new Map<string, number>();
  const buckets =
    position === undefined ? undefined : Array.from({ length: BUCKETS }, () => new Map<string, number>());
  for (let index = 0; index < SAMPLES; index++) {
    const key = `ring-sample:${index}`;
    let owner: string;
    try {
      owner = topology.locate(key);
    } catch {
      continue; // an engine without a table yet: the key has no owner
    }
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    if (buckets === undefined || position === undefined) continue;
    const bucket = buckets[Math.min(BUCKETS - 1, Math.floor(position(key) * BUCKETS))]!;
    bucket.set(owner, (bucket.get(owner) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0) || 1;
  const share = (id: string) => (counts.get(id) ?? 0) / total;
  if (buckets !== undefined) {
    const owners = buckets.map((bucket) => majority(bucket));
    // An empty bucket takes its predecessor's owner, so the circle has no gaps.
    for (let index = 0; index < owners.length; index++) owners[index] ??= owners[index - 1] ?? owners.at(-1);
    return view(topology, nodes, 'sampled', owners, share);
  }
  let start = 0;
  const arcs: RingArc[] = [];
  for (const node of topology.nodes) {
    const end = start + share(node.id);
    if (end > start) arcs.push({ node: node.id, start, end });
    start = end;
  }
  return { partitioner: topology.kind, method: 'share', nodes: withShares(nodes, share), arcs };
}

/** Slot and partition tables: the owner of each unit, in order around the circle. */
function unitOwners(topology: Partitioner): (string | undefined)[] | undefined {
  // Checked by method, not only by kind: an adapter may wrap its map (a key prefix) and keep the kind.
  const slots = topology as Partial<SlotMap>;
  if (topology.kind === 'slots' && typeof slots.ownerOfSlot === 'function') {
    return Array.from({ length: 16384 }, (_, slot) => slots.ownerOfSlot!(slot));
  }
  const partitions = topology as Partial<{
    partitionCount: number;
    ownerOfPartition(partition: number): string | undefined;
  }>;
  if (typeof partitions.ownerOfPartition === 'function' && (partitions.partitionCount ?? 0) > 0) {
    return Array.from({ length: partitions.partitionCount! }, (_, partition) =>
      partitions.ownerOfPartition!(partition),
    );
  }
  return undefined;
}

function positionOf(topology: Partitioner): Position | undefined {
  // hashRing places a key at murmur3(key); ketama's key hash is private to it (drawn by share).
  if (topology.kind === 'consistent') return (key) => murmur3(key) / UINT32;
  return undefined;
}

function shareOf(units: readonly (string | undefined)[]): (id: string) => number {
  const counts = new Map<string, number>();
  for (const owner of units) if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return (id) => (counts.get(id) ?? 0) / units.length;
}

function view(
  topology: Partitioner,
  nodes: readonly AdapterNode[],
  method: 'exact' | 'sampled',
  owners: readonly (string | undefined)[],
  share: (id: string) => number,
): RingView {
  const arcs: RingArc[] = [];
  for (let index = 0; index < owners.length; index++) {
    const owner = owners[index];
    if (owner === undefined) continue;
    const start = index / owners.length;
    const end = (index + 1) / owners.length;
    const last = arcs.at(-1);
    if (last !== undefined && last.node === owner && last.end === start) last.end = end;
    else arcs.push({ node: owner, start, end });
  }
  return { partitioner: topology.kind, method, nodes: withShares(nodes, share), arcs };
}

function withShares(nodes: readonly AdapterNode[], share: (id: string) => number) {
  return nodes.map((node) => ({
    id: node.id,
    address: node.address,
    status: node.status,
    share: share(node.id),
  }));
}

function majority(counts: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [owner, count] of counts) {
    if (count > bestCount) {
      best = owner;
      bestCount = count;
    }
  }
  return best;
}
