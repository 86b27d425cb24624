// The sample on each engine: the same app, chosen by CACHE_BACKEND, with its adapter imported
// lazily. Engines come from `npm run servers:up`.
import { hazelcast, memcached, redisCluster, requireEngine } from '@ringcache/test-engines';
import { describe, expect, it } from 'vitest';
import { startApplication } from '../src/application.js';
import { type BackendName, readSettings } from '../src/settings.js';
import { getJson, type RingView, type StatsResponse } from './responses.js';

const engines: {
  backend: BackendName;
  engine: string;
  nodes: string[];
  environment: NodeJS.ProcessEnv;
  method: string;
}[] = [
  {
    backend: 'redis',
    engine: 'redis-cluster',
    nodes: redisCluster.nodes,
    environment: { REDIS_NODES: redisCluster.nodes.join(',') },
    method: 'exact',
  },
  {
    backend: 'memcached',
    engine: 'memcached',
    nodes: memcached.nodes,
    environment: { MEMCACHED_SERVERS: memcached.nodes.join(',') },
    method: 'sampled',
  },
  {
    backend: 'hazelcast',
    engine: 'hazelcast',
    nodes: hazelcast.members,
    environment: { HAZELCAST_MEMBERS: hazelcast.members.join(','), HAZELCAST_CLUSTER: hazelcast.clusterName },
    method: 'exact',
  },
];

for (const { backend, engine, nodes, environment, method } of engines) {
  const available = await requireEngine(engine, nodes);
  describe.skipIf(!available)(`sample on CACHE_BACKEND=${backend}`, () => {
    it('serves products cache-aside, the ring and health', async () => {
      const settings = { ...readSettings({ CACHE_BACKEND: backend }), port: 0, databaseLatencyMs: 20 };
      const { app, url } = await startApplication(settings, { logger: ['error'], environment });
      try {
        // A key of its own per run: the shared engines outlive the test.
        const id = 900 + (Date.now() % 100);
        await fetch(`${url}/api/products/${id}`, { method: 'DELETE' });
        const miss = await fetch(`${url}/api/products/${id}`);
        const hit = await fetch(`${url}/api/products/${id}`);
        expect(miss.headers.get('x-cache')).toBe('miss');
        expect(hit.headers.get('x-cache')).toBe('hit');
        const { body: ring } = await getJson<RingView>(`${url}/api/ring`);
        expect(ring.method, JSON.stringify(ring).slice(0, 300)).toBe(method);
        expect(ring.nodes.length).toBeGreaterThan(1);
        expect(ring.nodes.reduce((sum, node) => sum + node.share, 0)).toBeCloseTo(1, 5);
        const { body: stats } = await getJson<StatsResponse>(`${url}/api/stats`);
        expect(stats.backend).toBe(backend);
        const health = await fetch(`${url}/health`);
        expect(health.status).toBe(200);
      } finally {
        await app.close();
      }
    });
  });
}
