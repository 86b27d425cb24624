export {
  type CacheManagerTtl,
  type CacheManagerWrapOptions,
  RingcacheCacheManager,
} from './cache-manager.js';
export { Cached, type CachedOptions } from './cached.js';
export { type CacheOutcome, RingcacheInterceptor } from './http/cache-interceptor.js';
export {
  CACHE_KEY_METADATA,
  CACHE_TTL_METADATA,
  CACHE_USER_METADATA,
  CacheKey,
  type CacheKeyFactory,
  CacheTTL,
  type CacheTtlFactory,
  CacheUser,
  type CacheUserResolver,
} from './http/decorators.js';
export type { RingcacheModuleExtras, RingcacheModuleOptions } from './options.js';
export { RingcacheModule } from './ringcache-module.js';
export { CACHE_MANAGER, DEFAULT_CACHE_NAME, getCacheToken, InjectCache } from './tokens.js';
