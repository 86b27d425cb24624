import { Controller, Get, Inject, Injectable, Param, UseInterceptors } from '@nestjs/common';
import { Cache } from '@ringcache/core';
import { Cached, CacheTTL, RingcacheInterceptor } from '../../src/index.js';

export interface Product {
  id: number;
  name: string;
  loadedAt: number;
}

/**
 * The application code every adapter test runs unchanged: it knows a `Cache` by injection and
 * nothing of the engine behind it.
 */
@Injectable()
export class CatalogService {
  databaseReads = 0;

  // Injected by class token (decorator metadata), the way application code usually does.
  constructor(readonly cache: Cache) {}

  /** Cache-aside by hand. */
  product(id: number): Promise<Product> {
    return this.cache.getOrSet(`product:${id}`, () => this.loadProduct(id), { ttl: 60_000 });
  }

  /** Cache-aside by decorator. */
  @Cached({ key: (id: number) => `price:${id}`, ttl: 60_000 })
  async price(id: number): Promise<{ id: number; cents: number; read: number }> {
    this.databaseReads++;
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { id, cents: id * 100, read: this.databaseReads };
  }

  products(ids: readonly number[]): Promise<(Product | undefined)[]> {
    return this.cache.getMany<Product>(ids.map((id) => `product:${id}`));
  }

  async rename(id: number, name: string): Promise<void> {
    await this.cache.set(`product:${id}`, { id, name, loadedAt: Date.now() }, { ttl: 60_000 });
  }

  forget(id: number): Promise<boolean> {
    return this.cache.delete(`product:${id}`);
  }

  private async loadProduct(id: number): Promise<Product> {
    this.databaseReads++;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { id, name: `product ${id}`, loadedAt: Date.now() };
  }
}

@Controller('catalog')
@UseInterceptors(RingcacheInterceptor)
export class CatalogController {
  calls = 0;

  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}

  @Get(':id')
  @CacheTTL(60_000)
  async product(@Param('id') id: string) {
    this.calls++;
    return { ...(await this.catalog.product(Number(id))), call: this.calls };
  }
}
