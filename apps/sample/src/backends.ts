import { hashRing, type InvalidationBus, memoryAdapter, memoryBus } from '@ringcache/core';
import type { RingcacheModuleOptions } from '@ringcache/nestjs';
import { type BackendName, nodeList, type Settings } from './settings.js';

/**
 * Keys of the sample on a shared engine live under this namespace (the cache's, not an adapter
 * key prefix: the topology then stays the engine's own slot or partition table, which the
 * dashboard draws exactly).
 */
const NAMESPACE = 'ringcache-sample';

export interface Backend {
  name: BackendName;
  /** One line for the console and the dashboard. */
  description: string;
  options: RingcacheModuleOptions;
}

/**
 * Builds the cache options of a backend. Engine adapters are imported only when chosen, so the
 * embedded default starts on a machine with no engine (and without their client libraries
 * loaded). Each gets hot-key splitting with a bus, so every process agrees on the split keys.
 */
export async function createBackend(settings: Settings, environment = process.env): Promise<Backend> {
  const hotKeys = (bus: InvalidationBus): RingcacheModuleOptions['hotKeys'] => ({
    policy: 'split',
    bus,
    windowMs: settings.hotKeyWindowMs,
    minCount: settings.hotKeyMinCount,
  });
  switch (settings.backend) {
    case 'memory': {
      // 64 points per node instead of the default 4096, so the dashboard's ring shows arcs a
      // person can see; ownership is a little less even (a few percent) than with the default.
      const adapter = memoryAdapter({ nodes: 3, partitioner: (nodes) => hashRing(nodes, { vnodes: 64 }) });
      return {
        name: 'memory',
        description: 'embedded: 3 in-process nodes on a consistent hash ring',
        options: { adapter, hotKeys: hotKeys(memoryBus()) },
      };
    }
    case 'redis': {
      const { redisBus, redisClusterAdapter } = await import('@ringcache/redis');
      const nodes = nodeList(environment, 'REDIS_NODES', [
        '127.0.0.1:7000',
        '127.0.0.1:7001',
        '127.0.0.1:7002',
      ]);
      const adapter = redisClusterAdapter({ nodes });
      await adapter.ready();
      return {
        name: 'redis',
        description: `Redis Cluster via ${nodes.join(', ')}`,
        options: { adapter, namespace: NAMESPACE, timeout: 2000, hotKeys: hotKeys(redisBus({ nodes })) },
      };
    }
    case 'memcached': {
      const { memcachedAdapter } = await import('@ringcache/memcached');
      const servers = nodeList(environment, 'MEMCACHED_SERVERS', [
        '127.0.0.1:21211',
        '127.0.0.1:21212',
        '127.0.0.1:21213',
      ]);
      // memcached has no pub/sub: one process needs no more than the in-process bus; several
      // processes would share a Redis or Hazelcast bus. Few ring points, as for memory.
      return {
        name: 'memcached',
        description: `memcached pool ${servers.join(', ')}`,
        options: {
          adapter: memcachedAdapter({ servers, ring: (specs) => hashRing(specs, { vnodes: 64 }) }),
          namespace: NAMESPACE,
          timeout: 2000,
          hotKeys: hotKeys(memoryBus()),
        },
      };
    }
    case 'hazelcast': {
      const { hazelcastAdapter, hazelcastBus } = await import('@ringcache/hazelcast');
      const members = nodeList(environment, 'HAZELCAST_MEMBERS', ['127.0.0.1:15701', '127.0.0.1:15702']);
      const clusterName = environment.HAZELCAST_CLUSTER ?? 'ringcache-test';
      const adapter = await hazelcastAdapter({ clusterName, members, mapName: 'ringcache-sample' });
      return {
        name: 'hazelcast',
        description: `Hazelcast cluster '${clusterName}' via ${members.join(', ')}`,
        options: {
          adapter,
          namespace: NAMESPACE,
          timeout: 5000,
          hotKeys: hotKeys(hazelcastBus({ adapter })),
        },
      };
    }
  }
}
