import { type ExecutionContext, SetMetadata } from '@nestjs/common';

export const CACHE_KEY_METADATA = 'ringcache:http:key';
export const CACHE_TTL_METADATA = 'ringcache:http:ttl';
export const CACHE_USER_METADATA = 'ringcache:http:user';

/** Builds a route's cache key; `undefined` skips the cache for this request. */
export type CacheKeyFactory = (context: ExecutionContext) => string | undefined;
export type CacheTtlFactory = (context: ExecutionContext) => number | undefined;
/** Who the request is for: an id that goes into the key; `undefined` for nobody known. */
export type CacheUserResolver = (request: unknown) => string | number | undefined;

/**
 * The cache key of a GET route's response (for `RingcacheInterceptor`). @default the request URL
 * (path and query), prefixed with `http:`
 */
export const CacheKey = (key: string | CacheKeyFactory) => SetMetadata(CACHE_KEY_METADATA, key);

/** How long a route's response stays cached, in milliseconds. @default the cache's `defaultTtl` */
export const CacheTTL = (ttl: number | CacheTtlFactory) => SetMetadata(CACHE_TTL_METADATA, ttl);

/**
 * Makes a route's cached response per user: the resolved user goes into the key, and requests
 * carrying `Authorization` or `Cookie` are then cached (without this, they always bypass the
 * cache, so one user's response is never served to another). A request with credentials whose
 * user cannot be resolved bypasses the cache.
 * @param resolve the user of a request @default `request.user.id ?? request.user.sub` (Passport's `request.user`)
 */
export const CacheUser = (resolve: CacheUserResolver = defaultUser) =>
  SetMetadata(CACHE_USER_METADATA, resolve);

function defaultUser(request: unknown): string | number | undefined {
  const user = (request as { user?: { id?: unknown; sub?: unknown } }).user;
  const id = user?.id ?? user?.sub;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
