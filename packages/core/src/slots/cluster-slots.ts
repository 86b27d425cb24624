import { ConfigError } from '../errors.js';
import type { NodeSpecObject } from '../node-spec.js';
import { type SlotMap, type SlotRangeSpec, slotMap } from './slot-map.js';

/**
 * One node of a CLUSTER SLOTS entry: `[host, port, redisNodeId?, metadata?]`. Redis 7 may add
 * fields; they are ignored.
 */
export type ClusterSlotsNode = readonly [host: string, port: number, ...rest: unknown[]];

/** One entry of a CLUSTER SLOTS reply: `[start, end, master, ...replicas]`, bounds inclusive. */
export type ClusterSlotsEntry = readonly [start: number, end: number, ...nodes: ClusterSlotsNode[]];

/** The reply of `CLUSTER SLOTS`, as ioredis returns it from `redis.cluster('SLOTS')`. */
export type ClusterSlotsReply = readonly ClusterSlotsEntry[];

export interface FromClusterSlotsOptions {
  /**
   * The host to use where the reply gives an empty host. Redis reports `''` for a node that
   * does not know its own address yet (typically the node answering, before it has met others);
   * pass the host you asked. Without it, an empty host is a ConfigError.
   */
  defaultHost?: string;
}

/**
 * Builds a slot map from a `CLUSTER SLOTS` reply, e.g. `fromClusterSlots(await
 * redis.cluster('SLOTS'))` with ioredis.
 *
 * - Masters are the first node of each entry; `nodes` lists them by their lowest slot, so the map
 *   does not depend on which cluster node answered or in what order it listed the entries.
 * - Replicas (the other nodes of an entry) are kept per master: `replicasOf(slot)` and
 *   `ranges()` give them, for reads from replicas.
 * - Node ids are `host:port`; an IPv6 address is bracketed (`[::1]:7000`), the form users write
 *   in node specs. Redis's own 40-character node ids are not kept: nothing here needs them.
 * - Slots missing from the reply (a cluster mid-failure, or not yet set up) are allowed: the map
 *   builds, and `locate` of a key in such a slot throws NodeUnavailableError
 *   (`E_NODE_UNAVAILABLE`), the error the request would meet at the engine (CLUSTERDOWN).
 *
 * @throws ConfigError on a malformed reply (not an array of `[start, end, [host, port], ...]`),
 *   an empty host without `defaultHost`, overlapping entries, or a reply with no entries
 */
export function fromClusterSlots(reply: ClusterSlotsReply, options: FromClusterSlotsOptions = {}): SlotMap {
  if (!Array.isArray(reply)) throw new ConfigError('a CLUSTER SLOTS reply must be an array');
  if (reply.length === 0) {
    throw new ConfigError('the CLUSTER SLOTS reply lists no slots: the cluster has no slots assigned');
  }
  const ranges: SlotRangeSpec[] = reply.map((entry, index) => parseEntry(entry, index, options));
  ranges.sort((a, b) => a.start - b.start);
  return slotMap({ ranges, allowUncovered: true });
}

function parseEntry(entry: unknown, index: number, options: FromClusterSlotsOptions): SlotRangeSpec {
  if (!Array.isArray(entry) || entry.length < 3) {
    throw new ConfigError(`CLUSTER SLOTS entry ${index} is not [start, end, master, ...replicas]`);
  }
  const [start, end, master, ...replicas] = entry as unknown[];
  return {
    start: toSlotNumber(start, index),
    end: toSlotNumber(end, index),
    node: toNodeSpec(master, index, options),
    replicas: replicas.map((replica) => toNodeSpec(replica, index, options)),
  };
}

// RESP2 integers arrive as numbers; a client configured to return strings gives '5460'.
function toSlotNumber(value: unknown, index: number): number {
  const slot = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof slot !== 'number') {
    throw new ConfigError(
      `CLUSTER SLOTS entry ${index}: a slot bound must be a number, got ${String(value)}`,
    );
  }
  return slot;
}

function toNodeSpec(value: unknown, index: number, options: FromClusterSlotsOptions): NodeSpecObject {
  if (!Array.isArray(value) || value.length < 2) {
    throw new ConfigError(`CLUSTER SLOTS entry ${index}: a node must be [host, port, ...]`);
  }
  const [rawHost, rawPort] = value as unknown[];
  const host = hostOf(rawHost, index, options);
  const port = typeof rawPort === 'string' && /^\d+$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (typeof port !== 'number') {
    throw new ConfigError(`CLUSTER SLOTS entry ${index}: port must be a number, got ${String(rawPort)}`);
  }
  return { host, port };
}

function hostOf(value: unknown, index: number, options: FromClusterSlotsOptions): string {
  // ioredis with `returnBuffers`-style options hands back bytes; hosts are ASCII either way.
  const host = value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
  if (typeof host !== 'string') {
    throw new ConfigError(`CLUSTER SLOTS entry ${index}: host must be a string, got ${typeof host}`);
  }
  if (host === '') {
    if (options.defaultHost === undefined) {
      throw new ConfigError(
        `CLUSTER SLOTS entry ${index} has an empty host: pass { defaultHost } (the host you queried)`,
      );
    }
    return options.defaultHost;
  }
  // Redis 7 answers '?' for a node whose preferred endpoint (e.g. a hostname) is not set.
  if (host === '?') {
    throw new ConfigError(
      `CLUSTER SLOTS entry ${index} has an unknown endpoint '?': check cluster-preferred-endpoint-type`,
    );
  }
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
