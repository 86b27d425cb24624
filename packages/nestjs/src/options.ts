import type { CacheOptions } from '@ringcache/core';

/** What `RingcacheModule.forRoot(options)` (or `forRootAsync`'s factory) gives: `createCache`'s options. */
export interface RingcacheModuleOptions extends CacheOptions {
  /**
   * Close the cache (and with it the adapter's connections) and the buses given in `local.bus`
   * and `hotKeys.bus` when the application shuts down. Turn it off when something else owns them.
   * @default true
   */
  closeOnShutdown?: boolean;
}

/** Options of the module definition itself, given next to the cache options (`forRoot` and `forRootAsync`). */
export interface RingcacheModuleExtras {
  /** Register the cache's providers globally: feature modules inject them without importing the module. @default false */
  isGlobal?: boolean;
  /** The cache's name: `@InjectCache(name)`, `getCacheToken(name)`, `@Cached({ cache: name })`. @default 'default' */
  name?: string;
  /**
   * Also provide this cache under `CACHE_MANAGER` with the `cache-manager` API, so code written
   * for `@nestjs/cache-manager` (its `CacheInterceptor`, `@Inject(CACHE_MANAGER)`) runs on Ringcache.
   * @default false
   */
  cacheManager?: boolean;
}
