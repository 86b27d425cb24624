import { Inject } from '@nestjs/common';

/** The name of the cache registered by `RingcacheModule.forRoot()` without a `name`. */
export const DEFAULT_CACHE_NAME = 'default';

/**
 * `@nestjs/cache-manager`'s injection token (the same string), so its `CacheInterceptor` and
 * code that injects `CACHE_MANAGER` get Ringcache without importing that package.
 */
export const CACHE_MANAGER = 'CACHE_MANAGER';

/**
 * The injection token of a cache: `getCacheToken('sessions')` for
 * `RingcacheModule.forRoot({ name: 'sessions', ... })`, `getCacheToken()` for the default one.
 */
export function getCacheToken(name: string = DEFAULT_CACHE_NAME): string {
  return `ringcache:cache:${name}`;
}

/**
 * Injects a cache by name: `@InjectCache() cache: Cache` for the default cache,
 * `@InjectCache('sessions')` for a named one. The default cache is also injectable by its class
 * (`constructor(cache: Cache)`), when decorator metadata is emitted.
 */
export function InjectCache(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getCacheToken(name));
}

/** Module-local tokens: each `forRoot` gets its own module scope, so these never clash. */
export const RINGCACHE_INSTANCE = Symbol('ringcache:instance');
export const RINGCACHE_NAME = Symbol('ringcache:name');
