// Type tests, checked by `npm run typecheck` (tsc over src and test, as every package's tsconfig
// includes both); vitest does not run `*.test-d.ts` files.
import type { CacheAdapter, InvalidationBus } from '@ringcache/core';
import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type RedisBus,
  type RedisClusterAdapter,
  type RedisStandaloneAdapter,
  redisAdapter,
  redisBus,
  redisClusterAdapter,
} from '../src/index.js';

declare const cluster: Cluster;
declare const redis: Redis;

describe('factories', () => {
  it('take options or an existing client and expose the client type through getClient()', () => {
    expectTypeOf(redisClusterAdapter(cluster)).toEqualTypeOf<RedisClusterAdapter>();
    expectTypeOf(redisClusterAdapter({ nodes: ['127.0.0.1:7000'] }).getClient()).toEqualTypeOf<Cluster>();
    expectTypeOf(redisAdapter(redis).getClient()).toEqualTypeOf<Redis>();
    expectTypeOf(
      redisAdapter({ redis: { sentinels: [{ host: 'h', port: 26379 }], name: 'mymaster' } }),
    ).toEqualTypeOf<RedisStandaloneAdapter>();
    expectTypeOf<RedisClusterAdapter>().toExtend<CacheAdapter>();
    expectTypeOf<RedisStandaloneAdapter>().toExtend<CacheAdapter>();
  });

  it('builds a bus that is the core InvalidationBus', () => {
    expectTypeOf(redisBus(cluster)).toEqualTypeOf<RedisBus>();
    expectTypeOf<RedisBus>().toExtend<InvalidationBus>();
    // @ts-expect-error a bus needs a client, nodes or redis options
    redisBus(42);
  });

  it('rejects unknown failover settings', () => {
    // @ts-expect-error retryWindow is a number of ms or 'ride-through'
    redisClusterAdapter({ nodes: ['127.0.0.1:7000'], failover: { retryWindow: 'forever' } });
  });
});
