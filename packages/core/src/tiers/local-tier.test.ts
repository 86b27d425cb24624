import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { type Cache, createCache } from '../cache/cache.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import type { InvalidationBus } from './bus.js';
import { LocalTier } from './local-tier.js';
import { memoryBus } from './memory-bus.js';

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two "processes": separate caches (and L1s) over one shared adapter and one bus. */
function twoProcesses(options: { ttl?: number; bus?: InvalidationBus } = {}) {
  const adapter = memoryAdapter();
  const bus = options.bus ?? memoryBus();
  const shared = Object.create(adapter) as CacheAdapter;
  // Closing one process must not close the shared engine under the other.
  shared.close = async () => {};
  const make = () => {
    const cache = createCache({ adapter: shared, local: { bus, ttl: options.ttl ?? 60_000 } });
    caches.push(cache);
    return cache;
  };
  return { a: make(), b: make(), adapter, bus };
}

describe('local tier (L1)', () => {
  it('serves repeated reads from L1 without reaching the adapter', async () => {
    const { a } = twoProcesses();
    await sleep(1);
    await a.set('k', { v: 1 });
    expect(await a.get('k')).toEqual({ v: 1 });
    const opsBefore = a.stats().totals.ops;
    for (let index = 0; index < 10; index++) expect(await a.get('k')).toEqual({ v: 1 });
    expect(a.stats().totals.ops).toBe(opsBefore);
    expect(a.stats().local?.hits).toBe(10);
  });

  it('a write in one process drops the key from the other’s L1', async () => {
    const { a, b } = twoProcesses();
    await sleep(1);
    await a.set('k', 'old');
    expect(await b.get('k')).toBe('old');
    expect(await b.get('k')).toBe('old');
    await a.set('k', 'new');
    await sleep(1);
    expect(await b.get('k')).toBe('new');
    await a.delete('k');
    await sleep(1);
    expect(await b.get('k')).toBeUndefined();
  });

  it('an invalidation that arrives while a read is filling L1 wins', async () => {
    const adapter = memoryAdapter({ nodes: 1 });
    const bus = memoryBus();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The reader's L2 get returns the old value, but only after the other process's write.
    const slow = Object.assign(Object.create(adapter) as CacheAdapter, {
      get: async (key: string) => {
        const value = await adapter.get(key);
        await gate;
        return value;
      },
    });
    const reader = createCache({ adapter: slow, local: { bus } });
    const writer = createCache({ adapter, local: { bus } });
    caches.push(reader);
    await sleep(1);
    await writer.set('k', 'old');
    const read = reader.get('k');
    await sleep(5);
    await writer.set('k', 'new');
    await sleep(1);
    release();
    expect(await read).toBe('old');
    // The old value must not have been kept in L1.
    expect(await reader.get('k')).toBe('new');
    await writer.close();
  });

  it('flushes and bypasses L1 while the bus subscription is down', async () => {
    const inner = memoryBus();
    const statuses: ((status: 'up' | 'down') => void)[] = [];
    const status = (value: 'up' | 'down') => {
      for (const report of statuses) report(value);
    };
    const bus: InvalidationBus = {
      publish: (channel, message) => inner.publish(channel, message),
      subscribe: async (channel, handlers) => {
        if (handlers.onStatus) statuses.push(handlers.onStatus);
        return inner.subscribe(channel, handlers);
      },
      close: () => inner.close(),
    };
    const { a } = twoProcesses({ bus });
    await sleep(1);
    await a.set('k', 1);
    await a.get('k');
    expect(a.stats().local?.size).toBe(1);
    status('down');
    expect(a.stats().local).toMatchObject({ size: 0, active: false });
    await a.get('k');
    expect(a.stats().local?.size).toBe(0);
    status('up');
    await a.get('k');
    expect(a.stats().local?.size).toBe(1);
  });

  it('bounds staleness by the L1 TTL when no bus reaches the other process', async () => {
    const adapter = memoryAdapter();
    const a = createCache({ adapter, local: { ttl: 40 } });
    const b = createCache({ adapter, local: { ttl: 40 } });
    caches.push(a);
    await a.set('k', 'old');
    expect(await b.get('k')).toBe('old');
    await a.set('k', 'new');
    expect(await b.get('k')).toBe('old');
    await sleep(60);
    expect(await b.get('k')).toBe('new');
    await b.close().catch(() => {});
  });

  it('a namespace clear drops that namespace from every L1', async () => {
    const { a, b } = twoProcesses();
    await sleep(1);
    await a.namespace('n').set('k', 1);
    expect(await b.namespace('n').get('k')).toBe(1);
    await a.namespace('n').clear();
    await sleep(1);
    expect(await b.namespace('n').get('k')).toBeUndefined();
  });
});

describe('L1 entries never outlive their value', () => {
  it('a value this process wrote with a TTL leaves L1 when it expires in L2', async () => {
    const adapter = memoryAdapter();
    const cache = createCache({ adapter, local: { ttl: 60_000 } });
    caches.push(cache);
    await cache.set('k', 'v', { ttl: 100 });
    expect(await cache.get('k')).toBe('v'); // fills L1
    expect(await cache.get('k')).toBe('v');
    expect(cache.stats().local?.hits).toBe(1);
    await sleep(200);
    expect(await adapter.get('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a value another process wrote with a TTL: the TTL travels with the invalidation', async () => {
    const { a, b } = twoProcesses();
    await sleep(1);
    await a.set('k', 'v', { ttl: 100 });
    await sleep(1); // the invalidation (and its TTL) reaches b
    expect(await b.get('k')).toBe('v');
    expect(await b.get('k')).toBe('v');
    expect(b.stats().local?.hits).toBe(1);
    await sleep(200);
    expect(await b.get('k')).toBeUndefined();
  });

  it('a later write with no TTL lifts the earlier cap', async () => {
    const { a, b } = twoProcesses();
    await sleep(1);
    await a.set('k', 'short', { ttl: 50 });
    await a.set('k', 'long', { ttl: 0 });
    await sleep(1);
    expect(await b.get('k')).toBe('long');
    await sleep(100);
    expect(await b.get('k')).toBe('long');
    expect(b.stats().local?.hits).toBe(1);
  });

  it("a hot key under 'local' lives localTtl in the L1 too", async () => {
    const adapter = memoryAdapter();
    const cache = createCache({
      adapter,
      local: { ttl: 60_000 },
      hotKeys: { policy: 'local', windowMs: 200, coolWindows: 20, localTtl: 80 },
    });
    caches.push(cache);
    const promoted: string[] = [];
    cache.on('hotkey:promote', (entry) => promoted.push(`${entry.key} ${entry.policy}`));
    await cache.set('hot', 'v1');
    // Read (and filled into L1 for a minute) before it is hot.
    for (let index = 0; index < 1000; index++) await cache.get(index % 10 < 3 ? 'hot' : `cold:${index}`);
    await sleep(250);
    expect(promoted).toContain('hot local');
    // Changed behind the cache's back (as an unheard write would be): only the bound helps.
    const encode = (value: string) => new TextEncoder().encode(JSON.stringify(value));
    await adapter.set('hot', encode('v2'), 0);
    expect(await cache.get('hot')).toBe('v2'); // the minute-long copy was refilled under localTtl
    await adapter.set('hot', encode('v3'), 0);
    expect(await cache.get('hot')).toBe('v2');
    await sleep(150);
    expect(await cache.get('hot')).toBe('v3');
  });

  it('writes of one tick, hot keys on or off, publish one invalidation message', async () => {
    for (const hotKeys of [undefined, { policy: 'split' as const }]) {
      const inner = memoryBus();
      let published = 0;
      const bus: InvalidationBus = {
        publish: (channel, message) => {
          published++;
          return inner.publish(channel, message);
        },
        subscribe: (channel, handlers) => inner.subscribe(channel, handlers),
        close: () => inner.close(),
      };
      const cache = createCache({
        adapter: memoryAdapter(),
        local: { bus },
        ...(hotKeys ? { hotKeys } : {}),
      });
      caches.push(cache);
      await cache.ready();
      await Promise.all(Array.from({ length: 10 }, (_, index) => cache.set(`k${index}`, index)));
      expect(published).toBe(1);
    }
  });
});

describe('LocalTier.fill', () => {
  it('concurrent reads of a key share a fill: the first answer lands, until an invalidation', () => {
    const tier = new LocalTier({});
    const first = tier.beginFill('k');
    const second = tier.beginFill('k');
    tier.fill('k', Uint8Array.of(1), first); // the earlier read answers first
    expect([...tier.get('k')!]).toEqual([1]);
    tier.fill('k', Uint8Array.of(2), second); // the same answer, already kept
    expect([...tier.get('k')!]).toEqual([1]);

    const before = tier.beginFill('j');
    void tier.invalidate(['j'], false);
    const after = tier.beginFill('j');
    tier.fill('j', Uint8Array.of(3), before); // read before the invalidation: may be stale
    expect(tier.get('j')).toBeUndefined();
    tier.fill('j', Uint8Array.of(4), after);
    expect([...tier.get('j')!]).toEqual([4]);
  });

  it('keeps its own copy of a value that is a view into a larger buffer (a socket read)', () => {
    const tier = new LocalTier({});
    const read = new Uint8Array(65_536);
    read.set([1, 2, 3], 100);
    tier.fill('view', read.subarray(100, 103), tier.beginFill('view'));
    const kept = tier.get('view')!;
    expect([...kept]).toEqual([1, 2, 3]);
    expect(kept.buffer.byteLength).toBe(3);

    const whole = Uint8Array.of(4, 5);
    tier.fill('whole', whole, tier.beginFill('whole'));
    expect(tier.get('whole')).toBe(whole);
  });
});
