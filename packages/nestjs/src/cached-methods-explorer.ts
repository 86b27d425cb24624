import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Cache } from '@ringcache/core';
import { CACHED_METADATA, type CachedOptions, cachedKey } from './cached.js';
import { DEFAULT_CACHE_NAME, RINGCACHE_INSTANCE, RINGCACHE_NAME } from './tokens.js';

/** Marks a wrapper, so a method is never wrapped twice (a module imported in several places). */
const WRAPPED = Symbol('ringcache:wrapped');

type Method = ((...args: unknown[]) => unknown) & { [WRAPPED]?: true };

/**
 * Wraps the `@Cached` methods aimed at this module's cache. Each `forRoot` module has one, and
 * wraps only the methods whose `cache` is its name, so a default and a named cache can coexist.
 * Methods are wrapped on the instance (not the prototype): two applications in one process (two
 * testing modules) each keep their own cache.
 */
@Injectable()
export class CachedMethodsExplorer implements OnModuleInit {
  private readonly logger = new Logger('Ringcache');

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(RINGCACHE_INSTANCE) private readonly cache: Cache,
    @Inject(RINGCACHE_NAME) private readonly name: string,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) continue;
      const prototype: object | null = Object.getPrototypeOf(instance);
      if (prototype === null) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const options = this.reflector.get<CachedOptions | undefined>(CACHED_METADATA, method);
        if (options === undefined || (options.cache ?? DEFAULT_CACHE_NAME) !== this.name) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(
            `@Cached ${wrapper.name as string}.${methodName} is not cached: its provider is request-scoped or transient`,
          );
          continue;
        }
        this.wrap(instance as Record<string, unknown>, methodName, method as Method, options);
      }
    }
  }

  private wrap(
    instance: Record<string, unknown>,
    methodName: string,
    method: Method,
    options: CachedOptions,
  ): void {
    const current = instance[methodName] as Method;
    if (current[WRAPPED]) return;
    const cache = this.cache;
    const className = instance.constructor.name;
    const setOptions = options.ttl === undefined ? undefined : { ttl: options.ttl };
    const wrapped: Method = function (this: unknown, ...args: unknown[]) {
      const key = cachedKey(options, className, methodName, args);
      return cache.getOrSet(key, () => method.apply(this, args), setOptions);
    };
    wrapped[WRAPPED] = true;
    Object.defineProperty(wrapped, 'name', { value: methodName });
    instance[methodName] = wrapped;
  }
}
