import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { UnsupportedError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { type Cache, createCache } from './cache.js';

/** A memory adapter that, like memcached, cannot enumerate keys. */
function noEnumeration(base: CacheAdapter = memoryAdapter()): CacheAdapter {
  return Object.assign(Object.create(base) as CacheAdapter, {
    capabilities: { ...base.capabilities, prefixClear: false },
    clear: async (prefix?: string) => {
      if (prefix !== undefined) throw new UnsupportedError('cannot clear by prefix');
      return base.clear();
    },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

describe('namespace generations (adapters without prefix clears)', () => {
  it('clears one namespace without touching another', async () => {
    const cache = createCache({ adapter: noEnumeration() });
    caches.push(cache);
    const a = cache.namespace('a');
    const b = cache.namespace('b');
    await a.setMany([1, 2, 3].map((index) => ({ key: `k${index}`, value: index })));
    await b.set('k1', 'b1');
    await a.clear();
    expect(await a.getMany(['k1', 'k2', 'k3'])).toEqual([undefined, undefined, undefined]);
    expect(await b.get('k1')).toBe('b1');
    await a.set('k1', 'new');
    expect(await a.get('k1')).toBe('new');
  });

  it('another process sees the clear within namespaceGenerationTtl', async () => {
    const adapter = noEnumeration();
    const first = createCache({ adapter, namespace: 'shared', namespaceGenerationTtl: 50 });
    const second = createCache({ adapter, namespace: 'shared', namespaceGenerationTtl: 50 });
    caches.push(first);
    await first.set('k', 'old');
    expect(await second.get('k')).toBe('old');
    await first.clear();
    await sleep(80);
    expect(await second.get('k')).toBeUndefined();
  });

  it('a lost generation key never resurrects old values', async () => {
    const adapter = noEnumeration();
    const cache = createCache({ adapter, namespace: 'ns', namespaceGenerationTtl: 0 });
    caches.push(cache);
    await cache.set('k', 'v');
    // Simulates the LRU evicting the generation key.
    await adapter.delete('ns:@generation');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('nested namespaces are cleared with their parent', async () => {
    const cache = createCache({ adapter: noEnumeration(), namespace: 'app' });
    caches.push(cache);
    const users = cache.namespace('users');
    await users.set('u1', 1);
    await cache.clear();
    expect(await users.get('u1')).toBeUndefined();
  });
});
