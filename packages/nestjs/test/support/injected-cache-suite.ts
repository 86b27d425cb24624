import 'reflect-metadata';
import { Controller, Get, type INestApplication, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { Cache, type CacheAdapter, type InvalidationBus, RingcacheError } from '@ringcache/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingcacheModule } from '../../src/index.js';
import { RingcacheHealthIndicator } from '../../src/terminus/index.js';
import { CatalogController, CatalogService } from './catalog.js';

export interface Backend {
  adapter: CacheAdapter;
  /** A bus for the local tier, to prove buses are closed with the application. */
  bus?: InvalidationBus;
  /** Per-engine cache options (a longer timeout for a JVM sharing the machine's cores). */
  timeout?: number;
}

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(RingcacheHealthIndicator) private readonly ringcache: RingcacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.ringcache.isHealthy('cache', { minUp: 'all' })]);
  }
}

/**
 * One Nest application per adapter, running the same `CatalogService` and controllers: what
 * proves the module is engine-agnostic. Keys live under a namespace unique to the run, since the
 * shared engines serve other suites at the same time.
 */
export function describeInjectedCache(name: string, create: () => Promise<Backend>): void {
  describe(`@ringcache/nestjs on ${name}`, () => {
    let app: INestApplication;
    let base: string;
    let backend: Backend;
    const namespace = `nestjs-test:${process.pid}:${Date.now()}`;

    beforeAll(async () => {
      backend = await create();
      const moduleRef = await Test.createTestingModule({
        imports: [
          TerminusModule.forRoot({ logger: false }),
          RingcacheModule.forRoot({
            adapter: backend.adapter,
            namespace,
            onBackendError: 'throw',
            ...(backend.timeout === undefined ? {} : { timeout: backend.timeout }),
            ...(backend.bus === undefined ? {} : { local: { bus: backend.bus, ttl: 1000 } }),
          }),
        ],
        controllers: [CatalogController, HealthController],
        providers: [CatalogService, RingcacheHealthIndicator],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0, '127.0.0.1');
      base = await app.getUrl();
    });

    afterAll(async () => {
      if (app === undefined) return;
      const cache = app.get(Cache);
      await cache.clear().catch(() => {});
      await app.close();
    });

    it('injects a cache over this adapter', () => {
      const service = app.get(CatalogService);
      expect(service.cache).toBe(app.get(Cache));
      expect(service.cache.adapter).toBe(backend.adapter);
      expect(service.cache.nodes().length).toBeGreaterThan(1);
    });

    it('runs cache-aside through getOrSet: the database is read once', async () => {
      const service = app.get(CatalogService);
      const before = service.databaseReads;
      const first = await service.product(1);
      const second = await service.product(1);
      expect(second).toEqual(first);
      expect(service.databaseReads - before).toBe(1);
    });

    it('runs @Cached methods once for concurrent callers', async () => {
      const service = app.get(CatalogService);
      const before = service.databaseReads;
      const prices = await Promise.all([service.price(9), service.price(9), service.price(9)]);
      expect(new Set(prices.map((price) => price.read)).size).toBe(1);
      expect(service.databaseReads - before).toBe(1);
      expect(await service.price(9)).toEqual(prices[0]);
      expect(service.databaseReads - before).toBe(1);
    });

    it('reads many keys spread over several nodes, in order, and deletes', async () => {
      const service = app.get(CatalogService);
      const ids = Array.from({ length: 40 }, (_, index) => 100 + index);
      for (const id of ids) await service.rename(id, `renamed ${id}`);
      const products = await service.products([...ids, 999]);
      expect(products.map((product) => product?.name)).toEqual([
        ...ids.map((id) => `renamed ${id}`),
        undefined,
      ]);
      const stats = service.cache.stats();
      expect(stats.nodes.filter((node) => node.sets > 0).length).toBeGreaterThan(1);
      expect(await service.forget(100)).toBe(true);
      expect(await service.forget(100)).toBe(false);
      expect((await service.products([100]))[0]).toBeUndefined();
    });

    it('caches GET responses through the interceptor', async () => {
      const first = await fetch(`${base}/catalog/7`);
      const second = await fetch(`${base}/catalog/7`);
      expect(first.headers.get('x-cache')).toBe('miss');
      expect(second.headers.get('x-cache')).toBe('hit');
      expect(await second.json()).toEqual(await first.json());
    });

    it('reports every node up to Terminus', async () => {
      const response = await fetch(`${base}/health`);
      const body = (await response.json()) as {
        info: { cache: { nodesUp: number; nodesTotal: number; nodes: Record<string, unknown> } };
      };
      expect(response.status).toBe(200);
      expect(body.info.cache.nodesUp).toBe(body.info.cache.nodesTotal);
      expect(Object.keys(body.info.cache.nodes).sort()).toEqual(
        app
          .get(Cache)
          .nodes()
          .map((node) => node.id)
          .sort(),
      );
    });

    it('closes the adapter (and the bus) on application shutdown', async () => {
      const cache = app.get(Cache);
      await cache.clear();
      await app.close();
      const error = await cache.get('product:1').catch((caught: unknown) => caught);
      expect(RingcacheError.hasCode(error, 'E_CLOSED')).toBe(true);
      if (backend.bus !== undefined) {
        await expect(backend.bus.publish('ringcache:closed', new Uint8Array([1]))).rejects.toThrow();
      }
      app = undefined as unknown as INestApplication;
    });
  });
}
