import { type CacheAdapter, createCache } from '@ringcache/core';
import type { SuiteContext } from './context.js';

/** Values through each serializer, TTL expiry and ttl 0, parallel load. */
export function roundTripTests(context: SuiteContext, adapter: () => CacheAdapter): void {
  const { describe, it, expect, runId, timeout } = context;

  describe('round trips', () => {
    const unicode = 'héllo wörld ✓ 日本語 🎉 \u0000 nul';
    const largeSize = () => Math.min(512 * 1024, adapter().capabilities.maxValueBytes - 64);

    it('json: objects, arrays, numbers, booleans, null, unicode', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:json`, timeout });
      const values = [
        { a: 1, nested: { b: [1, 'two', null] } },
        [1, 2, 3],
        42.5,
        -0.25,
        true,
        false,
        null,
        unicode,
        '',
      ];
      await Promise.all(values.map((value, index) => cache.set(`v${index}`, value)));
      for (const [index, value] of values.entries()) expect(await cache.get(`v${index}`)).toEqual(value);
      const large = { text: unicode.repeat(Math.floor(largeSize() / 64)), list: [1, 2, 3] };
      await cache.set('large', large);
      expect(await cache.get('large')).toEqual(large);
    });

    it('msgpack: binary, dates, nested objects, large values', async () => {
      const cache = createCache({
        adapter: adapter(),
        namespace: `${runId}:msgpack`,
        serializer: 'msgpack',
        timeout,
      });
      const date = new Date('2026-01-02T03:04:05.678Z');
      const large = 'x'.repeat(largeSize() - 16);
      await cache.set('date', date);
      await cache.set('nested', { list: [1, { deep: true }], nothing: null });
      await cache.set('bin', Uint8Array.of(0, 1, 2, 255));
      await cache.set('large', large);
      await cache.set('unicode', { [unicode]: unicode });
      expect(await cache.get('unicode')).toEqual({ [unicode]: unicode });
      expect(await cache.get('date')).toEqual(date);
      expect(await cache.get('nested')).toEqual({ list: [1, { deep: true }], nothing: null });
      expect(await cache.get('bin')).toEqual(Uint8Array.of(0, 1, 2, 255));
      expect(await cache.get('large')).toBe(large);
    });

    it('string: plain UTF-8, including unicode and a large string', async () => {
      const cache = createCache({
        adapter: adapter(),
        namespace: `${runId}:string`,
        serializer: 'string',
        timeout,
      });
      const large = 'ü'.repeat(Math.floor(largeSize() / 2));
      await cache.set('u', unicode);
      await cache.set('large', large);
      expect(await cache.get('u')).toBe(unicode);
      expect(await cache.get('large')).toBe(large);
    });

    it('bytes: every byte value, the empty value and a value at the size limit', async () => {
      const cache = createCache({
        adapter: adapter(),
        namespace: `${runId}:bytes`,
        serializer: 'bytes',
        timeout,
      });
      const all = Uint8Array.from({ length: 256 }, (_, index) => index);
      const atLimit = new Uint8Array(adapter().capabilities.maxValueBytes).fill(7);
      await cache.set('all', all);
      await cache.set('empty', new Uint8Array(0));
      await cache.set('limit', atLimit);
      expect(await cache.get('all')).toEqual(all);
      expect(await cache.get('empty')).toEqual(new Uint8Array(0));
      // Compared as a Buffer: a deep equality over a megabyte of elements takes seconds.
      const limit = await cache.get<Uint8Array>('limit');
      expect(limit && Buffer.from(limit).equals(atLimit)).toBe(true);
    });

    it('compression: a large compressible value is stored smaller and reads back whole', async () => {
      const namespace = `${runId}:compressed`;
      const cache = createCache({
        adapter: adapter(),
        namespace,
        serializer: 'string',
        compression: { threshold: 64 },
        timeout,
      });
      const large = 'ringcache compresses repetitive values. '.repeat(Math.floor(largeSize() / 40));
      await cache.set('large', large);
      await cache.set('small', 'short');
      const stored = await adapter().get(await cache.storedKey('large'));
      expect(stored?.byteLength).toBeLessThan(large.length / 10);
      expect(await cache.get('large')).toBe(large);
      expect(await cache.get('small')).toBe('short');
    });

    it('expires entries after their TTL, within the adapter’s granularity; ttl 0 never expires', async () => {
      const granularity = adapter().capabilities.ttlGranularityMs;
      const ttl = Math.max(2 * granularity, 200);
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:ttl`, timeout });
      await cache.set('short', 'soon gone', { ttl });
      await cache.set('forever', 'stays', { ttl: 0 });
      expect(await cache.get('short')).toBe('soon gone');
      await new Promise((resolve) => setTimeout(resolve, ttl + granularity + 300));
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('forever')).toBe('stays');
    });

    it('handles 1,000 parallel sets, then 1,000 parallel gets', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:parallel`, timeout: timeout * 5 });
      const keys = Array.from({ length: 1000 }, (_, index) => `p${index}`);
      await Promise.all(keys.map((key, index) => cache.set(key, { index })));
      const values = await Promise.all(keys.map((key) => cache.get<{ index: number }>(key)));
      expect(values.map((value) => value?.index)).toEqual(keys.map((_, index) => index));
    });
  });
}
