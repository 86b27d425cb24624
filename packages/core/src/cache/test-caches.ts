// Test support (imported by *.test.ts only, never by the package's entry): caches closed after
// each test, and a view of one engine that several caches can share as separate "processes".
import { afterEach } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { type Cache, createCache } from './cache.js';
import type { CacheOptions } from './options.js';

/** Registers an afterEach that closes every cache `make` created in the test. */
export function testCaches() {
  const caches: Cache[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });
  return {
    make(adapter: CacheAdapter = memoryAdapter(), options: Omit<CacheOptions, 'adapter'> = {}): Cache {
      const cache = createCache({ adapter, ...options });
      caches.push(cache);
      return cache;
    },
  };
}

/** The same engine for another cache: closing that cache leaves the engine open for the others. */
export const sharedView = (adapter: CacheAdapter): CacheAdapter =>
  Object.assign(Object.create(adapter) as CacheAdapter, { close: async () => {} });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
