import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { KeyTooLongError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { memoryBus } from '../tiers/memory-bus.js';
import { type Cache, createCache } from './cache.js';
import { leaseKeyOf } from './loading.js';

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
function make(adapter: CacheAdapter = memoryAdapter(), options = {}): Cache {
  const cache = createCache({ adapter, ...options });
  caches.push(cache);
  return cache;
}
const sharedView = (adapter: CacheAdapter) =>
  Object.assign(Object.create(adapter) as CacheAdapter, { close: async () => {} });

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
    const started = Date.now();
    const slow = async () => {
      await sleep(150);
      return 'new';
    };
    expect(await cache.getOrSet('k', slow, { ttl: 10_000, grace: 10_000, softTimeout: 20 })).toBe('old');
    expect(Date.now() - started).toBeLessThan(120);
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

describe('leases (cross-process stampede protection)', () => {
  it('4 caches sharing one engine run the loader once for 1,000 concurrent misses', async () => {
    const adapter = memoryAdapter();
    const processes = Array.from({ length: 4 }, () => make(sharedView(adapter)));
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(50);
      return { loaded: true };
    };
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, index) =>
        processes[index % 4]!.getOrSet('k', loader, { lease: true }),
      ),
    );
    expect(loads).toBe(1);
    expect(results.every((result) => result.loaded)).toBe(true);
  });

  it('a waiter whose read misses just before the holder stores and releases still loads nothing', async () => {
    const adapter = memoryAdapter();
    // The race: the waiter reads the value (a miss), the holder stores it and releases its lease,
    // then the waiter sees no lease. The waiter's read is held until the release to force it.
    let holdRead = false;
    let released!: () => void;
    const release = new Promise<void>((resolve) => {
      released = resolve;
    });
    const engine = Object.assign(Object.create(adapter) as CacheAdapter, {
      close: async () => {},
      get: async (key: string) => {
        const value = await adapter.get(key);
        if (key === 'k' && holdRead) {
          holdRead = false;
          await release;
        }
        return value;
      },
      delete: async (key: string) => {
        const removed = await adapter.delete(key);
        if (key === 'k@lease') released();
        return removed;
      },
      atomic: {
        ...adapter.atomic!,
        add: async (key: string, value: Uint8Array, ttl: number) => {
          const won = await adapter.atomic!.add(key, value, ttl);
          if (!won) holdRead = true;
          return won;
        },
        deleteIfEquals: async (key: string, value: Uint8Array) => {
          const removed = await adapter.atomic!.deleteIfEquals!(key, value);
          if (key === 'k@lease') released();
          return removed;
        },
      },
    });
    const holder = make(sharedView(engine));
    const waiter = make(sharedView(engine));
    let loads = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = holder.getOrSet(
      'k',
      async () => {
        loads++;
        await gate;
        return 'loaded';
      },
      { lease: true },
    );
    await sleep(5);
    const waited = waiter.getOrSet('k', async () => `loaded again ${++loads}`, { lease: true });
    await sleep(20);
    open();
    expect(await Promise.all([held, waited])).toEqual(['loaded', 'loaded']);
    expect(loads).toBe(1);
  });

  it('a lease whose holder died expires, and the next caller loads', async () => {
    const adapter = memoryAdapter();
    const cache = make(sharedView(adapter));
    // A holder that died: its lease key stays until its TTL.
    await adapter.atomic!.add('k@lease', Uint8Array.of(1), 80);
    let loads = 0;
    const started = Date.now();
    const value = await cache.getOrSet('k', () => ++loads, { lease: { ttl: 80, wait: 2000 } });
    expect(value).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });
});

describe('leases under failure', () => {
  /** An engine whose calls on lease keys (`…@lease`) never settle, except those named in `working`. */
  function hangingLeases(adapter: CacheAdapter, working: string[] = []): CacheAdapter {
    const never = () => new Promise<never>(() => {});
    const hangs = (operation: string, key: string) => key.endsWith('@lease') && !working.includes(operation);
    return Object.assign(Object.create(adapter) as CacheAdapter, {
      close: async () => {},
      get: (key: string) => (hangs('get', key) ? never() : adapter.get(key)),
      delete: (key: string) => (hangs('delete', key) ? never() : adapter.delete(key)),
      atomic: {
        ...adapter.atomic!,
        add: (key: string, value: Uint8Array, ttl: number) =>
          hangs('add', key) ? never() : adapter.atomic!.add(key, value, ttl),
        deleteIfEquals: (key: string, value: Uint8Array) =>
          hangs('deleteIfEquals', key) ? never() : adapter.atomic!.deleteIfEquals!(key, value),
      },
    });
  }

  it('a holder whose lease check and release hang still returns, within the cache timeout', async () => {
    const cache = make(hangingLeases(memoryAdapter(), ['add']), { timeout: 100 });
    expect(await cache.getOrSet('k', () => 'loaded', { lease: true })).toBe('loaded');
    expect(await cache.get('k')).toBe('loaded');
  });

  it('a waiter whose lease reads hang settles with E_TIMEOUT after its wait, never hangs', async () => {
    const adapter = memoryAdapter();
    await adapter.atomic!.add('k@lease', Uint8Array.of(1), 10_000); // held by a process that died
    const cache = make(hangingLeases(adapter, ['add']), { timeout: 50 });
    await expect(
      cache.getOrSet('k', () => 'loaded', { lease: { ttl: 10_000, wait: 300 } }),
    ).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  });

  it('a lease that cannot be taken (the add hangs or fails) loads without one: degraded mode', async () => {
    const failures: string[] = [];
    const hanging = make(hangingLeases(memoryAdapter()), { timeout: 50 });
    hanging.on('backend:error', (event) => failures.push(`${event.operation} ${event.key}`));
    expect(await hanging.getOrSet('k', () => 'loaded', { lease: true })).toBe('loaded');
    expect(failures).toEqual(['add k@lease']);

    const base = memoryAdapter({ nodes: 1 });
    await base.faults!.stopNode('memory:1');
    let loads = 0;
    const down = make(sharedView(base));
    expect(await down.getOrSet('k', () => ++loads, { lease: true })).toBe(1);
  });

  it('a holder whose lease expired and went to another process neither writes back nor releases it', async () => {
    const adapter = memoryAdapter();
    const cache = make(sharedView(adapter));
    const errors: unknown[] = [];
    cache.on('writeback:error', (event) => errors.push(event.error));
    const successor = Uint8Array.of(7, 7, 7);
    const value = await cache.getOrSet(
      'k',
      async () => {
        await sleep(120); // the 40 ms lease expires meanwhile, and another process takes it
        expect(await adapter.atomic!.add('k@lease', successor, 10_000)).toBe(true);
        return 'late';
      },
      { lease: { ttl: 40 } },
    );
    expect(value).toBe('late');
    expect(await cache.get('k')).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: 'E_TIMEOUT' })]);
    expect(await adapter.get('k@lease')).toEqual(successor);
  });

  it('each grant gets its own token, and the release deletes only that token atomically', async () => {
    const adapter = memoryAdapter();
    const tokens: string[] = [];
    const released: string[] = [];
    const engine = Object.assign(Object.create(adapter) as CacheAdapter, {
      close: async () => {},
      delete: () => Promise.reject(new Error('the release must not use a plain delete')),
      atomic: {
        ...adapter.atomic!,
        add: (key: string, value: Uint8Array, ttl: number) => {
          tokens.push(Buffer.from(value).toString());
          return adapter.atomic!.add(key, value, ttl);
        },
        deleteIfEquals: (key: string, value: Uint8Array) => {
          released.push(Buffer.from(value).toString());
          return adapter.atomic!.deleteIfEquals!(key, value);
        },
      },
    });
    const cache = make(engine);
    await cache.getOrSet('a', () => 1, { lease: true });
    await cache.getOrSet('b', () => 2, { lease: true });
    expect(new Set(tokens).size).toBe(2);
    expect(released).toEqual(tokens);
    expect(await adapter.get('a@lease')).toBeUndefined();
  });

  it('a key at the adapter key limit gets a lease key that fits (hashed), not a failed add', async () => {
    const base = memoryAdapter();
    const added: string[] = [];
    const limited = Object.assign(Object.create(base) as CacheAdapter, {
      close: async () => {},
      capabilities: { ...base.capabilities, maxKeyBytes: 250 },
      atomic: {
        ...base.atomic!,
        add: (key: string, value: Uint8Array, ttl: number) => {
          added.push(key);
          if (Buffer.byteLength(key) > 250) return Promise.reject(new KeyTooLongError(`${key} is too long`));
          return base.atomic!.add(key, value, ttl);
        },
      },
    });
    const cache = make(limited);
    const failures: unknown[] = [];
    cache.on('backend:error', (event) => failures.push(event.error));
    const key = 'k'.repeat(250);
    expect(await cache.getOrSet(key, () => 'loaded', { lease: true })).toBe('loaded');
    expect(failures).toEqual([]);
    expect(added).toHaveLength(1);
    expect(Buffer.byteLength(added[0]!)).toBeLessThanOrEqual(250);
    expect(leaseKeyOf('short', 250)).toBe('short@lease');
    expect(leaseKeyOf(key, 250)).not.toBe(leaseKeyOf(`${'k'.repeat(249)}j`, 250));
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

  it('two processes, each with its own L1 on one bus: invalidateTags in A is seen by B at once', async () => {
    const adapter = memoryAdapter();
    const bus = memoryBus();
    let versionReads = 0;
    const engine = Object.assign(Object.create(adapter) as CacheAdapter, {
      close: async () => {},
      getMany: (keys: readonly string[]) => {
        if (keys.some((key) => key.startsWith('@ringcache:tag:'))) versionReads++;
        return adapter.getMany(keys);
      },
    });
    const [a, b] = [0, 1].map(() => make(engine, { local: { bus, ttl: 60_000 } })) as [Cache, Cache];
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 'tagged', { tags: ['user:42'] });
    expect(await b.get('k')).toBe('tagged'); // B's L1 now holds the entry
    const before = versionReads;
    expect(await b.get('k')).toBe('tagged');
    // An L1 hit of a tagged entry still reads its tag versions from the engine: that read is
    // what makes another process's invalidation visible with no bus message for tags.
    expect(versionReads).toBe(before + 1);
    expect(b.stats().local?.hits).toBeGreaterThanOrEqual(1);
    await a.invalidateTags(['user:42']);
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
