import { describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import type { InvalidationBus } from '../tiers/bus.js';
import { memoryBus } from '../tiers/memory-bus.js';
import type { Cache } from './cache.js';
import { sharedView, sleep, testCaches } from './test-caches.js';

const { make } = testCaches();

describe('grace (stale-if-error)', () => {
  it('serves the stale value when the loader fails after the TTL, within grace', async () => {
    const cache = make();
    const stale: unknown[] = [];
    cache.on('stale:served', (event) => stale.push(event.key));
    expect(await cache.getOrSet('k', () => 'v1', { ttl: 30, grace: 5000 })).toBe('v1');
    await sleep(50);
    expect(await cache.get('k')).toBeUndefined();
    const value = await cache.getOrSet(
      'k',
      () => {
        throw new Error('origin down');
      },
      { ttl: 30, grace: 5000 },
    );
    expect(value).toBe('v1');
    expect(stale).toEqual(['k']);
    expect(cache.stats().resilience).toMatchObject({ staleServed: 1, loaderErrors: 1 });
  });

  it('refreshes a stale entry when the loader succeeds', async () => {
    const cache = make();
    await cache.getOrSet('k', () => 'v1', { ttl: 20, grace: 5000 });
    await sleep(40);
    expect(await cache.getOrSet('k', () => 'v2', { ttl: 20, grace: 5000 })).toBe('v2');
    expect(await cache.get('k')).toBe('v2');
  });

  it('without grace, a failing loader rejects', async () => {
    const cache = make();
    await expect(
      cache.getOrSet('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('loader timeouts', () => {
  it('soft timeout returns the stale value and the loader refreshes the entry in the background', async () => {
    const cache = make();
    await cache.getOrSet('k', () => 'old', { ttl: 20, grace: 10_000 });
    await sleep(40);
    let finished = false;
    const slow = async () => {
      await sleep(150);
      finished = true;
      return 'new';
    };
    expect(await cache.getOrSet('k', slow, { ttl: 10_000, grace: 10_000, softTimeout: 20 })).toBe('old');
    // Answered before the loader finished (no wall-clock bound: the machine may be loaded).
    expect(finished).toBe(false);
    await sleep(200);
    expect(await cache.get('k')).toBe('new');
  });

  it('hard timeout rejects with E_TIMEOUT when nothing stale is at hand', async () => {
    const cache = make();
    const slow = async () => {
      await sleep(200);
      return 'late';
    };
    await expect(cache.getOrSet('k', slow, { hardTimeout: 30 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await sleep(250);
    expect(await cache.get('k')).toBe('late');
  });

  it('early refresh reloads a hot entry before it expires', async () => {
    const cache = make();
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(30);
      return loads;
    };
    await cache.getOrSet('k', loader, { ttl: 60, earlyRefresh: 5 });
    const deadline = Date.now() + 55;
    while (Date.now() < deadline) {
      expect(await cache.getOrSet('k', loader, { ttl: 60, earlyRefresh: 5 })).toBeGreaterThanOrEqual(1);
      await sleep(5);
    }
    expect(loads).toBeGreaterThanOrEqual(2);
  });
});

describe('grace when the backend read fails', () => {
  const failing = () => Promise.reject(new Error('origin down'));

  it('serves the stale value from L1 when it holds the entry: the engine is never asked', async () => {
    const adapter = memoryAdapter({ nodes: 1 });
    const cache = make(adapter, { local: { ttl: 5000 } });
    await cache.ready();
    await cache.getOrSet('k', () => 'v1', { ttl: 300, grace: 5000 });
    expect(await cache.get('k')).toBe('v1'); // fills L1
    await sleep(350);
    await adapter.faults!.stopNode('memory:1');
    expect(await cache.getOrSet('k', failing, { ttl: 300, grace: 5000 })).toBe('v1');
  });

  it('without an L1 copy there is no stale value: the loader runs and its error propagates', async () => {
    const adapter = memoryAdapter({ nodes: 1 });
    const cache = make(adapter);
    await cache.getOrSet('k', () => 'v1', { ttl: 30, grace: 5000 });
    await sleep(50);
    await adapter.faults!.stopNode('memory:1');
    await expect(cache.getOrSet('k', failing, { ttl: 30, grace: 5000 })).rejects.toThrow('origin down');
    expect(await cache.getOrSet('k', () => 'v2', { ttl: 30, grace: 5000 })).toBe('v2');
  });
});

describe('tags', () => {
  it('invalidateTags makes every tagged entry a miss, across namespaces, and spares others', async () => {
    const adapter = memoryAdapter();
    const cache = make(adapter);
    const other = make(sharedView(adapter), { namespace: 'other' });
    await cache.set('a', 1, { tags: ['user:42'] });
    await cache.set('b', 2, { tags: ['user:42', 'team:1'] });
    await other.set('c', 3, { tags: ['user:42'] });
    await cache.set('d', 4, { tags: ['team:1'] });
    await cache.set('e', 5);
    await cache.invalidateTags(['user:42']);
    expect(await cache.getMany(['a', 'b', 'd', 'e'])).toEqual([undefined, undefined, 4, 5]);
    expect(await other.get('c')).toBeUndefined();
    await cache.set('a', 10, { tags: ['user:42'] });
    expect(await cache.get('a')).toBe(10);
  });

  /** Two "processes" over one engine, each with its own L1 on `bus`; counts tag-version reads. */
  function twoProcesses(bus: InvalidationBus | undefined, ttl = 60_000) {
    const adapter = memoryAdapter();
    const counts = { versionReads: 0 };
    const engine = Object.assign(Object.create(adapter) as CacheAdapter, {
      close: async () => {},
      getMany: (keys: readonly string[]) => {
        if (keys.some((key) => key.startsWith('@ringcache:tag:'))) counts.versionReads++;
        return adapter.getMany(keys);
      },
    });
    const local = bus === undefined ? { ttl } : { bus, ttl };
    const [a, b] = [0, 1].map(() => make(engine, { local })) as [Cache, Cache];
    return { a, b, counts };
  }

  it('two processes with L1 on one bus: a tagged L1 hit reads nothing from the engine; invalidateTags in A reaches B', async () => {
    const { a, b, counts } = twoProcesses(memoryBus());
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 'tagged', { tags: ['user:42'] });
    expect(await b.get('k')).toBe('tagged'); // fills B's L1 and its known versions
    const before = counts.versionReads;
    for (let read = 0; read < 5; read++) expect(await b.get('k')).toBe('tagged');
    expect(counts.versionReads).toBe(before);
    expect(b.stats().local?.hits).toBeGreaterThanOrEqual(5);
    await a.invalidateTags(['user:42']);
    await sleep(5); // the bus delivers a moment later, as a network bus would
    expect(await b.get('k')).toBeUndefined();
    expect(counts.versionReads).toBe(before + 1);
  });

  it('without a bus, every tagged read checks the engine, so invalidations are still seen at once', async () => {
    const { a, b, counts } = twoProcesses(undefined);
    await a.set('k', 'tagged', { tags: ['t'] });
    expect(await b.get('k')).toBe('tagged');
    const before = counts.versionReads;
    expect(await b.get('k')).toBe('tagged');
    expect(counts.versionReads).toBe(before + 1);
    await a.invalidateTags(['t']);
    expect(await b.get('k')).toBeUndefined();
  });

  it('a lost tag invalidation is bounded by the L1 TTL', async () => {
    const bus = memoryBus();
    // A bus that loses every tag message: what a dropped publish looks like to the others.
    const lossy: InvalidationBus = {
      publish: (channel, message) =>
        channel.endsWith(':tags') ? Promise.resolve() : bus.publish(channel, message),
      subscribe: (channel, handlers) => bus.subscribe(channel, handlers),
      close: () => bus.close(),
    };
    const { a, b } = twoProcesses(lossy, 150);
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 'tagged', { tags: ['t'] });
    expect(await b.get('k')).toBe('tagged');
    await a.invalidateTags(['t']);
    expect(await b.get('k')).toBe('tagged'); // stale: B never heard
    await sleep(200);
    expect(await b.get('k')).toBeUndefined();
  });

  it('a tagged read whose version check fails is a backend failure: a miss by default', async () => {
    const adapter = memoryAdapter({ nodes: 1, failover: 'miss' });
    const lenient = make(adapter, { local: { ttl: 60_000 } });
    const strict = make(sharedView(adapter), { local: { ttl: 60_000 }, onBackendError: 'throw' });
    await Promise.all([lenient.ready(), strict.ready()]);
    for (const cache of [lenient, strict]) {
      await cache.set('k', 'tagged', { tags: ['t'] });
      expect(await cache.getMany(['k'])).toEqual(['tagged']); // fills L1
    }
    const errors: unknown[] = [];
    lenient.on('backend:error', (event) => errors.push(event.error));
    await adapter.faults!.stopNode('memory:1');
    expect(await lenient.get('k')).toBeUndefined();
    expect(await lenient.getMany(['k', 'other'])).toEqual([undefined, undefined]);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await expect(strict.get('k')).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
    await expect(strict.getMany(['k'])).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
  });

  it('getOrSet with tags reloads after invalidation', async () => {
    const cache = make();
    let version = 0;
    const load = () => cache.getOrSet('profile', () => ++version, { tags: ['user:1'] });
    expect(await load()).toBe(1);
    expect(await load()).toBe(1);
    await cache.invalidateTags(['user:1']);
    expect(await load()).toBe(2);
  });
});

describe('atomic helpers', () => {
  it('add, increment, decrement, touch and ttl', async () => {
    const cache = make();
    expect(await cache.add('once', 'first')).toBe(true);
    expect(await cache.add('once', 'second')).toBe(false);
    expect(await cache.get('once')).toBe('first');
    expect(await cache.increment('counter')).toBe(1);
    expect(await cache.increment('counter', 5)).toBe(6);
    expect(await cache.decrement('counter', 2)).toBe(4);
    expect(await cache.get('counter')).toBe(4);
    expect(await cache.ttl('counter')).toBe(0);
    expect(await cache.touch('counter', { ttl: 5000 })).toBe(true);
    expect(await cache.ttl('counter')).toBeGreaterThan(4000);
    expect(await cache.touch('missing', { ttl: 5000 })).toBe(false);
    expect(await cache.ttl('missing')).toBeUndefined();
    await cache.set('text', 'abc');
    await expect(cache.increment('text')).rejects.toMatchObject({ code: 'E_BACKEND' });
  });

  it('rejects with E_UNSUPPORTED where the adapter has no atomic operations', async () => {
    const base = memoryAdapter();
    const plain = Object.assign(Object.create(base) as CacheAdapter, { atomic: undefined });
    const cache = make(plain);
    await expect(cache.add('k', 1)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(cache.increment('k')).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(cache.getOrSet('k', () => 1, { lease: true })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
    });
  });
});
