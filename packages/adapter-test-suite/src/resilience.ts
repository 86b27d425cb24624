import { type CacheAdapter, createCache } from '@ringcache/core';
import { type SuiteContext, sleep } from './context.js';

/** Grace, tags, atomic helpers and cross-process leases, for the capabilities the adapter declares. */
export function resilienceTests(context: SuiteContext, adapter: () => CacheAdapter): void {
  const { describe, it, expect, runId, timeout } = context;

  describe('resilience', () => {
    it('tags: invalidateTags turns every tagged entry into a miss and spares untagged ones', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:tags`, timeout });
      const tag = `${runId}-user-42`;
      await cache.set('a', 1, { tags: [tag] });
      await cache.set('b', 2, { tags: [tag, `${runId}-other`] });
      await cache.set('c', 3);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
      await cache.invalidateTags([tag]);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, 3]);
    });

    it('grace: a stale value is served when the loader fails after the TTL', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:grace`, timeout });
      const ttl = Math.max(adapter().capabilities.ttlGranularityMs, 100);
      await cache.getOrSet('k', () => 'fresh', { ttl, grace: 60_000 });
      await sleep(ttl + 50);
      const failing = () => Promise.reject(new Error('origin down'));
      expect(await cache.getOrSet('k', failing, { ttl, grace: 60_000 })).toBe('fresh');
    });

    it('hard loader timeout: E_TIMEOUT when nothing stale is at hand; the load still lands', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:hard`, timeout });
      const slow = async () => {
        await sleep(600);
        return 'late';
      };
      await expect(cache.getOrSet('k', slow, { hardTimeout: 100 })).rejects.toEqual(
        expect.objectContaining({ code: 'E_TIMEOUT' }),
      );
      expect(await eventually(() => cache.get('k'), 'late')).toBe('late');
    });

    it('soft loader timeout: the stale value now, the slow load refreshes the entry', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:soft`, timeout });
      const ttl = Math.max(adapter().capabilities.ttlGranularityMs, 100);
      await cache.getOrSet('k', () => 'old', { ttl, grace: 60_000 });
      await sleep(ttl + 50);
      const slow = async () => {
        await sleep(600);
        return 'new';
      };
      expect(await cache.getOrSet('k', slow, { ttl: 60_000, grace: 60_000, softTimeout: 100 })).toBe('old');
      expect(await eventually(() => cache.get('k'), 'new')).toBe('new');
    });

    it('early refresh reloads a fresh entry before it expires', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:early`, timeout });
      let loads = 0;
      const loader = async () => {
        loads++;
        await sleep(50);
        return loads;
      };
      // β = 1000 with a 50 ms load: a refresh is likely on each read of a 10 s entry.
      const options = { ttl: 10_000, earlyRefresh: 1000 };
      expect(await cache.getOrSet('k', loader, options)).toBe(1);
      for (let read = 0; read < 50 && loads < 2; read++) {
        expect(await cache.getOrSet('k', loader, options)).toBeGreaterThanOrEqual(1);
        await sleep(20);
      }
      expect(loads).toBeGreaterThanOrEqual(2);
      const refreshed = await eventually(
        () => cache.get<number>('k'),
        (value) => (value ?? 0) >= 2,
      );
      expect(refreshed).toBeGreaterThanOrEqual(2);
    });

    it('atomic helpers: add, increment, touch (when the adapter declares them)', async () => {
      const atomic = adapter().atomic;
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:atomic`, timeout });
      if (atomic === undefined) {
        await expect(cache.add('k', 1)).rejects.toEqual(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
        return;
      }
      expect(await cache.add('once', 'first')).toBe(true);
      expect(await cache.add('once', 'second')).toBe(false);
      expect(await cache.get('once')).toBe('first');
      expect(await cache.increment('n', 2)).toBe(2);
      expect(await cache.increment('n', 40)).toBe(42);
      expect(await cache.decrement('n', 2)).toBe(40);
      expect(await cache.get('n')).toBe(40);
      expect(await cache.touch('missing', { ttl: 10_000 })).toBe(false);
      const granularity = adapter().capabilities.ttlGranularityMs;
      expect(await cache.touch('once', { ttl: Math.max(granularity, 200) })).toBe(true);
      if (atomic.ttl !== undefined) {
        expect(await cache.ttl('once')).toBeGreaterThan(0);
        expect(await cache.ttl('missing')).toBeUndefined();
      } else {
        await expect(cache.ttl('once')).rejects.toEqual(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
      }
      await sleep(Math.max(granularity, 200) + granularity + 300);
      expect(await cache.get('once')).toBeUndefined();
    });
  });
}

/** Polls `read` until its answer passes `done` (or equals it) or 5 s pass; answers the last value read. */
async function eventually<T>(read: () => Promise<T>, done: T | ((value: T) => boolean)): Promise<T> {
  const deadline = Date.now() + 5000;
  const passes = typeof done === 'function' ? (done as (value: T) => boolean) : (value: T) => value === done;
  let value = await read();
  while (!passes(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}
