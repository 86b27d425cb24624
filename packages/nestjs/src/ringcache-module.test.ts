import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cache, type InvalidationBus, memoryAdapter, memoryBus, RingcacheError } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { getCacheToken, InjectCache, RingcacheModule } from './index.js';

@Injectable()
class ByClassToken {
  // No @Inject: Nest finds the token from `design:paramtypes`, which only exists when the
  // test transform emits decorator metadata (swc here).
  constructor(readonly cache: Cache) {}
}

@Injectable()
class ByDecorator {
  constructor(
    @InjectCache() readonly cache: Cache,
    @InjectCache('sessions') readonly sessions: Cache,
  ) {}
}

describe('RingcacheModule', () => {
  it('emits decorator metadata under vitest (swc), so class-token injection works', async () => {
    expect(Reflect.getMetadata('design:paramtypes', ByClassToken)).toEqual([Cache]);
    const moduleRef = await Test.createTestingModule({
      imports: [RingcacheModule.forRoot({ adapter: memoryAdapter() })],
      providers: [ByClassToken],
    }).compile();
    const service = moduleRef.get(ByClassToken);
    expect(service.cache).toBeInstanceOf(Cache);
    expect(service.cache).toBe(moduleRef.get(getCacheToken()));
    await service.cache.set('greeting', 'hello');
    expect(await service.cache.get('greeting')).toBe('hello');
    await moduleRef.close();
  });

  it('registers a default and a named cache side by side, each with its own adapter', async () => {
    const defaultAdapter = memoryAdapter({ nodes: 2 });
    const sessionsAdapter = memoryAdapter({ nodes: 4 });
    const moduleRef = await Test.createTestingModule({
      imports: [
        RingcacheModule.forRoot({ adapter: defaultAdapter }),
        RingcacheModule.forRoot({ name: 'sessions', adapter: sessionsAdapter, namespace: 'sessions' }),
      ],
      providers: [ByDecorator],
    }).compile();
    const service = moduleRef.get(ByDecorator);
    expect(service.cache).not.toBe(service.sessions);
    expect(service.cache.adapter).toBe(defaultAdapter);
    expect(service.sessions.adapter).toBe(sessionsAdapter);
    expect(service.sessions.nodes()).toHaveLength(4);
    expect(moduleRef.get(getCacheToken('sessions'))).toBe(service.sessions);
    await service.sessions.set('user:1', { id: 1 });
    expect(await service.cache.get('user:1')).toBeUndefined();
    expect(await service.cache.get('sessions:user:1')).toBeUndefined(); // different adapters
    await moduleRef.close();
  });

  it('isGlobal makes the cache injectable in feature modules that do not import it', async () => {
    @Module({ providers: [ByClassToken], exports: [ByClassToken] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [RingcacheModule.forRoot({ adapter: memoryAdapter(), isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.get(ByClassToken).cache).toBeInstanceOf(Cache);
    await moduleRef.close();
  });

  it('without isGlobal, a feature module that does not import it cannot resolve the cache', async () => {
    @Module({ providers: [ByClassToken] })
    class FeatureModule {}
    await expect(
      Test.createTestingModule({
        imports: [RingcacheModule.forRoot({ adapter: memoryAdapter() }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/ByClassToken/);
  });

  it('forRootAsync builds the options with injected dependencies', async () => {
    const SETTINGS = Symbol('settings');
    @Module({ providers: [{ provide: SETTINGS, useValue: { nodes: 5, ttl: 60_000 } }], exports: [SETTINGS] })
    class SettingsModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        RingcacheModule.forRootAsync({
          name: 'catalog',
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: async (settings: { nodes: number; ttl: number }) => ({
            adapter: memoryAdapter({ nodes: settings.nodes }),
            defaultTtl: settings.ttl,
          }),
        }),
      ],
    }).compile();
    const cache = moduleRef.get<Cache>(getCacheToken('catalog'));
    expect(cache.nodes()).toHaveLength(5);
    expect(() => moduleRef.get(Cache)).toThrow(); // only the default cache has the class token
    await moduleRef.close();
  });

  it('closes the cache, its adapter and its buses on application shutdown', async () => {
    const bus = trackClose(memoryBus());
    const moduleRef = await Test.createTestingModule({
      imports: [RingcacheModule.forRoot({ adapter: memoryAdapter(), local: { bus }, hotKeys: { bus } })],
    }).compile();
    const cache = moduleRef.get(Cache);
    await cache.set('key', 1);
    await moduleRef.close();
    const error = await cache.get('key').catch((caught: unknown) => caught);
    expect(RingcacheError.hasCode(error, 'E_CLOSED')).toBe(true);
    expect(bus.closed).toBe(1); // the same bus given twice is closed once
  });

  it('leaves the cache open with closeOnShutdown: false', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RingcacheModule.forRoot({ adapter: memoryAdapter(), closeOnShutdown: false })],
    }).compile();
    const cache = moduleRef.get(Cache);
    await moduleRef.close();
    await cache.set('still', 'open');
    expect(await cache.get('still')).toBe('open');
    await cache.close();
  });

  it('injects into properties as well as constructor parameters', async () => {
    @Injectable()
    class PropertyInjected {
      @InjectCache() readonly cache!: Cache;
      @Inject(getCacheToken('other')) readonly other!: Cache;
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        RingcacheModule.forRoot({ adapter: memoryAdapter() }),
        RingcacheModule.forRoot({ name: 'other', adapter: memoryAdapter() }),
      ],
      providers: [PropertyInjected],
    }).compile();
    const service = moduleRef.get(PropertyInjected);
    expect(service.cache).toBe(moduleRef.get(Cache));
    expect(service.other).toBe(moduleRef.get(getCacheToken('other')));
    await moduleRef.close();
  });
});

function trackClose(bus: InvalidationBus): InvalidationBus & { closed: number } {
  const tracked = {
    closed: 0,
    publish: bus.publish.bind(bus),
    subscribe: bus.subscribe.bind(bus),
    close: async () => {
      tracked.closed++;
      await bus.close();
    },
  };
  return tracked;
}
