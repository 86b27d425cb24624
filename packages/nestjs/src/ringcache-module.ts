import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RingcacheLifecycle } from './cache-lifecycle.js';
import { CachedMethodsExplorer } from './cached-methods-explorer.js';
import { RingcacheConfigurableModule } from './module-definition.js';

/**
 * Registers a cache for injection.
 *
 * ```ts
 * RingcacheModule.forRoot({ adapter: memoryAdapter(), isGlobal: true })
 * RingcacheModule.forRoot({ name: 'sessions', adapter: redisClusterAdapter({ nodes }) })
 * RingcacheModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ adapter: ... }) })
 * ```
 *
 * Each call makes one cache: `@InjectCache(name)` / `getCacheToken(name)`; the default one (no
 * `name`) is also injectable as `Cache`. `@Cached` methods aimed at it are wrapped when the module
 * initializes, and the cache is closed on application shutdown.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [RingcacheLifecycle, CachedMethodsExplorer],
})
export class RingcacheModule extends RingcacheConfigurableModule {}
