import {
  type CacheNode,
  ConfigError,
  InvalidKeyError,
  NodeUnavailableError,
  type Partitioner,
} from '@ringcache/core';

/** Marks a partition without a known owner in `owners`. */
export const NO_OWNER = 0xffff;

/**
 * Hazelcast's partitioning as a {@link Partitioner}: a key belongs to the member owning its
 * partition (271 by default). A read-only snapshot of the client's partition table: Hazelcast
 * assigns and migrates partitions itself, so the node-changing operations throw.
 */
export interface HazelcastTopology extends Partitioner {
  readonly kind: 'hazelcast';
  /** The cluster's partition count; 0 before the client first connected. */
  readonly partitionCount: number;
  /**
   * The member owning `key`'s partition (`host:port`).
   * @throws InvalidKeyError when `key` is not a string
   * @throws NodeUnavailableError before the first partition table, or when the partition has no owner
   */
  locate(key: string): string;
  /**
   * `n` distinct members: the owner of `key`'s partition first, then the owners met walking
   * partitions upward from it (wrapping), then members owning none, in member order.
   * Deterministic for one table, and the same for all keys of one partition. Hazelcast does not
   * tell clients its backup replicas, so this is not the backup order.
   * @throws ConfigError when `n` is not an integer from 1 to the member count
   * @throws NodeUnavailableError as `locate`
   */
  locateN(key: string, n: number): string[];
  /**
   * The partition hazelcast-client routes `key` to.
   * @throws NodeUnavailableError before the first partition table
   */
  partitionOf(key: string): number;
  /** The owner of a partition, `undefined` when unassigned or out of range. */
  ownerOfPartition(partitionId: number): string | undefined;
  /** The partitions a member owns, ascending (empty for an unknown id). */
  partitionsOf(nodeId: string): number[];
  /** @throws ConfigError always: Hazelcast adds members itself */
  withNode(): never;
  /** @throws ConfigError always: Hazelcast removes members itself */
  withoutNode(): never;
  /** @throws ConfigError always: a member's share is the partitions it owns */
  withWeight(): never;
}

/**
 * Builds a snapshot. `owners[p]` is the index in `nodes` of partition `p`'s owner, or
 * NO_OWNER; `partitionIdOf` maps a key to its partition (it must match the client's routing).
 */
export function hazelcastTopology(
  nodes: readonly CacheNode[],
  owners: Uint16Array,
  partitionIdOf: (key: string) => number,
): HazelcastTopology {
  return new PartitionTable(nodes, owners, partitionIdOf);
}

class PartitionTable implements HazelcastTopology {
  readonly kind = 'hazelcast';
  readonly nodes: readonly CacheNode[];
  readonly partitionCount: number;
  private lastKey: string | undefined;
  private lastPartition = 0;

  constructor(
    nodes: readonly CacheNode[],
    private readonly owners: Uint16Array,
    private readonly partitionIdOf: (key: string) => number,
  ) {
    this.nodes = Object.freeze([...nodes]);
    this.partitionCount = owners.length;
  }

  locate(key: string): string {
    const owner = this.owners[this.partitionOf(key)]!;
    const node = this.nodes[owner];
    if (node === undefined) {
      throw new NodeUnavailableError('the key’s partition has no owner yet', { key });
    }
    return node.id;
  }

  locateN(key: string, n: number): string[] {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > this.nodes.length) {
      throw new ConfigError(
        `n must be an integer from 1 to the member count (${this.nodes.length}), got ${String(n)}`,
      );
    }
    const first = this.locate(key);
    const start = this.partitionOf(key);
    const chosen = new Set([first]);
    for (let step = 1; step < this.partitionCount && chosen.size < n; step++) {
      const node = this.nodes[this.owners[(start + step) % this.partitionCount]!];
      if (node !== undefined) chosen.add(node.id);
    }
    for (const node of this.nodes) {
      if (chosen.size >= n) break;
      chosen.add(node.id);
    }
    return [...chosen];
  }

  partitionOf(key: string): number {
    // A call asks twice in a row for the same key: the facade (per-node stats), then the adapter
    // (routing). The second answer comes from here instead of hashing again.
    if (key === this.lastKey) return this.lastPartition;
    if (typeof key !== 'string') throw new InvalidKeyError(`a key must be a string, got ${typeof key}`);
    if (this.partitionCount === 0) {
      throw new NodeUnavailableError('no partition table yet: the client has not reached the cluster', {
        key,
      });
    }
    const partition = this.partitionIdOf(key);
    this.lastKey = key;
    this.lastPartition = partition;
    return partition;
  }

  ownerOfPartition(partitionId: number): string | undefined {
    const owner = this.owners[partitionId];
    return owner === undefined ? undefined : this.nodes[owner]?.id;
  }

  partitionsOf(nodeId: string): number[] {
    const index = this.nodes.findIndex((node) => node.id === nodeId);
    const partitions: number[] = [];
    if (index < 0) return partitions;
    this.owners.forEach((owner, partition) => {
      if (owner === index) partitions.push(partition);
    });
    return partitions;
  }

  withNode(): never {
    throw new ConfigError('Hazelcast assigns members and partitions itself: its topology is read-only');
  }

  withoutNode(): never {
    return this.withNode();
  }

  withWeight(): never {
    return this.withNode();
  }
}
