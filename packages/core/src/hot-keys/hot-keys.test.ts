import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { type Cache, createCache } from '../cache/cache.js';
import type { CacheOptions } from '../cache/options.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { memoryBus } from '../tiers/memory-bus.js';
import type { HotKeyEntry } from './hot-keys.js';

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A view of the adapter that other caches can share without closing it. */
function shared(adapter: CacheAdapter): CacheAdapter {
  return Object.assign(Object.create(adapter) as CacheAdapter, { close: async () => {} });
}

function make(options: Omit<CacheOptions, 'adapter'>, adapter: CacheAdapter): Cache {
  const cache = createCache({ adapter: shared(adapter), ...options });
  caches.push(cache);
  return cache;
}

/** 30% of reads on one key, the rest over many keys. */
async function traffic(cache: Cache, reads: number, hotKey = 'global:config') {
  for (let index = 0; index < reads; index++) {
    await cache.get(index % 10 < 3 ? hotKey : `key:${(index * 7919) % 5000}`);
  }
}

function busiestOverMean(cache: Cache, before: Map<string, number>): number {
  const loads = cache.stats().nodes.map((node) => node.ops - (before.get(node.id) ?? 0));
  return Math.max(...loads) / (loads.reduce((sum, load) => sum + load, 0) / loads.length);
}

/** Waits until the key's split marker exists (shards filled next), then for the split to activate. */
async function splitReady(cache: Cache, adapter: CacheAdapter, key: string): Promise<void> {
  for (let waited = 0; (await adapter.get(`${key}#split`)) === undefined; waited += 10) {
    if (waited > 5000) throw new Error(`${key} was not split`);
    // The memory adapter answers in microtasks: the detector's timer runs only when the test sleeps.
    await sleep(10);
    await traffic(cache, 100, key);
  }
  await sleep(100);
}

const snapshot = (cache: Cache) => new Map(cache.stats().nodes.map((node) => [node.id, node.ops]));

describe('hot keys', () => {
  it('detects a key taking 30% of reads and reports it with its node', async () => {
    const cache = make({ hotKeys: { windowMs: 40 } }, memoryAdapter());
    const promoted: HotKeyEntry[] = [];
    cache.on('hotkey:promote', (entry) => promoted.push(entry));
    await traffic(cache, 2000);
    await sleep(60);
    expect(promoted.map((entry) => entry.key)).toContain('global:config');
    expect(promoted[0]?.node).toBe(cache.adapter.topology().locate('global:config'));
  });

  it("'split' spreads a hot key over distinct nodes and keeps reads correct across processes", async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const bus = memoryBus();
    const hotKeys = { policy: 'split' as const, windowMs: 40, promotionDelay: 10, bus };
    const a = make({ hotKeys }, adapter);
    const b = make({ hotKeys }, adapter);
    await a.set('global:config', { version: 1 });
    await traffic(a, 3000);
    await splitReady(a, adapter, 'global:config');
    const before = snapshot(a);
    for (let index = 0; index < 3000; index++) await a.get('global:config');
    expect(busiestOverMean(a, before)).toBeLessThan(1.15);
    await b.set('global:config', { version: 2 });
    await sleep(1);
    for (let index = 0; index < 30; index++) expect(await a.get('global:config')).toEqual({ version: 2 });
    await b.delete('global:config');
    await sleep(1);
    for (let index = 0; index < 30; index++) expect(await a.get('global:config')).toBeUndefined();
  });

  it('a writer that has not heard of the split makes the others drop its shards', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const bus = memoryBus();
    const a = make({ hotKeys: { policy: 'split', windowMs: 40, promotionDelay: 10, bus } }, adapter);
    await a.set('global:config', 'v1');
    await traffic(a, 3000);
    await splitReady(a, adapter, 'global:config');
    // A process without hot-key logic: its write reaches only the base key.
    const unaware = make({ local: { bus } }, adapter);
    await sleep(1);
    await unaware.set('global:config', 'v2');
    await sleep(5);
    for (let index = 0; index < 30; index++) expect(await a.get('global:config')).toBe('v2');
  });

  it('splits keys matching a pattern from the first access, with no bus', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const options = { hotKeys: { patterns: [{ match: 'global:', policy: 'split' as const }] } };
    const a = make(options, adapter);
    const b = make(options, adapter);
    await a.set('global:config', 'v1');
    const before = snapshot(b);
    for (let index = 0; index < 3000; index++) expect(await b.get('global:config')).toBe('v1');
    expect(busiestOverMean(b, before)).toBeLessThan(1.15);
    await a.set('global:config', 'v2');
    for (let index = 0; index < 30; index++) expect(await b.get('global:config')).toBe('v2');
  });

  it("'local' serves a hot key from the process for localTtl", async () => {
    const cache = make({ hotKeys: { policy: 'local', windowMs: 40, localTtl: 5000 } }, memoryAdapter());
    await cache.set('global:config', 'v');
    await traffic(cache, 2000);
    await sleep(60);
    await cache.get('global:config');
    const ops = cache.stats().totals.ops;
    for (let index = 0; index < 100; index++) expect(await cache.get('global:config')).toBe('v');
    expect(cache.stats().totals.ops).toBe(ops);
    await cache.set('global:config', 'w');
    expect(await cache.get('global:config')).toBe('w');
  });

  it('never splits a Redis {hash tag} key on an engine-routed adapter', async () => {
    const base = memoryAdapter({ nodes: 3 });
    const engineRouted = Object.assign(Object.create(base) as CacheAdapter, {
      capabilities: { ...base.capabilities, routing: 'engine' },
    });
    const cache = make({ hotKeys: { patterns: [{ match: '{', policy: 'split' }] } }, engineRouted);
    await cache.set('{user1}:profile', 1);
    const before = snapshot(cache);
    for (let index = 0; index < 300; index++) await cache.get('{user1}:profile');
    const owner = base.topology().locate('{user1}:profile');
    expect(cache.stats().nodes.find((node) => node.id === owner)!.ops - before.get(owner)!).toBe(300);
  });
});
