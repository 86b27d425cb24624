import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { Cache, createCache } from '@ringcache/core';
import { RingcacheCacheManager } from './cache-manager.js';
import type { RingcacheModuleExtras, RingcacheModuleOptions } from './options.js';
import {
  CACHE_MANAGER,
  DEFAULT_CACHE_NAME,
  getCacheToken,
  RINGCACHE_INSTANCE,
  RINGCACHE_NAME,
} from './tokens.js';

export const {
  ConfigurableModuleClass: RingcacheConfigurableModule,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RingcacheModuleOptions>({ moduleName: 'Ringcache' })
  .setClassMethodName('forRoot')
  .setExtras<RingcacheModuleExtras>(
    { isGlobal: false, name: DEFAULT_CACHE_NAME, cacheManager: false },
    (definition, extras) => withCacheProviders(definition, extras),
  )
  .build();

/**
 * Adds the providers that depend on the cache's name. Inside the module the cache lives under
 * a fixed local token (so the lifecycle and the `@Cached` explorer need no name); outside it is
 * exported under `getCacheToken(name)`, and the default cache also under the `Cache` class.
 */
function withCacheProviders(definition: DynamicModule, extras: RingcacheModuleExtras): DynamicModule {
  const name = extras.name ?? DEFAULT_CACHE_NAME;
  const token = getCacheToken(name);
  const providers: Provider[] = [
    ...(definition.providers ?? []),
    { provide: RINGCACHE_NAME, useValue: name },
    {
      provide: RINGCACHE_INSTANCE,
      useFactory: (options: RingcacheModuleOptions) => {
        const { closeOnShutdown: _, ...cacheOptions } = options;
        return createCache(cacheOptions);
      },
      inject: [MODULE_OPTIONS_TOKEN],
    },
    { provide: token, useExisting: RINGCACHE_INSTANCE },
  ];
  const exports: NonNullable<DynamicModule['exports']> = [token];
  if (name === DEFAULT_CACHE_NAME) {
    providers.push({ provide: Cache, useExisting: RINGCACHE_INSTANCE });
    exports.push(Cache);
  }
  if (extras.cacheManager) {
    providers.push({
      provide: CACHE_MANAGER,
      useFactory: (cache: Cache) => new RingcacheCacheManager(cache),
      inject: [RINGCACHE_INSTANCE],
    });
    exports.push(CACHE_MANAGER);
  }
  return {
    ...definition,
    global: extras.isGlobal ?? false,
    providers,
    exports: [...(definition.exports ?? []), ...exports],
  };
}
