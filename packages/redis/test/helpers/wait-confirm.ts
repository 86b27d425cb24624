// WAIT 1 for a write the cache made: shared by the failover fault test and the chaos soak.
import { keySlot } from '@ringcache/core';
import type { Cluster, Redis } from 'ioredis';

/** The connection ioredis routes `key` to now, and whether the slot has a replica. */
export function routeOf(
  client: Cluster,
  key: string,
): { connection: Redis | undefined; hasReplica: boolean } {
  const nodes = client.slots[keySlot(key)] ?? [];
  const connection = client
    .nodes('all')
    .find((node) => `${node.options.host}:${node.options.port}` === nodes[0]);
  return { connection, hasReplica: nodes.length > 1 };
}

/**
 * Call before the cache writes `key` (its engine key); the function it returns, called after the
 * write was acknowledged, confirms it with WAIT 1 and says whether a replica holds it.
 *
 * WAIT counts the replicas holding the calling connection's own last write, and the cache wrote
 * on another connection (the adapter's direct one): so a marker is written first, on the key's
 * master, in the key's slot (`{key}` hash tag). Each master replicates one ordered stream, so a
 * replica holding the marker holds the write too. Claimed only when the route did not change
 * around the write and the marker was accepted (a node no longer master of the slot answers
 * MOVED), so WAIT speaks for that master.
 */
export function confirmWithWait(client: Cluster, key: string, waitMs = 500): () => Promise<boolean> {
  const before = routeOf(client, key);
  return async () => {
    const after = routeOf(client, key);
    const connection = before.connection;
    if (!before.hasReplica || connection === undefined || after.connection !== connection) return false;
    try {
      await connection.call('SET', `{${key}}:wait-marker`, '1', 'PX', '60000');
      // 500 ms by default: on a loaded machine a replica's ack often takes over 100 ms.
      return ((await connection.call('WAIT', 1, waitMs)) as number) >= 1;
    } catch {
      return false;
    }
  };
}
