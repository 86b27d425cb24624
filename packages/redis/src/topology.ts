import {
  type ClusterSlotsEntry,
  type ClusterSlotsReply,
  fromClusterSlots,
  InvalidKeyError,
  type NodeSpec,
  type Partitioner,
  type SlotMap,
  slotMap,
} from '@ringcache/core';

/**
 * ioredis' slot table (`cluster.slots`): for each of the 16384 slots, the `host:port` keys of
 * its master then its replicas, as ioredis read them with CLUSTER SLOTS (natMap applied), or
 * nothing for a slot no node serves.
 */
export type IoredisSlotTable = readonly (readonly string[] | undefined)[];

/**
 * Turns ioredis' slot table back into the CLUSTER SLOTS reply it came from (one entry per run
 * of slots served by the same nodes). Building the core slot map from this rather than from a
 * CLUSTER SLOTS of our own costs no round trip, and `topology()` is then exactly where ioredis
 * sends each key, MOVED corrections included.
 */
export function slotTableToReply(table: IoredisSlotTable): ClusterSlotsReply {
  const entries: ClusterSlotsEntry[] = [];
  let start = 0;
  let current: readonly string[] | undefined;
  let currentKey = '';
  const flush = (end: number) => {
    if (current === undefined || current.length === 0) return;
    entries.push([start, end, ...current.map(splitNodeKey)]);
  };
  for (let slot = 0; slot < table.length; slot++) {
    const nodes = table[slot];
    // ioredis shares one array per CLUSTER SLOTS entry, so identity settles most slots cheaply.
    if (nodes === current) continue;
    const key = nodes === undefined ? '' : nodes.join(';');
    if (key === currentKey) {
      current = nodes;
      continue;
    }
    flush(slot - 1);
    start = slot;
    current = nodes;
    currentKey = key;
  }
  flush(table.length - 1);
  return entries;
}

/** `'host:port'` (ioredis' node key, IPv6 hosts unbracketed) → `[host, port]`. */
export function splitNodeKey(key: string): [string, number] {
  const colon = key.lastIndexOf(':');
  const host = key.slice(0, colon);
  return [host.startsWith('[') ? host.slice(1, -1) : host, Number(key.slice(colon + 1))];
}

/** The node id Ringcache uses for an ioredis host and port: `host:port`, IPv6 bracketed. */
export function nodeIdOf(host: string, port: number | string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The core slot map of ioredis' table, or undefined while the table is empty (not connected yet). */
export function slotMapOfTable(table: IoredisSlotTable): SlotMap | undefined {
  const reply = slotTableToReply(table);
  return reply.length === 0 ? undefined : fromClusterSlots(reply);
}

/**
 * The map used before the first CLUSTER SLOTS answer: the startup nodes as masters owning no
 * slot, so `nodes` lists them and `locate` throws E_NODE_UNAVAILABLE (the facade then counts
 * no per-node stats rather than wrong ones).
 */
export function unknownSlotMap(startupNodes: readonly NodeSpec[]): SlotMap {
  return slotMap({ ranges: [], masters: startupNodes, allowUncovered: true });
}

/** A cheap fingerprint of a map's ownership, to emit `topology:change` only on real changes. */
export function fingerprint(map: Partitioner & { ranges?: () => readonly object[] }): string {
  return JSON.stringify([map.nodes.map((node) => node.id), map.ranges?.() ?? []]);
}

/**
 * `inner` seen through a key prefix: the adapter's callers pass keys without the prefix, the
 * engine (and its slot map) sees them with it. Returns `inner` itself for an empty prefix.
 */
export function withKeyPrefix(inner: Partitioner, prefix: string): Partitioner {
  if (prefix === '') return inner;
  const full = (key: string) => {
    if (typeof key !== 'string') throw new InvalidKeyError(`a key must be a string, got ${typeof key}`);
    return prefix + key;
  };
  return {
    kind: inner.kind,
    nodes: inner.nodes,
    locate: (key) => inner.locate(full(key)),
    locateN: (key, n) => inner.locateN(full(key), n),
    withNode: (node) => withKeyPrefix(inner.withNode(node), prefix),
    withoutNode: (id) => withKeyPrefix(inner.withoutNode(id), prefix),
    withWeight: (id, weight) => withKeyPrefix(inner.withWeight(id, weight), prefix),
  };
}
