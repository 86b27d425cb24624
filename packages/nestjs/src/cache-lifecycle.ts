import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Cache, InvalidationBus } from '@ringcache/core';
import { MODULE_OPTIONS_TOKEN } from './module-definition.js';
import type { RingcacheModuleOptions } from './options.js';
import { RINGCACHE_INSTANCE } from './tokens.js';

/**
 * Closes one module's cache when the application shuts down (`app.close()`, or a signal with
 * `enableShutdownHooks()`): the cache closes its adapter, then the buses it was given are closed,
 * since nothing else in the module holds them. Runs after `onModuleDestroy` and
 * `beforeApplicationShutdown`, so application code can still use the cache there.
 */
@Injectable()
export class RingcacheLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(RINGCACHE_INSTANCE) private readonly cache: Cache,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: RingcacheModuleOptions,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.options.closeOnShutdown === false) return;
    try {
      await this.cache.close();
    } finally {
      const buses = new Set<InvalidationBus>();
      if (this.options.local?.bus) buses.add(this.options.local.bus);
      if (this.options.hotKeys?.bus) buses.add(this.options.hotKeys.bus);
      // Buses are independent: one failing to close must not keep the others open.
      await Promise.allSettled([...buses].map((bus) => bus.close()));
    }
  }
}
