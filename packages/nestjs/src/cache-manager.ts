import { type Cache, RingcacheError } from '@ringcache/core';

/** A TTL in milliseconds, or one computed from the value (cache-manager's `wrap`). */
export type CacheManagerTtl<T> = number | ((value: T) => number);

export interface CacheManagerWrapOptions<T> {
  ttl?: CacheManagerTtl<T>;
  /** Accepted for compatibility and ignored: Ringcache does not refresh entries ahead of expiry. */
  refreshThreshold?: number | ((value: T) => number);
}

/**
 * The `cache-manager` v6/v7 API over a Ringcache cache: what `@nestjs/cache-manager` registers
 * under `CACHE_MANAGER`, so `@Inject(CACHE_MANAGER)` code and its `CacheInterceptor` run on
 * Ringcache unchanged. TTLs are milliseconds, as in cache-manager v6+.
 *
 * Differences: `ttl(key)` answers `undefined` on adapters that cannot report a key's remaining
 * lifetime (memcached: `E_UNSUPPORTED` from `cache.ttl`); `wrap`'s `refreshThreshold` is ignored; there are no `on`/`off` events (use `cache.on`).
 */
export class RingcacheCacheManager {
  /** Loads of `wrap` calls whose TTL depends on the value (the cache's `getOrSet` takes a fixed one). */
  private readonly flights = new Map<string, Promise<unknown>>();

  constructor(readonly cache: Cache) {}

  /** @returns the value, or `undefined` on a miss */
  get<T>(key: string): Promise<T | undefined> {
    return this.cache.get<T>(key);
  }

  mget<T>(keys: string[]): Promise<(T | undefined)[]> {
    return this.cache.getMany<T>(keys);
  }

  /** @returns the value stored */
  async set<T>(key: string, value: T, ttl?: number): Promise<T> {
    await this.cache.set(key, value, ttl === undefined ? undefined : { ttl });
    return value;
  }

  async mset<T>(
    list: { key: string; value: T; ttl?: number }[],
  ): Promise<{ key: string; value: T; ttl?: number }[]> {
    await this.cache.setMany(list);
    return list;
  }

  /** @returns true, as cache-manager does, once the key is gone (whether or not it existed) */
  async del(key: string): Promise<boolean> {
    await this.cache.delete(key);
    return true;
  }

  async mdel(keys: string[]): Promise<boolean> {
    await this.cache.deleteMany(keys);
    return true;
  }

  /** Clears this cache: its namespace's keys when it has one, otherwise everything. */
  async clear(): Promise<boolean> {
    await this.cache.clear();
    return true;
  }

  /**
   * When the key expires, in epoch milliseconds, as cache-manager v7 answers: `undefined` for a
   * missing key, one that never expires, or an adapter that cannot report lifetimes.
   */
  async ttl(key: string): Promise<number | undefined> {
    try {
      const remaining = await this.cache.ttl(key);
      return remaining === undefined || remaining === 0 ? undefined : Date.now() + remaining;
    } catch (error) {
      if (RingcacheError.isInstance(error) && error.code === 'E_UNSUPPORTED') return undefined;
      throw error;
    }
  }

  /**
   * Returns the cached value or runs `fnc` once for concurrent callers and caches its result.
   * @param ttl milliseconds, or a function of the value; or cache-manager's options object
   */
  wrap<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl?: CacheManagerTtl<T> | CacheManagerWrapOptions<T>,
    _refreshThreshold?: number | ((value: T) => number),
  ): Promise<T> {
    const resolvedTtl = typeof ttl === 'object' ? ttl.ttl : ttl;
    if (typeof resolvedTtl !== 'function') {
      return this.cache.getOrSet(
        key,
        () => fnc(),
        resolvedTtl === undefined ? undefined : { ttl: resolvedTtl },
      );
    }
    let flight = this.flights.get(key) as Promise<T> | undefined;
    if (flight === undefined) {
      flight = this.loadWithTtl(key, fnc, resolvedTtl);
      this.flights.set(key, flight);
      const forget = () => this.flights.delete(key);
      flight.then(forget, forget);
    }
    return flight;
  }

  private async loadWithTtl<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl: (value: T) => number,
  ): Promise<T> {
    const cached = await this.cache.get<T>(key);
    if (cached !== undefined) return cached;
    const value = await fnc();
    // As `getOrSet` does: the caller gets its value even when writing it back fails.
    if (value !== undefined) await this.cache.set(key, value, { ttl: ttl(value) }).catch(() => {});
    return value;
  }
}
