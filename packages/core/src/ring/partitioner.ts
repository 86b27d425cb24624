import type { CacheNode, NodeSpec } from '../node-spec.js';

/**
 * Maps keys to nodes. Every implementation (hash ring, ketama, jump, rendezvous, slot map) keeps
 * this contract; each documents which of the optional operations it supports and which
 * properties hold for it.
 *
 * Partitioners are immutable: `withNode`, `withoutNode` and `withWeight` return a new
 * partitioner, so two topologies can be compared side by side (see `movedFraction`).
 *
 * Keys are hashed as their UTF-8 bytes.
 */
export interface Partitioner {
  /** A short name of the algorithm, for stats and the CLI (`'consistent'`, `'ketama'`, ...). */
  readonly kind: string;
  /** The nodes, in the order they were given. */
  readonly nodes: readonly CacheNode[];
  /**
   * The id (`host:port`) of the node that owns `key`.
   * @throws InvalidKeyError when `key` is not a string
   */
  locate(key: string): string;
  /**
   * `n` distinct node ids in preference order; the first is `locate(key)`. Used for replicas,
   * failover and hot-key shards.
   * @throws ConfigError when `n` is not an integer from 1 to the node count
   */
  locateN(key: string, n: number): string[];
  /**
   * A new partitioner with one more node.
   * @throws ConfigError on a duplicate id, or where the algorithm cannot add nodes
   */
  withNode(node: NodeSpec): Partitioner;
  /**
   * A new partitioner without the node `id`.
   * @throws ConfigError when `id` is unknown, the last node would go, or the algorithm cannot remove it
   */
  withoutNode(id: string): Partitioner;
  /**
   * A new partitioner where node `id` has weight `weight`.
   * @throws ConfigError when `id` is unknown, the weight is not finite positive, or weights are unsupported
   */
  withWeight(id: string, weight: number): Partitioner;
}
