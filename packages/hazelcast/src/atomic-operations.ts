import { type AdapterCallOptions, type AtomicOperations, RingcacheError } from '@ringcache/core';
import type { IMap } from 'hazelcast-client';
import { hazelcastTtl, toBuffer } from './imap-encoding.js';

/** What the atomic operations need from the adapter: its map, its checks and its error mapping. */
export interface AtomicContext {
  map(): Promise<IMap<string, Buffer>>;
  check(options: AdapterCallOptions | undefined): void;
  fail(error: unknown, operation: string, key: string): Error;
}

/**
 * IMap's own atomics: `putIfAbsent` for add, `setTtl` for touch, `remove(key, value)` for
 * deleteIfEquals, the entry view for the remaining TTL, and a compare-and-swap loop
 * (`replaceIfSame`) for increment, since IMap has no increment.
 */
export function hazelcastAtomic(context: AtomicContext): AtomicOperations {
  const run = async <T>(
    operation: string,
    key: string,
    options: AdapterCallOptions | undefined,
    body: (map: IMap<string, Buffer>) => Promise<T>,
  ) => {
    context.check(options);
    const map = await context.map();
    try {
      return await body(map);
    } catch (error) {
      if (RingcacheError.isInstance(error)) throw error;
      throw context.fail(error, operation, key);
    }
  };
  return {
    add: (key, value, ttl, options) =>
      run(
        'add',
        key,
        options,
        async (map) => (await map.putIfAbsent(key, toBuffer(value), hazelcastTtl(ttl))) == null,
      ),
    increment: (key, delta, ttl, options) =>
      run('increment', key, options, async (map) => {
        // Bounded: under heavy contention a caller gives up with a typed error rather than spin.
        for (let attempt = 0; attempt < 100; attempt++) {
          const current = await map.get(key);
          if (current == null) {
            const created = Buffer.from(String(delta));
            if ((await map.putIfAbsent(key, created, hazelcastTtl(ttl))) == null) return delta;
            continue;
          }
          const text = current.toString('utf8');
          if (!/^-?\d+$/.test(text))
            throw new RingcacheError('E_BACKEND', `${key} does not hold an integer`, { key });
          const next = Number(text) + delta;
          if (await map.replaceIfSame(key, current, Buffer.from(String(next)))) return next;
        }
        throw new RingcacheError('E_BACKEND', `increment of ${key} lost 100 races in a row`, { key });
      }),
    // IMap.remove(key, value) compares the stored bytes on the partition owner, in one step.
    deleteIfEquals: (key, value, options) =>
      run('deleteIfEquals', key, options, async (map) => (await map.remove(key, toBuffer(value))) === true),
    touch: (key, ttl, options) => run('touch', key, options, (map) => map.setTtl(key, hazelcastTtl(ttl))),
    ttl: (key, options) =>
      run('ttl', key, options, async (map) => {
        const view = await map.getEntryView(key);
        if (view == null) return undefined;
        const expiresAt = Number(view.expirationTime);
        // Entries without a TTL report Long.MAX_VALUE as their expiration time.
        if (!Number.isFinite(expiresAt) || expiresAt >= Number.MAX_SAFE_INTEGER) return 0;
        return Math.max(1, expiresAt - Date.now());
      }),
  };
}
