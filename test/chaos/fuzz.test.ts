// Scenario 4 (issue 12): key and value fuzz through every adapter (memory, standalone Redis, Redis
// Cluster, memcached, Hazelcast), each on engines this file starts (disposable ones, a
// redis-server of its own): values at the size limit (64 MiB on Redis in the long form) would
// weigh on the shared engines other test files use. A key is either rejected with
// a typed error or round-trips exactly, distinct keys never share an entry, values at the
// adapter's maxValueBytes round-trip and one byte more is E_VALUE_TOO_LARGE, and a canary key on
// the same connection still reads correctly after every case.
import { type Cache, type CacheAdapter, createCache, memoryAdapter, RingcacheError } from '@ringcache/core';
import { hazelcastAdapter } from '@ringcache/hazelcast';
import { memcachedAdapter } from '@ringcache/memcached';
import { redisAdapter, redisClusterAdapter } from '@ringcache/redis';
import { disposableHazelcast, disposableMemcached, disposableRedisCluster } from '@ringcache/test-engines';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownRedisServer } from './redis-server.js';
import { codeOf, LONG, report } from './support.js';

const RUN = `chaos-fuzz-${process.pid}-${Date.now().toString(36)}`;
const KEY_RUNS = LONG ? 300 : 60;

interface Target {
  name: string;
  /** Starts the target's engine (if any) and its adapter; `stop` stops the engine. */
  create: () => Promise<{ adapter: CacheAdapter; stop: () => Promise<void> }>;
}

// Short form: a 4 MiB value limit on Redis, so the at-limit value stays light on a shared
// machine; the long form keeps the adapters' 64 MiB default.
const redisLimits = LONG ? {} : { maxValueBytes: 4 * 1024 * 1024 };

const targets: Target[] = [
  { name: 'memory', create: async () => ({ adapter: memoryAdapter(), stop: async () => {} }) },
  {
    name: 'redis',
    create: async () => {
      const server = await ownRedisServer();
      return {
        adapter: redisAdapter({ redis: { host: '127.0.0.1', port: server.port }, ...redisLimits }),
        stop: () => server.stop(),
      };
    },
  },
  {
    name: 'redis-cluster',
    create: async () => {
      const cluster = await disposableRedisCluster({ masters: 3, replicas: 0 });
      return {
        adapter: redisClusterAdapter({ nodes: cluster.nodes, ...redisLimits }),
        stop: () => cluster.stop(),
      };
    },
  },
  {
    name: 'memcached',
    create: async () => {
      const pool = await disposableMemcached(3);
      return { adapter: memcachedAdapter({ servers: pool.nodes }), stop: () => pool.stop() };
    },
  },
  {
    name: 'hazelcast',
    create: async () => {
      const members = await disposableHazelcast(1);
      const adapter = await hazelcastAdapter({
        clusterName: members.clusterName,
        members: members.members,
        mapName: RUN,
      });
      return { adapter, stop: () => members.stop() };
    },
  },
];

/** Pads `prefix` with 'x' (or with `filler`, a multi-byte character) to exactly `bytes` UTF-8 bytes. */
function keyOfBytes(prefix: string, bytes: number, filler = 'x'): string {
  let key = prefix;
  const fillerBytes = Buffer.byteLength(filler);
  while (Buffer.byteLength(key) + fillerBytes <= bytes) key += filler;
  while (Buffer.byteLength(key) < bytes) key += 'x';
  return key;
}

const KEY_CODES = new Set(['E_KEY_INVALID', 'E_KEY_TOO_LONG']);

describe.each(targets)('scenario 4: key and value fuzz through $name', (target) => {
  let adapter: CacheAdapter;
  let stopEngine: (() => Promise<void>) | undefined;
  let cache: Cache;
  let bytesCache: Cache;
  const prefix = `${RUN}:`;
  const canaryKey = `${prefix}canary`;
  const figures: Record<string, number> = { keysTried: 0, roundTrips: 0, rejected: 0, canaryChecks: 0 };

  beforeAll(async () => {
    ({ adapter, stop: stopEngine } = await target.create());
    cache = createCache({ adapter, defaultTtl: 600_000 });
    // A second facade on the same adapter (same connections): raw bytes, for exact value sizes.
    bytesCache = createCache({ adapter, serializer: 'bytes', defaultTtl: 600_000 });
    await cache.set(canaryKey, { canary: RUN });
  });

  afterAll(async () => {
    report(`fuzz ${target.name}`, figures);
    await cache?.close();
    await stopEngine?.();
  });

  async function expectCanary(): Promise<void> {
    figures.canaryChecks!++;
    expect(await cache.get(canaryKey)).toEqual({ canary: RUN });
  }

  /** Writes each key with its own value, then reads them all: a typed rejection or an exact round trip. */
  async function checkKeys(suffixes: readonly string[]): Promise<void> {
    const unique = [...new Set(suffixes)];
    const accepted: string[] = [];
    for (const [index, suffix] of unique.entries()) {
      const key = prefix + suffix;
      figures.keysTried!++;
      try {
        await cache.set(key, { index, suffix });
        accepted.push(key);
      } catch (error) {
        expect(
          RingcacheError.isInstance(error),
          `untyped error for ${JSON.stringify(key)}: ${String(error)}`,
        ).toBe(true);
        expect(KEY_CODES.has(codeOf(error)), `${codeOf(error)} for ${JSON.stringify(key)}`).toBe(true);
        figures.rejected!++;
        // A rejected key is rejected by reads too, never answered from another key.
        await expect(cache.get(key)).rejects.toSatisfy((reason) => KEY_CODES.has(codeOf(reason)));
      }
    }
    for (const key of accepted) {
      const suffix = key.slice(prefix.length);
      expect(await cache.get(key), `round trip of ${JSON.stringify(key)}`).toEqual({
        index: unique.indexOf(suffix),
        suffix,
      });
      figures.roundTrips!++;
    }
    const many = await cache.getMany(accepted);
    expect(many.map((value) => (value as { suffix: string }).suffix)).toEqual(
      accepted.map((key) => key.slice(prefix.length)),
    );
    await cache.deleteMany(accepted);
    await expectCanary();
  }

  it('hand-picked keys: spaces, CR/LF, control characters, protocol injection, multi-byte', async () => {
    await checkKeys([
      'with space',
      ' leading',
      'trailing ',
      'cr\rlf\nboth\r\n',
      'tab\tkey',
      'nul\u0000byte',
      'bell\u0007esc\u001b',
      'del\u007f',
      'nbsp\u00a0nel\u0085ls\u2028ps\u2029',
      // A key that would be a second command on a text protocol.
      'x 0 0 1\r\nset injected 0 0 1\r\nz',
      'get other\r\n',
      '{hash}tag',
      '{}empty-tag',
      'ключ-日本語-🔑',
      'e\u0301 vs é',
      '*?[glob]',
    ]);
  });

  // Lone surrogates would encode to U+FFFD on every engine ('a\ud800', 'a\udc00' and 'a\ufffd'
  // one entry): the key pipeline rejects keys that are not well-formed with E_KEY_INVALID.
  it('lone UTF-16 surrogates: two different keys must not share one entry', async () => {
    await checkKeys(['lone\ud800', 'lone\udc00', 'lone\ufffd']);
  });

  // A raw value that starts with the envelope marker "\0RCE" is escaped in an empty envelope on
  // write, so it reads back exactly.
  it('a bytes value that looks like an envelope round-trips exactly', async () => {
    const header = Buffer.from('{}');
    const value = Buffer.concat([
      Buffer.from([0, 0x52, 0x43, 0x45, 0, 0, 0, header.length]),
      header,
      Buffer.from('hello'),
    ]);
    const key = `${prefix}envelope-lookalike`;
    try {
      await bytesCache.set(key, new Uint8Array(value));
      const read = await bytesCache.get<Uint8Array>(key);
      expect(Buffer.from(read ?? [])).toEqual(value);
    } finally {
      await bytesCache.delete(key);
    }
  });

  it('the empty key is E_KEY_INVALID for every call', async () => {
    for (const call of [
      () => cache.get(''),
      () => cache.set('', 1),
      () => cache.delete(''),
      () => cache.getMany(['']),
    ]) {
      await expect(call()).rejects.toSatisfy((error) => codeOf(error) === 'E_KEY_INVALID');
    }
    await expectCanary();
  });

  it('keys at the adapter key limit and one byte over, ASCII and multi-byte', async () => {
    const limit = adapter.capabilities.maxKeyBytes;
    const atLimit = keyOfBytes(prefix, limit);
    const multiByteAtLimit = keyOfBytes(prefix, limit, '€');
    for (const key of [atLimit, multiByteAtLimit]) {
      expect(Buffer.byteLength(key)).toBe(limit);
      await cache.set(key, key.length);
      expect(await cache.get(key)).toBe(key.length);
      await cache.delete(key);
    }
    for (const key of [keyOfBytes(prefix, limit + 1), keyOfBytes(prefix, limit + 1, '€')]) {
      expect(Buffer.byteLength(key)).toBe(limit + 1);
      await expect(cache.set(key, 1)).rejects.toSatisfy((error) => codeOf(error) === 'E_KEY_TOO_LONG');
      await expect(cache.get(key)).rejects.toSatisfy((error) => codeOf(error) === 'E_KEY_TOO_LONG');
    }
    if (limit >= 251) {
      // memcached's own limit is 250; the others take longer keys: 250 and 251 must both work.
      for (const bytes of [250, 251]) {
        const key = keyOfBytes(prefix, bytes);
        await cache.set(key, bytes);
        expect(await cache.get(key)).toBe(bytes);
        await cache.delete(key);
      }
    }
    figures.maxKeyBytes = limit;
    await expectCanary();
  });

  it('fast-check: arbitrary keys round-trip or are rejected with a typed error', async () => {
    const suffix = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({
        unit: fc.constantFrom(' ', '\r', '\n', '\t', '\u0000', 'a', '{', '}', 'é', '🔑'),
        maxLength: 20,
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(suffix, { minLength: 1, maxLength: 8 }), async (suffixes) => {
        await checkKeys(suffixes.filter((value) => value.length > 0));
      }),
      { numRuns: KEY_RUNS },
    );
  });

  it('values at maxValueBytes round-trip exactly, one byte over is E_VALUE_TOO_LARGE', async () => {
    const limit = adapter.capabilities.maxValueBytes;
    figures.maxValueBytes = limit;
    // The longest key the adapter takes, so memcached's item holds the largest key and value at once.
    const key = keyOfBytes(`${prefix}big:`, Math.min(adapter.capabilities.maxKeyBytes, 250));
    for (const size of [limit - 1, limit]) {
      const value = new Uint8Array(size);
      for (let index = 0; index < size; index += 4099) value[index] = (index / 4099) % 251;
      value[size - 1] = 0xa5;
      await bytesCache.set(key, value);
      const read = (await bytesCache.get<Uint8Array>(key))!;
      expect(read.byteLength).toBe(size);
      expect(Buffer.compare(Buffer.from(read), Buffer.from(value))).toBe(0);
      await expectCanary();
    }
    // Over the limit, on a key that holds an older value.
    await bytesCache.set(key, Uint8Array.of(1, 2, 3));
    await expect(bytesCache.set(key, new Uint8Array(limit + 1))).rejects.toSatisfy(
      (error) => codeOf(error) === 'E_VALUE_TOO_LARGE',
    );
    // The rejected set drops the key: a miss, never the old value.
    const after = await bytesCache.get<Uint8Array>(key);
    figures.oversizedSetLeavesOldValue = after !== undefined && after.byteLength === 3 ? 1 : 0;
    expect(after).toBeUndefined();
    await bytesCache.delete(key);
    await expectCanary();
  });
});
