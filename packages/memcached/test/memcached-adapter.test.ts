// The adapter against real memcached: interop with other clients, memcached's own limits and
// rules (item size, 30-day exptime), many-key reads, clear() and node status.
import { randomUUID } from 'node:crypto';
import { createCache } from '@ringcache/core';
import {
  type DisposableMemcached,
  disposableMemcached,
  memcached,
  requireEngine,
} from '@ringcache/test-engines';
import Memcached from 'memcached';
import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedAdapter, memcachedAdapter } from '../src/index.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);

describe.skipIf(!available)('memcached adapter on the shared servers', () => {
  let adapter: MemcachedAdapter;
  beforeAll(() => {
    adapter = memcachedAdapter({ servers: memcached.nodes });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('writes flags 0, so strings are read as strings by memjs and the `memcached` package', async () => {
    const cache = createCache({ adapter, serializer: 'string' });
    const key = `${run}:interop`;
    await cache.set(key, 'héllo from ringcache');
    const connection = adapter.getClient().get(adapter.topology().locate(key))!;
    const raw = await connection.request({ command: 'get', keys: [key] });
    expect(raw).toMatchObject({ type: 'values', items: [{ key, flags: 0 }] });

    const viaMemjs = memjs.Client.create(
      memcached.nodes[memcached.nodes.indexOf(adapter.topology().locate(key))],
      {
        logger: { log: () => {} },
      },
    );
    const { value } = await viaMemjs.get(key);
    viaMemjs.close();
    expect(value?.toString('utf8')).toBe('héllo from ringcache');

    const viaMemcached = new Memcached(adapter.topology().locate(key));
    const read = await new Promise((resolve, reject) =>
      viaMemcached.get(key, (error, data) => (error ? reject(error) : resolve(data))),
    );
    viaMemcached.end();
    expect(read).toBe('héllo from ringcache');
  });

  it('sends an absolute unix time for TTLs over 30 days (a relative one would expire at once)', async () => {
    const cache = createCache({ adapter });
    await cache.set(`${run}:long`, 'kept', { ttl: 45 * 24 * 3600 * 1000 });
    expect(await cache.get(`${run}:long`)).toBe('kept');
  });

  it('splits a large many-key read per server and per 256 keys, in input order', async () => {
    const cache = createCache({ adapter });
    const keys = Array.from({ length: 2000 }, (_, index) => `${run}:many:${index}`);
    await cache.setMany(keys.filter((_, index) => index % 3 !== 0).map((key) => ({ key, value: key })));
    const values = await cache.getMany(keys);
    expect(values).toEqual(keys.map((key, index) => (index % 3 === 0 ? undefined : key)));
  });

  it('a set the server refuses as too large rejects with E_VALUE_TOO_LARGE and leaves no old value readable', async () => {
    // The adapter is told the servers take 2 MiB items; they take 1 MiB (the default -I).
    const optimistic = memcachedAdapter({ servers: memcached.nodes, itemSizeMax: 2 * 1024 * 1024 });
    try {
      const cache = createCache({ adapter: optimistic, serializer: 'bytes' });
      const key = `${run}:too-large`;
      await cache.set(key, Uint8Array.of(1, 2, 3));
      const error = await cache.set(key, new Uint8Array(1536 * 1024)).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'E_VALUE_TOO_LARGE' });
      expect(await cache.get(key)).toBeUndefined();
      // The connection is still in step afterwards.
      await cache.set(key, Uint8Array.of(4));
      expect(await cache.get(key)).toEqual(Uint8Array.of(4));
    } finally {
      await optimistic.close();
    }
  });

  it('stores a value of exactly maxValueBytes under a 250-byte key', async () => {
    const cache = createCache({ adapter, serializer: 'bytes' });
    const key = `${run}:`.padEnd(250, 'k');
    const value = new Uint8Array(adapter.capabilities.maxValueBytes).fill(9);
    await cache.set(key, value);
    const read = await cache.get<Uint8Array>(key);
    expect(read && Buffer.from(read).equals(value)).toBe(true);
  });

  it('atomic operations follow memcached: add once, counters never go below 0', async () => {
    const cache = createCache({ adapter });
    expect(await cache.add(`${run}:add`, 1)).toBe(true);
    expect(await cache.add(`${run}:add`, 2)).toBe(false);
    expect(await cache.increment(`${run}:counter`, 5)).toBe(5);
    expect(await cache.decrement(`${run}:counter`, 7)).toBe(0);
    expect(await cache.decrement(`${run}:fresh-counter`, 3)).toBe(0);
    await cache.set(`${run}:text`, 'not a number');
    await expect(cache.increment(`${run}:text`)).rejects.toMatchObject({ code: 'E_BACKEND' });
    await expect(cache.ttl(`${run}:add`)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});

describe('memcached adapter on servers of its own', () => {
  let engine: DisposableMemcached;
  beforeAll(async () => {
    engine = await disposableMemcached(2, { basePort: 21400 });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('clear() flushes every server; a prefix is refused with E_UNSUPPORTED', async () => {
    const adapter = memcachedAdapter({ servers: engine.nodes });
    try {
      const cache = createCache({ adapter });
      const keys = Array.from({ length: 50 }, (_, index) => `clear:${index}`);
      await cache.setMany(keys.map((key) => ({ key, value: 1 })));
      expect(new Set(keys.map((key) => adapter.topology().locate(key))).size).toBe(2);
      await cache.clear();
      expect((await cache.getMany(keys)).filter((value) => value !== undefined)).toEqual([]);
      await expect(adapter.clear('clear:')).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    } finally {
      await adapter.close();
    }
  });

  it('reports a server it cannot reach as down, with a client:error event, and rejects its calls with E_NODE_UNAVAILABLE', async () => {
    const adapter = memcachedAdapter({
      servers: [...engine.nodes, '127.0.0.1:1'],
      health: { failureLimit: 100 },
    });
    const errors: unknown[] = [];
    adapter.subscribe((event) => {
      if (event.type === 'client:error') errors.push(event.error);
    });
    try {
      const key = Array.from({ length: 200 }, (_, index) => `down:${index}`).find(
        (candidate) => adapter.topology().locate(candidate) === '127.0.0.1:1',
      )!;
      await expect(adapter.get(key)).rejects.toMatchObject({
        code: 'E_NODE_UNAVAILABLE',
        node: '127.0.0.1:1',
      });
      expect(adapter.nodes().find((node) => node.id === '127.0.0.1:1')?.status).toBe('down');
      expect(adapter.nodes().filter((node) => node.status === 'up')).toHaveLength(2);
      expect(errors).toHaveLength(1);
    } finally {
      await adapter.close();
    }
  });
});
