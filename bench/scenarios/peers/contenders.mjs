// How each contender of the peers scenario connects, as its own documentation shows, reduced to
// one client shape: { get, set, getMany, getOrSet, close }. Every value is the same object;
// each library serializes it its own way (JSON everywhere); raw clients JSON-encode and -decode
// it in this file, as an application using them must.

import KeyvMemcache from '@keyv/memcache';
import { createCluster, default as KeyvRedis } from '@keyv/redis';
import { RedisMessageProvider } from '@qified/redis';
import { createCache } from '@ringcache/core';
import { memcachedAdapter } from '@ringcache/memcached';
import { redisBus, redisClusterAdapter } from '@ringcache/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable, createKeyv } from 'cacheable';
import { Cluster } from 'ioredis';
import { Keyv } from 'keyv';
import memjs from 'memjs';
import { L1_ENTRIES, TTL_MS } from './workloads.mjs';

const TTL_SECONDS = TTL_MS / 1000;

/** ioredis Cluster with auto-pipelining: ioredis' fastest setting for the libraries built on it. */
async function ioredisCluster(nodes) {
  const cluster = new Cluster(
    nodes.map((node) => {
      const [host, port] = node.split(':');
      return { host, port: Number(port) };
    }),
    { enableAutoPipelining: true },
  );
  cluster.on('error', () => {});
  await new Promise((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('end', () => reject(new Error('ioredis Cluster could not connect')));
  });
  return cluster;
}

/** The naive read-through a library without single-flight leaves to its user. */
function naiveGetOrSet(get, set) {
  return async (key, loader) => {
    const cached = await get(key);
    if (cached !== undefined) return cached;
    const value = await loader();
    await set(key, value);
    return value;
  };
}

async function ringcache(adapter, local) {
  if (adapter.ready) await adapter.ready();
  const bus = local ? redisBus({ client: adapter.getClient() }) : undefined;
  const cache = createCache({
    adapter,
    defaultTtl: TTL_MS,
    local: local ? { maxEntries: L1_ENTRIES, bus } : undefined,
  });
  await cache.ready();
  return {
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
    getMany: (keys) => cache.getMany(keys),
    getOrSet: (key, loader) => cache.getOrSet(key, loader),
    async close() {
      await cache.close();
      await bus?.close();
    },
    stats: () => cache.stats(),
  };
}

async function bento(nodes, local) {
  const connection = await ioredisCluster(nodes);
  let store = bentostore();
  if (local) store = store.useL1Layer(memoryDriver({ maxItems: L1_ENTRIES }));
  store = store.useL2Layer(redisDriver({ connection }));
  if (local) store = store.useBus(redisBusDriver({ connection }));
  const cache = new BentoCache({ default: 'cache', ttl: TTL_MS, stores: { cache: store } });
  // BentoCache has no multi-key read: a user reads each key.
  const get = (key) => cache.get({ key });
  return {
    get,
    set: (key, value) => cache.set({ key, value }),
    getMany: (keys) => Promise.all(keys.map(get)),
    getOrSet: (key, loader) => cache.getOrSet({ key, factory: loader }),
    async close() {
      await cache.disconnectAll();
      connection.disconnect();
    },
  };
}

function keyvRedisCluster(nodes) {
  const cluster = createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node}` })) });
  const store = new KeyvRedis(cluster, { throwOnConnectError: true });
  store.on('error', () => {});
  return store;
}

/**
 * Definitions: `group` puts like against like in the report; `packages` are the npm packages
 * whose installed versions the report lists; `connect({ redis, memcached })` → client.
 */
export const CONTENDERS = {
  'ringcache L1+L2+bus': {
    group: 'l1',
    setup:
      "createCache defaults + local: { maxEntries: 2000, bus: redisBus } (L1 entries live ≤ 5 s by default); redisClusterAdapter (ioredis, the adapter's write coalescing)",
    packages: ['@ringcache/core', '@ringcache/redis', 'ioredis'],
    connect: ({ redis }) => ringcache(redisClusterAdapter({ nodes: redis }), true),
  },
  'BentoCache L1+L2+bus': {
    group: 'l1',
    setup:
      'memoryDriver({ maxItems: 2000 }) + redisDriver + redisBusDriver on one ioredis Cluster (auto-pipelining); no multi-get: getMany is one get per key',
    packages: ['bentocache', 'ioredis'],
    connect: ({ redis }) => bento(redis, true),
  },
  'cacheable L1+L2+sync': {
    group: 'l1',
    setup:
      'primary CacheableMemory (lruSize 2000), secondary KeyvRedis on node-redis createCluster, sync over @qified/redis (publishes each written value)',
    packages: ['cacheable', '@keyv/redis', '@redis/client', '@qified/redis'],
    async connect({ redis }) {
      const secondary = keyvRedisCluster(redis);
      const provider = new RedisMessageProvider({ uri: `redis://${redis[0]}` });
      const cache = new Cacheable({
        primary: createKeyv({ lruSize: L1_ENTRIES }),
        secondary,
        ttl: TTL_MS,
        sync: { qified: provider },
      });
      return {
        get: (key) => cache.get(key),
        set: (key, value) => cache.set(key, value),
        getMany: (keys) => cache.getMany(keys),
        getOrSet: (key, loader) => cache.getOrSet(key, loader),
        async close() {
          await cache.disconnect();
          await provider.disconnect?.();
        },
      };
    },
  },
  'ringcache L2': {
    group: 'l2',
    setup: "createCache defaults; redisClusterAdapter (ioredis, the adapter's write coalescing)",
    packages: ['@ringcache/core', '@ringcache/redis', 'ioredis'],
    connect: ({ redis }) => ringcache(redisClusterAdapter({ nodes: redis }), false),
  },
  'BentoCache L2': {
    group: 'l2',
    setup: 'redisDriver only, ioredis Cluster (auto-pipelining); getMany is one get per key',
    packages: ['bentocache', 'ioredis'],
    connect: ({ redis }) => bento(redis, false),
  },
  'cache-manager + @keyv/redis': {
    group: 'l2',
    setup:
      'createCache({ stores: [new Keyv({ store: new KeyvRedis(createCluster(...)) })] }); getMany = mget (MGET per slot); getOrSet = wrap',
    packages: ['cache-manager', 'keyv', '@keyv/redis', '@redis/client'],
    async connect({ redis }) {
      const keyv = new Keyv({ store: keyvRedisCluster(redis), ttl: TTL_MS });
      keyv.on('error', () => {});
      const cache = createCacheManager({ stores: [keyv], ttl: TTL_MS });
      return {
        get: (key) => cache.get(key),
        set: (key, value) => cache.set(key, value),
        getMany: (keys) => cache.mget(keys),
        getOrSet: (key, loader) => cache.wrap(key, loader),
        close: () => cache.disconnect(),
      };
    },
  },
  'ioredis Cluster (raw)': {
    group: 'l2',
    setup: 'new Cluster(nodes, { enableAutoPipelining: true }); getMany is one GET per key',
    packages: ['ioredis'],
    async connect({ redis }) {
      const cluster = await ioredisCluster(redis);
      const get = async (key) => {
        const text = await cluster.get(key);
        return text === null ? undefined : JSON.parse(text);
      };
      const set = (key, value) => cluster.set(key, JSON.stringify(value), 'EX', TTL_SECONDS);
      return {
        get,
        set,
        getMany: (keys) => Promise.all(keys.map(get)),
        getOrSet: naiveGetOrSet(get, set),
        close: () => cluster.quit(),
      };
    },
  },
  'node-redis cluster (raw)': {
    group: 'l2',
    setup: 'createCluster({ rootNodes }); getMany is one GET per key',
    packages: ['@redis/client'],
    async connect({ redis }) {
      const cluster = createCluster({ rootNodes: redis.map((node) => ({ url: `redis://${node}` })) });
      cluster.on('error', () => {});
      await cluster.connect();
      const get = async (key) => {
        const text = await cluster.get(key);
        return text === null ? undefined : JSON.parse(text);
      };
      const set = (key, value) => cluster.set(key, JSON.stringify(value), { EX: TTL_SECONDS });
      return {
        get,
        set,
        getMany: (keys) => Promise.all(keys.map(get)),
        getOrSet: naiveGetOrSet(get, set),
        close: () => cluster.close(),
      };
    },
  },
  'ringcache memcached': {
    group: 'memcached',
    setup: 'createCache defaults; memcachedAdapter (one pipelined connection per server, core ring)',
    packages: ['@ringcache/core', '@ringcache/memcached'],
    connect: ({ memcached }) => ringcache(memcachedAdapter({ servers: memcached }), false),
  },
  'Keyv + @keyv/memcache': {
    group: 'memcached',
    setup: 'new Keyv({ store: new KeyvMemcache(servers) }) (memjs underneath); getMany is one get per key',
    packages: ['keyv', '@keyv/memcache', 'memjs'],
    async connect({ memcached }) {
      const keyv = new Keyv({
        store: new KeyvMemcache(memcached.join(','), { logger: { log() {} } }),
        ttl: TTL_MS,
      });
      keyv.on('error', () => {});
      const get = (key) => keyv.get(key);
      const set = (key, value) => keyv.set(key, value);
      return {
        get,
        set,
        getMany: (keys) => keyv.getMany(keys),
        getOrSet: naiveGetOrSet(get, set),
        close: () => keyv.disconnect(),
      };
    },
  },
  'memjs (raw)': {
    group: 'memcached',
    setup: 'memjs.Client.create(servers); getMany is one get per key',
    packages: ['memjs'],
    async connect({ memcached }) {
      const client = memjs.Client.create(memcached.join(','), { logger: { log() {} } });
      const get = async (key) => {
        const { value } = await client.get(key);
        return value === null ? undefined : JSON.parse(value.toString());
      };
      const set = (key, value) => client.set(key, JSON.stringify(value), { expires: TTL_SECONDS });
      return {
        get,
        set,
        getMany: (keys) => Promise.all(keys.map(get)),
        getOrSet: naiveGetOrSet(get, set),
        close: () => client.close(),
      };
    },
  },
};
