import { ConfigError } from '../errors.js';
import { murmur3 } from '../hashing/murmur3.js';
import { type CacheNode, type NodeSpec, parseNodeList, parseNodeSpec } from '../node-spec.js';
import { assertKey, assertReplicaCount } from './checks.js';
import type { Partitioner } from './partitioner.js';

export interface HashRingOptions {
  /**
   * Points per node at weight 1; a node of weight w gets `round(vnodes * w)` points. More points
   * even out ownership (the spread of a node's share shrinks as 1/sqrt(vnodes)) at the cost of
   * memory (8 bytes a point) and a slightly deeper binary search.
   * @default 4096 — picked by measurement (`npm run bench -- ring-defaults`, docs/benchmarks.md):
   * at 10 nodes, the 95th percentile of max/mean over 20 random node-name sets is 1.033, against
   * 1.050 at 2048, 1.070 at 1024 and 1.228 at 160 (ketama's count). Fewer points look up faster
   * (a smaller table stays in the CPU cache: 1.4× at 512) but miss the 1.05 balance target.
   */
  vnodes?: number;
}

export const DEFAULT_VNODES = 4096;

/**
 * Consistent hashing with virtual nodes and weights.
 *
 * Each node gets `round(vnodes × weight)` points at `murmur3('<name>#<i>')`, where `name` is the
 * node spec's `name` or its `host:port`; a key is owned by the first point clockwise from
 * `murmur3(key)` (UTF-8 bytes). murmur3 because it measured the fastest candidate (9× fnv1a_64,
 * 20× md5, both of which need the key's bytes copied out first) and as even as md5, where
 * fnv1a_64 leaves nodes far from even. Weights are absolute rather than normalised, so adding or
 * removing a node never moves the other nodes' points: only keys of the changed node move.
 *
 * Properties: deterministic across processes; adding a node moves about `w_new / Σw` of keys,
 * all to the new node; removing a node moves only its keys; `withWeight` moves keys only to or
 * from the re-weighted node. Supports every Partitioner operation.
 *
 * @throws ConfigError on an empty node list, duplicate ids, bad weights or a bad `vnodes`
 */
export function hashRing(nodes: readonly NodeSpec[], options: HashRingOptions = {}): Partitioner {
  const vnodes = options.vnodes ?? DEFAULT_VNODES;
  if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 65536) {
    throw new ConfigError(`vnodes must be an integer from 1 to 65536, got ${String(vnodes)}`);
  }
  return new HashRing(parseNodeList(nodes), vnodes);
}

class HashRing implements Partitioner {
  readonly kind = 'consistent';
  readonly nodes: readonly CacheNode[];
  private readonly ids: string[];
  /** Sorted point positions; `owners[i]` is the index of the node owning `points[i]`. */
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;
  /**
   * `buckets[b]` is the first point whose top 16 bits are ≥ b. A lookup binary-searches only the
   * few points sharing its hash's top bits instead of the whole ring: 2.7× the lookups per CPU-s
   * of one search over all 40,960 points of a 10-node ring (`npm run bench -- ring-defaults`,
   * "no bucket index"), for 256 KiB per ring.
   */
  private readonly buckets: Uint32Array;

  constructor(
    nodes: readonly CacheNode[],
    private readonly vnodes: number,
  ) {
    if (nodes.length > 65535) throw new ConfigError('a hash ring holds at most 65535 nodes');
    this.nodes = Object.freeze([...nodes]);
    this.ids = nodes.map((node) => node.id);
    const placed = placePoints(nodes, vnodes);
    this.points = placed.points;
    this.owners = placed.owners;
    this.buckets = bucketIndex(placed.points);
  }

  locate(key: string): string {
    assertKey(key);
    return this.ids[this.owners[this.pointIndex(murmur3(key))]!]!;
  }

  locateN(key: string, n: number): string[] {
    assertKey(key);
    assertReplicaCount(n, this.ids.length);
    const found: string[] = [];
    const seen = new Uint8Array(this.ids.length);
    const total = this.points.length;
    // Walk clockwise from the key's point, collecting each node the first time it shows up.
    for (let step = 0, index = this.pointIndex(murmur3(key)); found.length < n && step < total; step++) {
      const owner = this.owners[(index + step) % total]!;
      if (seen[owner] === 0) {
        seen[owner] = 1;
        found.push(this.ids[owner]!);
      }
    }
    return found;
  }

  withNode(spec: NodeSpec): Partitioner {
    return new HashRing(parseNodeList([...this.nodes, parseNodeSpec(spec)]), this.vnodes);
  }

  withoutNode(id: string): Partitioner {
    const rest = this.nodes.filter((node) => node.id !== id);
    if (rest.length === this.nodes.length) throw new ConfigError(`node ${id} is not on the ring`);
    if (rest.length === 0) throw new ConfigError('cannot remove the last node of a ring');
    return new HashRing(rest, this.vnodes);
  }

  withWeight(id: string, weight: number): Partitioner {
    if (!this.ids.includes(id)) throw new ConfigError(`node ${id} is not on the ring`);
    const nodes = this.nodes.map((node) => (node.id === id ? parseNodeSpec({ ...node, weight }) : node));
    return new HashRing(nodes, this.vnodes);
  }

  /** Index of the first point at or after `hash`, wrapping past the top of the ring to 0. */
  private pointIndex(hash: number): number {
    const points = this.points;
    const bucket = hash >>> 16;
    let low = this.buckets[bucket]!;
    let high = this.buckets[bucket + 1]!;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < hash) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }
}

function bucketIndex(points: Uint32Array): Uint32Array {
  const buckets = new Uint32Array(65537);
  let point = 0;
  for (let bucket = 0; bucket <= 65536; bucket++) {
    while (point < points.length && points[point]! >>> 16 < bucket) point++;
    buckets[bucket] = point;
  }
  return buckets;
}

function placePoints(
  nodes: readonly CacheNode[],
  vnodes: number,
): { points: Uint32Array; owners: Uint16Array } {
  const counts = nodes.map((node) => Math.max(1, Math.round(vnodes * node.weight)));
  const total = counts.reduce((sum, count) => sum + count, 0);
  // Packed as position * 2^16 + owner so one numeric sort orders by position and breaks ties
  // between nodes deterministically (by node order is not stable across lists; by id is).
  const order = nodes.map((_, index) => index).sort((a, b) => (nodes[a]!.id < nodes[b]!.id ? -1 : 1));
  const rank = new Uint16Array(nodes.length);
  order.forEach((nodeIndex, position) => {
    rank[nodeIndex] = position;
  });
  const packed = new Float64Array(total);
  let next = 0;
  nodes.forEach((node, nodeIndex) => {
    const label = node.name ?? node.id;
    for (let point = 0; point < counts[nodeIndex]!; point++) {
      packed[next++] = murmur3(`${label}#${point}`) * 65536 + rank[nodeIndex]!;
    }
  });
  packed.sort();
  const points = new Uint32Array(total);
  const owners = new Uint16Array(total);
  for (let index = 0; index < total; index++) {
    const value = packed[index]!;
    const ownerRank = value % 65536;
    points[index] = (value - ownerRank) / 65536;
    owners[index] = order[ownerRank]!;
  }
  return { points, owners };
}
