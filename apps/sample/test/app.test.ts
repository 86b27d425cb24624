// The sample's HTTP API on the embedded default (3 in-process memory nodes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, startApplication } from '../src/application.js';
import { readSettings } from '../src/settings.js';
import {
  getJson,
  type HealthResponse,
  type PageResponse,
  type ProductResponse,
  type RingView,
  type StatsResponse,
  type TrafficState,
} from './responses.js';

let application: Application;
let base: string;

beforeAll(async () => {
  application = await startApplication(
    { ...readSettings({}), port: 0, databaseLatencyMs: 40, hotKeyWindowMs: 500, hotKeyMinCount: 100 },
    { logger: false },
  );
  base = application.url;
});

afterAll(async () => {
  await application?.app.close();
});

const json = <T>(path: string, init?: RequestInit) => getJson<T>(`${base}${path}`, init);

describe('sample app', () => {
  it('serves the dashboard at /', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<svg id="ring"');
    expect((await fetch(`${base}/dashboard.js`)).status).toBe(200);
  });

  it('answers products cache-aside: a slow miss, then a fast hit', async () => {
    const miss = await json<ProductResponse>('/api/products/501');
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('miss');
    expect(miss.body.product).toMatchObject({ id: 501 });
    expect(miss.body.ms).toBeGreaterThanOrEqual(30);
    const hit = await json<ProductResponse>('/api/products/501');
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(hit.body.product).toEqual(miss.body.product);
    expect(hit.body.ms).toBeLessThan(miss.body.ms);
    expect((await json<ProductResponse>('/api/products/5000')).status).toBe(404);
    expect((await json<{ removed: boolean }>('/api/products/501', { method: 'DELETE' })).body).toEqual({
      removed: true,
    });
    expect((await json<ProductResponse>('/api/products/501')).headers.get('x-cache')).toBe('miss');
  });

  it('caches product pages with the interceptor, and bypasses it for credentials', async () => {
    const first = await json<PageResponse>('/api/products?page=3');
    const second = await json<PageResponse>('/api/products?page=3');
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body.products).toHaveLength(20);
    const withAuth = await json<PageResponse>('/api/products?page=3', {
      headers: { authorization: 'Bearer x' },
    });
    expect(withAuth.headers.get('x-cache')).toBe('bypass');
  });

  it('serves the hot config key', async () => {
    const { body } = await json<{ currency: string }>('/api/config');
    expect(body).toMatchObject({ currency: 'EUR' });
  });

  it('reports the ring: nodes, shares and arcs around the whole circle', async () => {
    const { body } = await json<RingView>('/api/ring');
    expect(body.partitioner).toBe('consistent');
    expect(body.method).toBe('sampled');
    expect(body.nodes.map((node) => node.id)).toEqual(['memory:1', 'memory:2', 'memory:3']);
    const shares = body.nodes.map((node) => node.share);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 5);
    for (const share of shares) expect(share).toBeGreaterThan(0.15);
    expect(body.arcs.length).toBeGreaterThan(3);
    expect(body.arcs[0]?.start).toBe(0);
    expect(body.arcs.at(-1)?.end).toBe(1);
  });

  it('reports health with every node', async () => {
    const { status, body } = await json<HealthResponse>('/health');
    expect(status).toBe(200);
    expect(body.info.cache).toMatchObject({ status: 'up', nodesUp: 3, nodesTotal: 3 });
  });

  it('runs the traffic generator until stopped, and /api/stats shows per-node traffic and the hot key', async () => {
    const started = await json<TrafficState>('/api/traffic/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: 1500 }),
    });
    expect(started.body).toMatchObject({ running: true, rate: 1500, s: 1.1 });
    try {
      await expect
        .poll(
          async () =>
            (await json<StatsResponse>('/api/stats')).body.hotKeyEvents.some(
              (event: { key: string }) => event.key === 'config',
            ),
          {
            timeout: 10_000,
          },
        )
        .toBe(true);
      const { body } = await json<StatsResponse>('/api/stats');
      expect(body).toMatchObject({ backend: 'memory', adapter: 'memory' });
      expect(body.nodes).toHaveLength(3);
      for (const node of body.nodes) expect(node.ops).toBeGreaterThan(0);
      expect(body.hitRate).toBeGreaterThan(0.5);
      expect(body.hotKeys.find((entry) => entry.key === 'config')).toMatchObject({
        policy: 'split',
        mitigated: true,
      });
      expect(body.traffic.sent).toBeGreaterThan(0);
    } finally {
      const stopped = await json<TrafficState>('/api/traffic/stop', { method: 'POST' });
      expect(stopped.body.running).toBe(false);
    }
    const invalid = await json<TrafficState>('/api/traffic/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: -1 }),
    });
    expect(invalid.status).toBe(400);
  });
});
