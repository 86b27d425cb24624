import { type CacheAdapter, createCache } from '@ringcache/core';
import type { SuiteContext } from './context.js';

/** Every bad input gets its typed error, before any I/O, whatever the adapter. */
export function validationTests(context: SuiteContext, adapter: () => CacheAdapter): void {
  const { describe, it, expect, runId, timeout } = context;

  describe('bad input', () => {
    const cache = () => createCache({ adapter: adapter(), namespace: `${runId}:bad`, timeout });
    const code = (code: string) => expect.objectContaining({ code });

    it('rejects empty and non-string keys with E_KEY_INVALID', async () => {
      await expect(cache().get('')).rejects.toEqual(code('E_KEY_INVALID'));
      await expect(cache().set(undefined as unknown as string, 1)).rejects.toEqual(code('E_KEY_INVALID'));
      await expect(cache().getMany(['ok', 7 as unknown as string])).rejects.toEqual(code('E_KEY_INVALID'));
    });

    it('rejects a key one byte over the limit with E_KEY_TOO_LONG and accepts one at the limit', async () => {
      const { maxKeyBytes } = adapter().capabilities;
      // What the cache puts before a key: the namespace, and a generation on some engines.
      const prefixBytes = Buffer.byteLength(await cache().storedKey('k')) - 1;
      const atLimit = 'k'.repeat(maxKeyBytes - prefixBytes);
      await expect(cache().set(`${atLimit}k`, 1)).rejects.toEqual(code('E_KEY_TOO_LONG'));
      // Multi-byte characters count as their UTF-8 bytes.
      await expect(
        cache().set(`${'é'.repeat(Math.ceil((maxKeyBytes - prefixBytes) / 2))}x`, 1),
      ).rejects.toEqual(code('E_KEY_TOO_LONG'));
      await cache().set(atLimit, 'at the limit');
      expect(await cache().get(atLimit)).toBe('at the limit');
    });

    it('rejects characters the engine forbids, or round-trips them', async () => {
      const keys = [
        'with space',
        'line\nbreak',
        'carriage\r\nreturn',
        'tab\tkey',
        'nul\u0000key',
        'del\u007fkey',
      ];
      for (const key of keys) {
        if (adapter().capabilities.keyCharacters === 'printable') {
          await expect(cache().set(key, 1)).rejects.toEqual(code('E_KEY_INVALID'));
        } else {
          await cache().set(key, key);
          expect(await cache().get(key)).toBe(key);
        }
      }
    });

    it('rejects a value over the size limit with E_VALUE_TOO_LARGE and leaves no old value readable', async () => {
      const bytes = createCache({
        adapter: adapter(),
        namespace: `${runId}:bad`,
        serializer: 'bytes',
        timeout,
      });
      await bytes.set('big', Uint8Array.of(1));
      const tooLarge = new Uint8Array(adapter().capabilities.maxValueBytes + 1);
      await expect(bytes.set('big', tooLarge)).rejects.toEqual(code('E_VALUE_TOO_LARGE'));
      // The caller meant to replace the value: the old one must not stay readable.
      expect(await bytes.get('big')).toBeUndefined();
    });

    it('rejects TTLs that are not finite non-negative numbers with E_TTL_INVALID', async () => {
      for (const ttl of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
        await expect(cache().set('k', 1, { ttl })).rejects.toEqual(code('E_TTL_INVALID'));
      }
    });

    it('rejects values the serializer cannot encode with E_SERIALIZE', async () => {
      await expect(cache().set('k', undefined)).rejects.toEqual(code('E_SERIALIZE'));
      await expect(cache().set('k', () => 1)).rejects.toEqual(code('E_SERIALIZE'));
      await expect(cache().set('k', 1n)).rejects.toEqual(code('E_SERIALIZE'));
      const strings = createCache({
        adapter: adapter(),
        namespace: `${runId}:bad`,
        serializer: 'string',
        timeout,
      });
      await expect(strings.set('k', 42)).rejects.toEqual(code('E_SERIALIZE'));
    });
  });
}
