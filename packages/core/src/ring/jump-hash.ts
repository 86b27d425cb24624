import { ConfigError } from '../errors.js';
import { murmur3 } from '../hashing/murmur3.js';
import { type CacheNode, type NodeSpec, parseNodeList, parseNodeSpec } from '../node-spec.js';
import { assertKey, assertReplicaCount } from './checks.js';
import type { Partitioner } from './partitioner.js';

// Lamping & Veach's LCG multiplier 2862933555777941757, as two 32-bit halves.
const MULTIPLIER_HIGH = 0x27bb2ee6;
const MULTIPLIER_LOW = 0x87b0b0fd;
const SECOND_SEED = 0x9747b28c;

/**
 * Jump consistent hash (Lamping & Veach, 2014) over a 64-bit key made of two murmur3 hashes of
 * the key's UTF-8 bytes.
 *
 * Properties: no memory beyond the node list, perfectly even ownership, and growing from N to
 * N+1 nodes moves exactly the 1/(N+1) of keys that go to the new node. Limits: buckets are
 * positions, so nodes are appended and only the LAST node can be removed (`withoutNode` of
 * another throws), and there are no weights (`withWeight` throws, as do weights ≠ 1).
 */
export function jumpHash(nodes: readonly NodeSpec[]): Partitioner {
  return new JumpHash(checkUnweighted(parseNodeList(nodes)));
}

/** The bucket in [0, buckets) for a 64-bit key given as two unsigned 32-bit halves. */
export function jumpBucket(keyHigh: number, keyLow: number, buckets: number): number {
  let high = keyHigh >>> 0;
  let low = keyLow >>> 0;
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    // key = key * MULTIPLIER + 1 (mod 2^64), in 32-bit halves since JS numbers hold 53 bits.
    const lowProduct = multiplyHigh32(low, MULTIPLIER_LOW);
    const newHigh = (Math.imul(high, MULTIPLIER_LOW) + Math.imul(low, MULTIPLIER_HIGH) + lowProduct) | 0;
    const newLow = Math.imul(low, MULTIPLIER_LOW) >>> 0;
    low = (newLow + 1) >>> 0;
    high = (low === 0 ? newHigh + 1 : newHigh) >>> 0;
    // (key >>> 33) + 1 is the top 31 bits plus one.
    next = Math.floor((bucket + 1) * (2147483648 / ((high >>> 1) + 1)));
  }
  return bucket;
}

/** The high 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function multiplyHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16)) >>> 0;
}

function checkUnweighted(nodes: CacheNode[]): CacheNode[] {
  const weighted = nodes.find((node) => node.weight !== 1);
  if (weighted)
    throw new ConfigError(`jump hash has no weights; node ${weighted.id} has weight ${weighted.weight}`);
  return nodes;
}

class JumpHash implements Partitioner {
  readonly kind = 'jump';
  readonly nodes: readonly CacheNode[];
  private readonly ids: string[];

  constructor(nodes: readonly CacheNode[]) {
    this.nodes = Object.freeze([...nodes]);
    this.ids = nodes.map((node) => node.id);
  }

  locate(key: string): string {
    assertKey(key);
    return this.ids[jumpBucket(murmur3(key, SECOND_SEED), murmur3(key), this.ids.length)]!;
  }

  /** The owner, then further distinct nodes from jumps over re-seeded keys (deterministic). */
  locateN(key: string, n: number): string[] {
    assertKey(key);
    assertReplicaCount(n, this.ids.length);
    const high = murmur3(key, SECOND_SEED);
    const low = murmur3(key);
    const chosen = [jumpBucket(high, low, this.ids.length)];
    for (let round = 1; chosen.length < n; round++) {
      const bucket = jumpBucket(high ^ Math.imul(round, 0x9e3779b1), low + round, this.ids.length);
      if (!chosen.includes(bucket)) chosen.push(bucket);
    }
    return chosen.map((bucket) => this.ids[bucket]!);
  }

  withNode(spec: NodeSpec): Partitioner {
    return jumpHash([...this.nodes, parseNodeSpec(spec)]);
  }

  withoutNode(id: string): Partitioner {
    const index = this.ids.indexOf(id);
    if (index === -1) throw new ConfigError(`node ${id} is not in the jump hash`);
    if (index !== this.ids.length - 1) {
      throw new ConfigError(`jump hash can only remove its last node (${this.ids.at(-1)}), not ${id}`);
    }
    if (this.ids.length === 1) throw new ConfigError('cannot remove the last node');
    return new JumpHash(this.nodes.slice(0, -1));
  }

  withWeight(id: string): Partitioner {
    throw new ConfigError(`jump hash has no weights (asked to re-weight ${id})`);
  }
}
