import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { isTwemproxyHashName, type TwemproxyHashName, twemproxyHashes } from '../hashing/twemproxy-hashes.js';
import { type CacheNode, type NodeSpec, parseNodeList, parseNodeSpec } from '../node-spec.js';
import { assertKey, assertReplicaCount, utf8 } from './checks.js';
import type { Partitioner } from './partitioner.js';

/** Whose rules build the continuum. */
export type KetamaCompat = 'twemproxy' | 'libmemcached';

export interface KetamaOptions {
  /**
   * The key hash, by twemproxy's config name (`hash:` in nutcracker.yml). The continuum points
   * are always md5, as in twemproxy; only the key is hashed with this function.
   * With `compat: 'libmemcached'` only `'md5'` is accepted: libmemcached's weighted ketama
   * (`MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED`) forces md5 as the key hash.
   * @default 'fnv1a_64' (twemproxy's default) with twemproxy, 'md5' with libmemcached
   */
  hash?: TwemproxyHashName;
  /**
   * `'twemproxy'`: the same placement as nutcracker with `distribution: ketama`.
   * `'libmemcached'`: the same placement as libmemcached (and clients built on it, such as
   * pylibmc) with the `ketama_weighted` behaviour; node `name`s are rejected, since
   * libmemcached has no server names.
   * @default 'twemproxy'
   */
  compat?: KetamaCompat;
}

/** The key hash when none is given with `compat: 'twemproxy'`: twemproxy's own default (`hash:` unset). */
export const DEFAULT_KETAMA_HASH: TwemproxyHashName = 'fnv1a_64';

interface Settings {
  readonly hashName: TwemproxyHashName;
  readonly compat: KetamaCompat;
}

// KETAMA_POINTS_PER_SERVER (nc_ketama.c) and MEMCACHED_POINTS_PER_SERVER_KETAMA (libmemcached):
// a node with an average weight gets 160 points, 4 per md5 digest.
const POINTS_PER_SERVER = 160;
const POINTS_PER_HASH = 4;
// CONF_DEFAULT_KETAMA_PORT / MEMCACHED_DEFAULT_PORT: this port is left out of the point names.
const DEFAULT_PORT = 11211;
// The point-name buffer: KETAMA_MAX_HOSTLEN (273 in twemproxy 0.5.0) and libmemcached's
// sort_host[NI_MAXHOST + 1 + NI_MAXSERV + 1 + NI_MAXSERV], both including the NUL.
const MAX_POINT_NAME_BYTES: Record<KetamaCompat, number> = { twemproxy: 272, libmemcached: 1090 };
// Points are sorted as one float64 each: value * OWNER_SLOTS + node index, exact below 2^53.
const OWNER_SLOTS = 2 ** 21;

/**
 * A ketama consistent-hash ring that places every key on the same node as twemproxy
 * (nutcracker) with `distribution: ketama` and the same `hash`, or, with
 * `compat: 'libmemcached'`, as libmemcached's weighted ketama (md5).
 *
 * Each node gets `floor(weight / totalWeight * 160 / 4 * nodeCount) * 4` points (float32
 * arithmetic, as in twemproxy's ketama_update), named `<name>-<i>` where `<name>` is the node's
 * `name`, or `host:port`, or just `host` on port 11211. A key goes to the first point at or
 * after its hash, wrapping to the first point.
 *
 * Properties: deterministic for a given node list (order matters only for ties); weighted, so
 * removing or adding a node re-weights the others and more than that node's keys can move.
 * With equal weights only the changed node's keys move, except where float32 rounding changes
 * every node's count (25 equal nodes get 156 points each, 24 and 26 get 160, as in twemproxy).
 * `locateN` walks clockwise collecting distinct nodes. Weights must be integers (twemproxy and
 * libmemcached parse them as such). A key is hashed as its UTF-8 bytes.
 *
 * @throws ConfigError on a bad node list, an unknown hash, a non-integer weight, two nodes
 *   whose points would have the same name, or a `name` with `compat: 'libmemcached'`
 */
export function ketamaRing(nodes: readonly NodeSpec[], options: KetamaOptions = {}): Partitioner {
  return new KetamaRing(parseNodeList(nodes), resolveSettings(options));
}

function resolveSettings(options: KetamaOptions): Settings {
  const compat = options.compat ?? 'twemproxy';
  if (compat !== 'twemproxy' && compat !== 'libmemcached') {
    throw new ConfigError(`ketama compat must be 'twemproxy' or 'libmemcached', got ${String(compat)}`);
  }
  const hashName = options.hash ?? (compat === 'twemproxy' ? DEFAULT_KETAMA_HASH : 'md5');
  if (!isTwemproxyHashName(hashName)) {
    throw new ConfigError(
      `unknown ketama hash '${String(hashName)}'; one of ${Object.keys(twemproxyHashes).join(', ')}`,
    );
  }
  if (compat === 'libmemcached' && hashName !== 'md5') {
    throw new ConfigError(`libmemcached's weighted ketama hashes keys with md5, not ${hashName}`);
  }
  return { hashName, compat };
}

class KetamaRing implements Partitioner {
  readonly kind = 'ketama';
  readonly nodes: readonly CacheNode[];
  readonly #settings: Settings;
  readonly #hash: (bytes: Uint8Array) => number;
  /** Point values, ascending. */
  readonly #points: Uint32Array;
  /** `#owners[i]` is the index in `nodes` of the node owning `#points[i]`. */
  readonly #owners: Uint32Array;

  constructor(nodes: readonly CacheNode[], settings: Settings) {
    this.nodes = Object.freeze([...nodes]);
    this.#settings = settings;
    this.#hash = twemproxyHashes[settings.hashName];
    [this.#points, this.#owners] = buildContinuum(this.nodes, settings.compat);
  }

  locate(key: string): string {
    assertKey(key);
    // server_pool_idx: a pool with one server skips hashing.
    if (this.nodes.length === 1) return this.nodes[0]!.id;
    return this.nodes[this.#owners[this.#search(this.#hashKey(key))]!]!.id;
  }

  locateN(key: string, n: number): string[] {
    assertKey(key);
    assertReplicaCount(n, this.nodes.length);
    const result: string[] = [];
    const seen = new Uint8Array(this.nodes.length);
    const count = this.#points.length;
    const start = this.nodes.length === 1 ? 0 : this.#search(this.#hashKey(key));
    for (let step = 0; step < count && result.length < n; step++) {
      const owner = this.#owners[(start + step) % count]!;
      if (seen[owner] === 0) {
        seen[owner] = 1;
        result.push(this.nodes[owner]!.id);
      }
    }
    // A node whose share rounds down to zero points owns no arc; list order still gives n nodes.
    for (let index = 0; result.length < n && index < this.nodes.length; index++) {
      if (seen[index] === 0) result.push(this.nodes[index]!.id);
    }
    return result;
  }

  withNode(spec: NodeSpec): Partitioner {
    const node = parseNodeSpec(spec);
    if (this.nodes.some((existing) => existing.id === node.id)) {
      throw new ConfigError(`node ${node.id} is already in the ring`);
    }
    return new KetamaRing([...this.nodes, node], this.#settings);
  }

  withoutNode(id: string): Partitioner {
    const index = this.#indexOf(id);
    if (this.nodes.length === 1) throw new ConfigError(`cannot remove ${id}: it is the last node`);
    return new KetamaRing(
      this.nodes.filter((_, at) => at !== index),
      this.#settings,
    );
  }

  withWeight(id: string, weight: number): Partitioner {
    const index = this.#indexOf(id);
    checkWeight(weight, id);
    const nodes = this.nodes.map((node, at) => (at === index ? Object.freeze({ ...node, weight }) : node));
    return new KetamaRing(nodes, this.#settings);
  }

  #indexOf(id: string): number {
    const index = this.nodes.findIndex((node) => node.id === id);
    if (index < 0) throw new ConfigError(`node ${String(id)} is not in the ring`);
    return index;
  }

  #hashKey(key: string): number {
    const bytes = utf8(key);
    // server_pool_hash returns 0 for an empty key without hashing; libmemcached hashes it.
    if (bytes.length === 0 && this.#settings.compat === 'twemproxy') return 0;
    return this.#hash(bytes);
  }

  /** ketama_dispatch: the first point whose value is >= hash, wrapping past the end to 0. */
  #search(hash: number): number {
    const points = this.#points;
    let left = 0;
    let right = points.length;
    while (left < right) {
      const middle = (left + right) >>> 1;
      if (points[middle]! < hash) left = middle + 1;
      else right = middle;
    }
    return right === points.length ? 0 : right;
  }
}

function checkWeight(weight: unknown, id: string): asserts weight is number {
  if (typeof weight !== 'number' || !Number.isSafeInteger(weight) || weight < 1) {
    throw new ConfigError(`node ${id}: a ketama weight must be a positive integer, got ${String(weight)}`);
  }
}

/** The string whose md5 digests give a node's points, before the `-<i>` suffix. */
function pointName(node: CacheNode, compat: KetamaCompat): string {
  if (compat === 'libmemcached') {
    if (node.name !== undefined) {
      throw new ConfigError(`node ${node.id}: libmemcached has no server names; remove 'name'`);
    }
    // libmemcached stores an IPv6 literal without brackets and hashes that `_hostname`.
    const host = node.host.startsWith('[') ? node.host.slice(1, -1) : node.host;
    return node.port === DEFAULT_PORT ? host : `${host}:${node.port}`;
  }
  // conf_add_server: an unnamed server is named "host:port", or "host" on port 11211
  // (kept for backward compatibility with libmemcached, says twemproxy).
  if (node.name !== undefined) return node.name;
  return node.port === DEFAULT_PORT ? node.host : `${node.host}:${node.port}`;
}

/**
 * ketama_update (twemproxy) / update_continuum (libmemcached): the points per node from float32
 * weight shares, 4 points per md5 digest of `<name>-<i>`, sorted by value.
 */
function buildContinuum(nodes: readonly CacheNode[], compat: KetamaCompat): [Uint32Array, Uint32Array] {
  if (nodes.length >= OWNER_SLOTS)
    throw new ConfigError(`a ketama ring holds at most ${OWNER_SLOTS - 1} nodes`);
  let totalWeight = 0;
  for (const node of nodes) {
    checkWeight(node.weight, node.id);
    totalWeight += node.weight;
  }
  if (totalWeight > 0xffffffff) throw new ConfigError('the total ketama weight must fit in 32 bits');

  const names = nodes.map((node) => pointName(node, compat));
  const order = serverOrder(nodes, names, compat);
  const counts = nodes.map((node) => pointsPerServer(node.weight, totalWeight, nodes.length, compat));
  const packed = new Float64Array(counts.reduce((sum, count) => sum + count, 0));
  nodes.forEach((node, index) => {
    const longest = Buffer.byteLength(`${names[index]}-${counts[index]! / POINTS_PER_HASH - 1}`);
    if (counts[index]! > 0 && longest > MAX_POINT_NAME_BYTES[compat]) {
      // twemproxy would truncate the name but hash past the buffer's end: unreproducible.
      throw new ConfigError(`node ${node.id}: its point names exceed ${MAX_POINT_NAME_BYTES[compat]} bytes`);
    }
  });
  let at = 0;
  order.forEach((index, slot) => {
    for (let group = 0; group < counts[index]! / POINTS_PER_HASH; group++) {
      const digest = createHash('md5').update(`${names[index]}-${group}`).digest();
      for (let x = 0; x < POINTS_PER_HASH; x++) {
        packed[at++] = digest.readUInt32LE(x * 4) * OWNER_SLOTS + slot;
      }
    }
  });
  // Two nodes with an equal point value (rare: a few hundred points among 2^32 values): the node
  // first in the server array wins. libmemcached's continuum_item_cmp compares the index;
  // twemproxy's ketama_item_cmp returns 0, and glibc's qsort (a merge sort in Debian 12's glibc
  // 2.36) keeps equal items in array order. Not covered by the nutcracker test: ties are too rare.
  packed.sort();
  const points = new Uint32Array(packed.length);
  const owners = new Uint32Array(packed.length);
  for (let index = 0; index < packed.length; index++) {
    const value = packed[index]!;
    points[index] = Math.floor(value / OWNER_SLOTS);
    owners[index] = order[value % OWNER_SLOTS]!;
  }
  return [points, owners];
}

/**
 * The order of the tool's server array, as indexes into `names`. libmemcached keeps the order
 * servers were added. twemproxy sorts its servers by name (conf_validate_server, with
 * string_compare: shorter names first, then bytewise) and rejects two servers with one name.
 */
function serverOrder(nodes: readonly CacheNode[], names: readonly string[], compat: KetamaCompat): number[] {
  const bytes = names.map((name) => Buffer.from(name, 'utf8'));
  const byName = names.map((_, index) => index);
  byName.sort((left, right) => {
    const a = bytes[left]!;
    const b = bytes[right]!;
    return a.length - b.length || Buffer.compare(a, b);
  });
  for (let index = 1; index < byName.length; index++) {
    const previous = byName[index - 1]!;
    const current = byName[index]!;
    if (names[previous] === names[current]) {
      // A second server with the same point names would never own a key.
      throw new ConfigError(
        `nodes ${nodes[previous]!.id} and ${nodes[current]!.id} would both hash points named '${names[current]}'`,
      );
    }
  }
  return compat === 'twemproxy' ? byName : names.map((_, index) => index);
}

/**
 * `(uint32_t)(floorf((float)(pct * 160 / 4 * (float)live + 0.0000000001)) * 4)` with
 * `float pct = (float)weight / (float)total`. Math.fround reproduces every float32 rounding:
 * each operation's exact double result rounds once to the same float C computes.
 */
function pointsPerServer(
  weight: number,
  totalWeight: number,
  nodeCount: number,
  compat: KetamaCompat,
): number {
  const pct = Math.fround(Math.fround(weight) / Math.fround(totalWeight));
  const scaled = Math.fround(Math.fround(Math.fround(pct * POINTS_PER_SERVER) / 4) * Math.fround(nodeCount));
  // twemproxy adds a double literal (1e-10) and casts back; libmemcached adds a float (1e-10F).
  const nudged =
    compat === 'twemproxy'
      ? Math.fround(scaled + 0.0000000001)
      : Math.fround(scaled + Math.fround(0.0000000001));
  return Math.floor(nudged) * POINTS_PER_HASH;
}
