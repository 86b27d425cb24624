import { redisBus, redisClusterAdapter } from '@ringcache/redis';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { describe } from 'vitest';
import { describeInjectedCache } from './support/injected-cache-suite.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);

describe.skipIf(!available)('Redis Cluster', () => {
  describeInjectedCache('Redis Cluster', async () => {
    const adapter = redisClusterAdapter({ nodes: redisCluster.nodes });
    await adapter.ready();
    return { adapter, bus: redisBus({ nodes: redisCluster.nodes }) };
  });
});
