import { describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { KeyTooLongError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { leaseKeyOf } from './loading.js';
import { sharedView, sleep, testCaches } from './test-caches.js';

// Cross-process leases: several caches over one engine stand for several processes.
const { make } = testCaches();

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
