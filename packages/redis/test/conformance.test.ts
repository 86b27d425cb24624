// The conformance suite against the shared 6-node Redis Cluster of `npm run servers:up`. Its
// node-failure test needs `faults` hooks, which a shared engine cannot offer: it runs on a
// disposable cluster in test/faults/conformance.test.ts.
import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisClusterAdapter } from '../src/index.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);

describe.skipIf(!available)('redis cluster adapter (shared engine)', () => {
  describeAdapterConformance({
    name: 'redis-cluster',
    create: async () => {
      const adapter = redisClusterAdapter({ nodes: redisCluster.nodes, maxValueBytes: 1024 * 1024 });
      await adapter.ready();
      return adapter;
    },
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
  });
});
