import { ConfigError } from '../errors.js';
import { fmix32, murmur3 } from '../hashing/murmur3.js';
import { type CacheNode, type NodeSpec, parseNodeList, parseNodeSpec } from '../node-spec.js';
import { assertKey, assertReplicaCount } from './checks.js';
import type { Partitioner } from './partitioner.js';

/**
 * Rendezvous (highest random weight) hashing, weighted by the logarithmic method: node i scores
 * `w_i / -ln(u_i)` with `u_i` uniform in (0, 1) from the key and the node, and the highest score
 * owns the key. That gives node i exactly a `w_i / Σw` share in expectation.
 *
 * Properties: no ring, no memory beyond the node list; adding a node moves only keys to it,
 * removing one moves only its keys, re-weighting moves keys only to or from that node.
 * `locateN` is the top-n scores, so replicas also move minimally. Cost: O(nodes) per lookup,
 * so prefer `hashRing` past a few dozen nodes.
 */
export function rendezvousHash(nodes: readonly NodeSpec[]): Partitioner {
  return new RendezvousHash(parseNodeList(nodes));
}

class RendezvousHash implements Partitioner {
  readonly kind = 'rendezvous';
  readonly nodes: readonly CacheNode[];
  private readonly ids: string[];
  private readonly seeds: Uint32Array;
  private readonly weights: Float64Array;
  /** With equal weights the score is monotonic in u, so the logarithm can be skipped. */
  private readonly uniform: boolean;

  constructor(nodes: readonly CacheNode[]) {
    this.nodes = Object.freeze([...nodes]);
    this.ids = nodes.map((node) => node.id);
    this.seeds = Uint32Array.from(nodes, (node) => murmur3(node.name ?? node.id));
    this.weights = Float64Array.from(nodes, (node) => node.weight);
    this.uniform = nodes.every((node) => node.weight === nodes[0]!.weight);
  }

  locate(key: string): string {
    assertKey(key);
    const keyHash = murmur3(key);
    let best = 0;
    let bestScore = -1;
    for (let index = 0; index < this.ids.length; index++) {
      const score = this.score(keyHash, index);
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    return this.ids[best]!;
  }

  locateN(key: string, n: number): string[] {
    assertKey(key);
    assertReplicaCount(n, this.ids.length);
    const keyHash = murmur3(key);
    return this.ids
      .map((id, index) => ({ id, score: this.score(keyHash, index) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, n)
      .map((entry) => entry.id);
  }

  withNode(spec: NodeSpec): Partitioner {
    return new RendezvousHash(parseNodeList([...this.nodes, parseNodeSpec(spec)]));
  }

  withoutNode(id: string): Partitioner {
    const rest = this.nodes.filter((node) => node.id !== id);
    if (rest.length === this.nodes.length) throw new ConfigError(`node ${id} is not in the partitioner`);
    if (rest.length === 0) throw new ConfigError('cannot remove the last node');
    return new RendezvousHash(rest);
  }

  withWeight(id: string, weight: number): Partitioner {
    if (!this.ids.includes(id)) throw new ConfigError(`node ${id} is not in the partitioner`);
    return new RendezvousHash(
      this.nodes.map((node) => (node.id === id ? parseNodeSpec({ ...node, weight }) : node)),
    );
  }

  private score(keyHash: number, index: number): number {
    const mixed = fmix32(keyHash ^ this.seeds[index]!);
    if (this.uniform) return mixed;
    // u in (0, 1): never 0 (log would be -∞) nor 1 (division by zero).
    const u = (mixed + 0.5) / 4294967296;
    return this.weights[index]! / -Math.log(u);
  }
}
