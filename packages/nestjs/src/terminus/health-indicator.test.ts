import 'reflect-metadata';
import { Controller, Get, type INestApplication, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { type CacheAdapter, memoryAdapter } from '@ringcache/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingcacheModule } from '../index.js';
import { RingcacheHealthIndicator } from './index.js';

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(RingcacheHealthIndicator) private readonly ringcache: RingcacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.ringcache.isHealthy('cache')]);
  }

  @Get('strict')
  @HealthCheck()
  strict() {
    return this.health.check([
      () => this.ringcache.isHealthy('sessions', { cache: 'sessions', minUp: 'all' }),
    ]);
  }

  @Get('unknown')
  @HealthCheck()
  unknown() {
    return this.health.check([() => this.ringcache.isHealthy('nope', { cache: 'nope' })]);
  }
}

const adapter: CacheAdapter = memoryAdapter({ nodes: 3 });
let app: INestApplication;
let base: string;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      RingcacheModule.forRoot({ adapter }),
      RingcacheModule.forRoot({ name: 'sessions', adapter: memoryAdapter({ nodes: 2 }) }),
    ],
    controllers: [HealthController],
    providers: [RingcacheHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
});

afterAll(async () => {
  await app?.close();
});

/** Terminus's response body, as far as these tests read it. */
interface HealthBody {
  status: string;
  info: Record<string, CacheReport>;
  error: Record<string, CacheReport>;
}

interface CacheReport {
  status: string;
  message?: string;
  adapter: string;
  nodesUp: number;
  nodesTotal: number;
  nodes: Record<string, { address: string; status: string }>;
}

async function health(path = '') {
  const response = await fetch(`${base}/health${path}`);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

describe('RingcacheHealthIndicator', () => {
  it('reports every node of the cache', async () => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.cache).toEqual({
      status: 'up',
      adapter: 'memory',
      nodesUp: 3,
      nodesTotal: 3,
      nodes: {
        'memory:1': { address: 'memory:1', status: 'up' },
        'memory:2': { address: 'memory:2', status: 'up' },
        'memory:3': { address: 'memory:3', status: 'up' },
      },
    });
    expect((await health('/strict')).body.info.sessions?.nodesTotal).toBe(2);
  });

  it('shows a stopped node as down, and stays up while enough nodes are', async () => {
    await adapter.faults?.stopNode('memory:2');
    try {
      const { status, body } = await health();
      expect(status).toBe(200);
      expect(body.info.cache?.nodesUp).toBe(2);
      expect(body.info.cache?.nodes['memory:2']?.status).toBe('down');
    } finally {
      await adapter.faults?.startNode('memory:2');
    }
  });

  it('is down when fewer than minUp nodes are up, or the cache does not exist', async () => {
    const sessions = app.get<{ adapter: CacheAdapter }>('ringcache:cache:sessions').adapter;
    await sessions.faults?.stopNode('memory:1');
    try {
      const { status, body } = await health('/strict');
      expect(status).toBe(503);
      expect(body.error.sessions).toMatchObject({ status: 'down', nodesUp: 1, nodesTotal: 2 });
    } finally {
      await sessions.faults?.startNode('memory:1');
    }
    const unknown = await health('/unknown');
    expect(unknown.status).toBe(503);
    expect(unknown.body.error.nope?.message).toMatch(/no Ringcache cache named 'nope'/);
  });
});
