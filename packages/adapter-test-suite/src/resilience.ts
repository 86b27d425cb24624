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
      }
      await sleep(Math.max(granularity, 200) + granularity + 300);
      expect(await cache.get('once')).toBeUndefined();
    });

    it('leases: 4 independent clients run the loader once for 400 concurrent misses', async () => {
      if (adapter().atomic === undefined || !context.sharedEngine) return;
      const clients = await Promise.all(Array.from({ length: 4 }, () => context.create()));
      try {
        const caches = clients.map((client) =>
          createCache({ adapter: client, namespace: `${runId}:lease`, timeout }),
        );
        let loads = 0;
        const loader = async () => {
          loads++;
          await sleep(100);
          return { loaded: true };
        };
        const results = await Promise.all(
          Array.from({ length: 400 }, (_, index) =>
            caches[index % 4]!.getOrSet('hot', loader, { lease: true }),
          ),
        );
        expect(loads).toBe(1);
        expect(results.every((result) => result.loaded)).toBe(true);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    });
  });
}
