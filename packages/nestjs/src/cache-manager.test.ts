import 'reflect-metadata';
import { CacheInterceptor, CacheTTL } from '@nestjs/cache-manager';
import { Controller, Get, type INestApplication, Inject, Injectable, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cache, memoryAdapter } from '@ringcache/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_MANAGER, RingcacheCacheManager, RingcacheModule } from './index.js';

let handlerCalls = 0;

/** Code written for @nestjs/cache-manager, untouched: only the module changed. */
@Controller()
@UseInterceptors(CacheInterceptor)
class LegacyController {
  @Get('legacy')
  @CacheTTL(60_000)
  legacy() {
    return { call: ++handlerCalls };
  }
}

@Injectable()
class LegacyService {
  constructor(@Inject(CACHE_MANAGER) readonly cacheManager: RingcacheCacheManager) {}
}

let app: INestApplication;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    // Was: CacheModule.register({ isGlobal: true })
    imports: [RingcacheModule.forRoot({ adapter: memoryAdapter(), isGlobal: true, cacheManager: true })],
    controllers: [LegacyController],
    providers: [LegacyService],
  }).compile();
  app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
});

describe('CACHE_MANAGER drop-in', () => {
  it('uses the same token string as @nestjs/cache-manager', async () => {
    const { CACHE_MANAGER: original } = await import('@nestjs/cache-manager');
    expect(CACHE_MANAGER).toBe(original);
  });

  it('serves @nestjs/cache-manager’s CacheInterceptor from Ringcache', async () => {
    const url = `${await app.getUrl()}/legacy`;
    const first = await fetch(url);
    const second = await fetch(url);
    expect(await first.json()).toEqual({ call: 1 });
    expect(await second.json()).toEqual({ call: 1 });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(await app.get(Cache).get('/legacy')).toEqual({ call: 1 });
  });

  it('implements get/set/del/mget/mset/mdel/clear/ttl over the cache', async () => {
    const manager = app.get(LegacyService).cacheManager;
    expect(manager).toBeInstanceOf(RingcacheCacheManager);
    expect(await manager.set('a', { n: 1 }, 10_000)).toEqual({ n: 1 });
    expect(await manager.get('a')).toEqual({ n: 1 });
    expect(await manager.get('missing')).toBeUndefined();
    await manager.mset([
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 50 },
    ]);
    expect(await manager.mget(['a', 'b', 'c', 'd'])).toEqual([{ n: 1 }, 2, 3, undefined]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await manager.get('c')).toBeUndefined();
    expect(await manager.del('a')).toBe(true);
    expect(await manager.get('a')).toBeUndefined();
    expect(await manager.mdel(['b'])).toBe(true);
    expect(await manager.get('b')).toBeUndefined();
    await manager.set('e', 5);
    expect(await manager.clear()).toBe(true);
    expect(await manager.get('e')).toBeUndefined();
    expect(await manager.ttl('e')).toBeUndefined();
    // cache-manager v7 answers the expiry time in epoch ms, undefined for a key that never expires.
    const before = Date.now();
    await manager.set('f', 6, 10_000);
    const expires = await manager.ttl('f');
    expect(expires).toBeGreaterThan(before + 9_000);
    // Engines round lifetimes to their own clocks and granularity (memcached: seconds).
    expect(expires).toBeLessThanOrEqual(Date.now() + 11_000);
    await manager.set('g', 7, 0);
    expect(await manager.ttl('g')).toBeUndefined();
  });

  it('wrap runs the function once for concurrent callers, with a fixed or value-based TTL', async () => {
    const manager = app.get(LegacyService).cacheManager;
    let runs = 0;
    const load = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { runs };
    };
    const fixed = await Promise.all([manager.wrap('w1', load, 10_000), manager.wrap('w1', load, 10_000)]);
    expect(fixed).toEqual([{ runs: 1 }, { runs: 1 }]);
    const byValue = await Promise.all([
      manager.wrap('w2', load, { ttl: () => 40 }),
      manager.wrap('w2', load, { ttl: () => 40 }),
    ]);
    expect(byValue).toEqual([{ runs: 2 }, { runs: 2 }]);
    expect(await manager.wrap('w2', load, () => 40)).toEqual({ runs: 2 });
    await new Promise((resolve) => setTimeout(resolve, 70));
    expect(await manager.wrap('w2', load, () => 40)).toEqual({ runs: 3 });
  });
});
