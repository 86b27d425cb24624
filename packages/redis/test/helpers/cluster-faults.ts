// The `faults` hooks of the conformance suite over a disposable Redis Cluster. The adapter cannot
// kill servers; the test that owns the engine can, and hands these to the adapter's options.
import type { AdapterFaults } from '@ringcache/core';
import type { DisposableRedisCluster } from '@ringcache/test-engines';
import { Redis } from 'ioredis';

export function portOf(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}

/**
 * `stopNode` SIGKILLs the node. `startNode` restarts it (same nodes.conf, so it rejoins) and,
 * if its replica took over meanwhile, hands its slots back with a graceful CLUSTER FAILOVER,
 * so the topology is the one the test started with.
 */
export function clusterFaults(engine: DisposableRedisCluster): AdapterFaults {
  return {
    stopNode: (id) => engine.kill(portOf(id)),
    async startNode(id) {
      await engine.restart(portOf(id));
      await becomeMaster(portOf(id));
    },
  };
}

/** Makes the node on `port` a master again (no-op if it is one), waiting at most `timeoutMs`. */
export async function becomeMaster(port: number, timeoutMs = 60_000): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const deadline = Date.now() + timeoutMs;
  try {
    await redis.connect();
    let asked = 0;
    while (Date.now() < deadline) {
      const [role] = (await redis.call('ROLE')) as [string];
      if (role === 'master') return;
      const info = await redis.info('replication');
      // A manual failover needs the replica in sync; ask again if an attempt timed out.
      if (info.includes('master_link_status:up') && Date.now() - asked > 5000) {
        await redis.call('CLUSTER', 'FAILOVER').catch(() => {});
        asked = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`redis ${port} did not become a master again within ${timeoutMs} ms`);
  } finally {
    redis.disconnect();
  }
}
