import { SetMetadata } from '@nestjs/common';

export const CACHED_METADATA = 'ringcache:cached';

/** Options of `@Cached`. */
export interface CachedOptions<Args extends unknown[] = unknown[]> {
  /**
   * The cache key. A string is a prefix: the method's arguments are appended as JSON
   * (`'product'` + `(42)` → `product:[42]`; no arguments → `product`). A function returns the
   * whole key from the arguments.
   * @default '<ClassName>.<method>' as a prefix
   */
  key?: string | ((...args: Args) => string);
  /** Milliseconds; `undefined` → the cache's `defaultTtl`; `0` → no expiry. */
  ttl?: number;
  /** Which cache, by the `name` given to `RingcacheModule.forRoot`. @default 'default' */
  cache?: string;
}

/**
 * Caches what an async method returns, through the cache's `getOrSet`: concurrent calls with the
 * same key share one execution, and a failing backend never fails the call (the method runs).
 * A method that resolves to `undefined` caches nothing.
 *
 * Works on singleton providers and controllers: when the module initializes, the cache's module
 * finds decorated methods (Nest's `DiscoveryService`) and wraps them on each instance, with the
 * cache it was given through injection. Calls made before that (from another provider's
 * constructor) run uncached; request-scoped and transient providers are not wrapped.
 *
 * @example
 * ```ts
 * @Cached({ key: (id: number) => `product:${id}`, ttl: 60_000 })
 * async findProduct(id: number): Promise<Product> { ... }
 * ```
 */
export function Cached<Args extends unknown[] = never[]>(options: CachedOptions<Args> = {}): MethodDecorator {
  return SetMetadata(CACHED_METADATA, options);
}

/** The key of one call of a `@Cached` method. */
export function cachedKey(
  options: CachedOptions,
  className: string,
  methodName: string,
  args: readonly unknown[],
): string {
  if (typeof options.key === 'function') return options.key(...args);
  const prefix = options.key ?? `${className}.${methodName}`;
  return args.length === 0 ? prefix : `${prefix}:${JSON.stringify(args)}`;
}
