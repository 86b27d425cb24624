import { Inject, Injectable } from '@nestjs/common';
import { Cache } from '@ringcache/core';
import { Cached } from '@ringcache/nestjs';
import type { Settings } from '../settings.js';
import { SETTINGS } from '../tokens.js';
import { FakeDatabase, type Product, type StoreConfig } from './fake-database.js';

export interface Timed<T> {
  value: T;
  cache: 'hit' | 'miss';
  /** Wall time of the lookup, ms. */
  ms: number;
}

/** Cache-aside over the slow database: what an application writes once and runs on any engine. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly cache: Cache,
    @Inject(FakeDatabase) private readonly database: FakeDatabase,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * A product through the cache. Concurrent misses of one id share one database read
   * (`getOrSet` is single-flight); unknown ids are cached as `null` so they cannot hammer the
   * database either.
   */
  async product(id: number): Promise<Timed<Product | null>> {
    const started = performance.now();
    let cache: 'hit' | 'miss' = 'hit';
    const value = await this.cache.getOrSet(
      `product:${id}`,
      () => {
        cache = 'miss';
        return this.database.findProduct(id);
      },
      { ttl: this.settings.productTtlMs },
    );
    return { value, cache, ms: Math.round((performance.now() - started) * 100) / 100 };
  }

  /** The store configuration: read by every page, so it is the hottest key of all. */
  @Cached({ key: 'config', ttl: 60_000 })
  async config(): Promise<StoreConfig> {
    return this.database.loadConfig();
  }

  /** Drops a product from the cache (after an edit, say); the next read goes to the database. */
  forget(id: number): Promise<boolean> {
    return this.cache.delete(`product:${id}`);
  }
}
