// The shared Redis Cluster of `npm run servers:up` answers through a cluster-aware client.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCluster, requireEngine } from '../engines/index.mjs';

const available = await requireEngine('redis-cluster', redisCluster.nodes);

describe.skipIf(!available)('Redis Cluster test engine', () => {
  const prefix = `ringcache:smoke:${process.pid}:${Date.now()}`;
  const clientErrors: Error[] = [];
  let cluster: Cluster;

  beforeAll(async () => {
    const startupNodes = redisCluster.ports.map((port) => ({ host: '127.0.0.1', port }));
    cluster = new Cluster(startupNodes, { lazyConnect: true, clusterRetryStrategy: () => null });
    // Without a listener, an 'error' event (a refused connection) would crash the worker.
    cluster.on('error', (error: Error) => clientErrors.push(error));
    await cluster.connect();
  });

  afterAll(async () => {
    await cluster?.quit();
  });

  it('has 3 masters with one replica each', () => {
    expect(cluster.nodes('master')).toHaveLength(3);
    expect(cluster.nodes('slave')).toHaveLength(3);
  });

  it('sets and gets keys spread over every master', async () => {
    const keys = Array.from({ length: 60 }, (_, index) => `${prefix}:${index}`);
    for (const key of keys) expect(await cluster.set(key, `value of ${key}`, 'EX', 60)).toBe('OK');
    for (const key of keys) expect(await cluster.get(key)).toBe(`value of ${key}`);
    const keysPerMaster = await Promise.all(cluster.nodes('master').map((node) => node.dbsize()));
    for (const count of keysPerMaster) expect(count).toBeGreaterThan(0);
    expect(await cluster.del(...keys.slice(0, 1))).toBe(1);
    expect(await cluster.get(keys[0]!)).toBeNull();
    expect(clientErrors).toEqual([]);
  });
});
