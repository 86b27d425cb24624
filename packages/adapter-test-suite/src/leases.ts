import { type CacheAdapter, createCache } from '@ringcache/core';
import { type SuiteContext, sleep } from './context.js';

const encoder = new TextEncoder();

/**
 * Cross-process leases and what they stand on. An adapter declares lease support through
 * `atomic.add` (taking a lease) and, for an atomic release, `atomic.deleteIfEquals`; tests of
 * what it does not declare are reported as skipped, never as passed.
 */
export function leaseTests(context: SuiteContext, adapter: () => CacheAdapter): void {
  const { describe, it, expect, runId, timeout } = context;

  describe('leases', () => {
    it('deleteIfEquals deletes only a key holding exactly the given bytes', async ({ skip }) => {
      const atomic = adapter().atomic;
      if (atomic?.deleteIfEquals === undefined) return skip('the adapter declares no atomic.deleteIfEquals');
      const key = `${runId}:compare-delete`;
      const mine = encoder.encode('token-mine');
      await atomic.add(key, mine, 60_000);
      expect(await atomic.deleteIfEquals(key, encoder.encode('token-other'))).toBe(false);
      expect(await atomic.deleteIfEquals(key, encoder.encode('token-min'))).toBe(false);
      expect(await adapter().get(key)).toEqual(mine);
      expect(await atomic.deleteIfEquals(key, mine)).toBe(true);
      expect(await adapter().get(key)).toBeUndefined();
      expect(await atomic.deleteIfEquals(key, mine)).toBe(false);
      // A key freed this way can be taken again (memcached: the expired item does not block add).
      expect(await atomic.add(key, mine, 60_000)).toBe(true);
      expect(await atomic.deleteIfEquals(key, mine)).toBe(true);
    });

    it('a key at the adapter key limit takes its lease (the lease key fits)', async ({ skip }) => {
      const capabilities = adapter().capabilities;
      if (adapter().atomic === undefined) return skip('the adapter declares no atomic.add');
      if (capabilities.maxKeyBytes > 64 * 1024) return skip('keys up to 64 KiB only');
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:lease-limit`, timeout });
      const prefixBytes = Buffer.byteLength(await cache.storedKey('k')) - 1;
      const key = 'k'.repeat(capabilities.maxKeyBytes - prefixBytes);
      const failures: unknown[] = [];
      cache.on('backend:error', (event) => failures.push(event.error));
      let loads = 0;
      expect(await cache.getOrSet(key, () => ++loads, { lease: true })).toBe(1);
      expect(await cache.getOrSet(key, () => ++loads, { lease: true })).toBe(1);
      expect(failures).toEqual([]);
    });

    it.skipIf(!context.sharedEngine)(
      'leases: 4 independent clients run the loader once for 400 concurrent misses',
      async ({ skip }) => {
        if (adapter().atomic === undefined) return skip('the adapter declares no atomic.add');
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
      },
    );
  });
}
