import 'reflect-metadata';
import { Controller, Get, Injectable, Param, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Cache, memoryAdapter } from '@ringcache/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHED_METADATA } from './cached.js';
import { Cached, getCacheToken, RingcacheModule } from './index.js';

@Injectable()
class ProductService {
  loads = 0;

  @Cached({ key: (id: number) => `product:${id}`, ttl: 60_000 })
  async find(id: number): Promise<{ id: number; load: number }> {
    this.loads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { id, load: this.loads };
  }

  @Cached()
  async listAll(category: string, page: number): Promise<string[]> {
    this.loads++;
    return [`${category}:${page}`];
  }

  @Cached({ key: 'settings' })
  async settings(): Promise<{ theme: string }> {
    this.loads++;
    return { theme: 'dark' };
  }

  @Cached({ key: 'session', cache: 'sessions' })
  async session(id: string): Promise<string> {
    this.loads++;
    return `session ${id}`;
  }

  @Cached({ key: 'nothing' })
  async nothing(): Promise<undefined> {
    this.loads++;
    return undefined;
  }
}

const modules: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
});

async function compile(
  providers: Parameters<typeof Test.createTestingModule>[0]['providers'] = [ProductService],
) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RingcacheModule.forRoot({ adapter: memoryAdapter() }),
      RingcacheModule.forRoot({ name: 'sessions', adapter: memoryAdapter() }),
    ],
    providers,
  }).compile();
  await moduleRef.init();
  modules.push(moduleRef);
  return moduleRef;
}

describe('@Cached', () => {
  it('stores its options as method metadata', () => {
    const options = Reflect.getMetadata(CACHED_METADATA, ProductService.prototype.find);
    expect(options).toMatchObject({ ttl: 60_000 });
    expect(typeof options.key).toBe('function');
  });

  it('caches the result under the key and runs concurrent calls once (single-flight)', async () => {
    const moduleRef = await compile();
    const service = moduleRef.get(ProductService);
    const cache = moduleRef.get(Cache);
    const results = await Promise.all([service.find(7), service.find(7), service.find(7)]);
    expect(service.loads).toBe(1);
    expect(results).toEqual([
      { id: 7, load: 1 },
      { id: 7, load: 1 },
      { id: 7, load: 1 },
    ]);
    expect(await cache.get('product:7')).toEqual({ id: 7, load: 1 });
    expect(await service.find(7)).toEqual({ id: 7, load: 1 });
    expect(service.loads).toBe(1);
    await cache.delete('product:7');
    expect(await service.find(7)).toEqual({ id: 7, load: 2 });
  });

  it('builds default keys from the class, method and arguments; a string key is a prefix', async () => {
    const moduleRef = await compile();
    const service = moduleRef.get(ProductService);
    const cache = moduleRef.get(Cache);
    await service.listAll('books', 2);
    await service.settings();
    expect(await cache.get('ProductService.listAll:["books",2]')).toEqual(['books:2']);
    expect(await cache.get('settings')).toEqual({ theme: 'dark' });
  });

  it('uses the named cache given in its options', async () => {
    const moduleRef = await compile();
    const service = moduleRef.get(ProductService);
    expect(await service.session('abc')).toBe('session abc');
    expect(await moduleRef.get<Cache>(getCacheToken('sessions')).get('session:["abc"]')).toBe('session abc');
    expect(await moduleRef.get(Cache).get('session:["abc"]')).toBeUndefined();
  });

  it('caches nothing when the method resolves to undefined', async () => {
    const moduleRef = await compile();
    const service = moduleRef.get(ProductService);
    await service.nothing();
    await service.nothing();
    expect(service.loads).toBe(2);
  });

  it('keeps each application on its own cache (wrapping is per instance, not per prototype)', async () => {
    const first = await compile();
    const second = await compile();
    await first.get(ProductService).find(1);
    expect(await first.get(Cache).get('product:1')).toBeDefined();
    expect(await second.get(Cache).get('product:1')).toBeUndefined();
    await second.get(ProductService).find(1);
    expect(second.get(ProductService).loads).toBe(1);
    expect(ProductService.prototype.find).not.toBe(first.get(ProductService).find);
  });

  it('wraps controller methods too, and leaves request-scoped providers alone', async () => {
    @Controller('things')
    class ThingsController {
      calls = 0;
      @Get(':id')
      @Cached({ key: (id: string) => `thing:${id}` })
      async thing(@Param('id') id: string) {
        this.calls++;
        return { id };
      }
    }
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Cached({ key: 'per-request' })
      async value() {
        return 1;
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [RingcacheModule.forRoot({ adapter: memoryAdapter() })],
      controllers: [ThingsController],
      providers: [PerRequest],
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    const controller = moduleRef.get(ThingsController);
    await controller.thing('a');
    await controller.thing('a');
    expect(controller.calls).toBe(1);
    const perRequest = await moduleRef.resolve(PerRequest);
    await perRequest.value();
    expect(await moduleRef.get(Cache).get('per-request')).toBeUndefined();
  });
});
