// The conformance suite again, on a disposable cluster of our own, so its node-failure test can
// SIGKILL a master through the adapter's `faults` hooks (the shared engine must not be killed).
import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { type DisposableRedisCluster, disposableRedisCluster } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisClusterAdapter } from '../../src/index.js';
import { clusterFaults } from '../helpers/cluster-faults.js';

let engine: DisposableRedisCluster | undefined;

beforeAll(async () => {
  engine = await disposableRedisCluster({ nodeTimeoutMs: 3000 });
});

afterAll(async () => {
  await engine?.stop();
});

describeAdapterConformance({
  name: 'redis-cluster (disposable, with faults)',
  create: async () => {
    if (engine === undefined) throw new Error('the disposable cluster did not start');
    const adapter = redisClusterAdapter({
      nodes: engine.nodes,
      maxValueBytes: 1024 * 1024,
      faults: clusterFaults(engine),
    });
    await adapter.ready();
    return adapter;
  },
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
  recoveryTimeout: 60_000,
});
