import * as api from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { type Cache, createCache } from '../cache/cache.js';
import { TimeoutError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import {
  instrumentWith,
  noopCallTracer,
  openTelemetryInstrumentation,
  openTelemetryTracer,
} from './opentelemetry.js';
import type { StatsSource } from './prometheus.js';

/** A pull reader: collect() on demand, like a Prometheus scrape of the OTel SDK. */
class InMemoryReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Point {
  name: string;
  attributes: api.Attributes;
  value: unknown;
}

async function collect(reader: InMemoryReader): Promise<Point[]> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const points: Point[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints) {
        points.push({ name: metric.descriptor.name, attributes: point.attributes, value: point.value });
      }
    }
  }
  return points;
}

function pointValue(points: Point[], name: string, attributes: api.Attributes = {}): unknown {
  const wanted = Object.entries(attributes);
  const found = points.filter(
    (point) =>
      point.name === name &&
      Object.keys(point.attributes).length === wanted.length &&
      wanted.every(([key, value]) => point.attributes[key] === value),
  );
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

const open: Cache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cache) => cache.close()));
});

describe('openTelemetryInstrumentation', () => {
  it('reports per-node counters from a real cache through the SDK', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const cache = createCache({ adapter });
    open.push(cache);
    const reader = new InMemoryReader();
    const provider = new MeterProvider({ readers: [reader] });
    let reads = 0;
    const counted: StatsSource = {
      stats: () => {
        reads++;
        return cache.stats();
      },
    };
    const instrumentation = await openTelemetryInstrumentation(counted, { meter: provider.getMeter('test') });
    expect(instrumentation.enabled).toBe(true);

    const topology = adapter.topology();
    const sets = new Map<string, number>();
    const hits = new Map<string, number>();
    for (let index = 0; index < 45; index++) {
      const key = `item:${index}`;
      await cache.set(key, index);
      await cache.get(key);
      const node = topology.locate(key);
      sets.set(node, (sets.get(node) ?? 0) + 1);
      hits.set(node, (hits.get(node) ?? 0) + 1);
    }
    await cache.get('never-set');
    const missNode = topology.locate('never-set');

    const points = await collect(reader);
    expect(sets.size).toBe(3);
    for (const [node, count] of sets) {
      expect(pointValue(points, 'ringcache.operations', { node, result: 'set' })).toBe(count);
      expect(pointValue(points, 'ringcache.operations', { node, result: 'hit' })).toBe(hits.get(node));
      expect(pointValue(points, 'ringcache.operations', { node, result: 'miss' })).toBe(
        node === missNode ? 1 : 0,
      );
      expect(pointValue(points, 'ringcache.operations', { node, result: 'error' })).toBe(0);
      expect(pointValue(points, 'ringcache.pending', { node })).toBe(0);
      expect(pointValue(points, 'ringcache.node.up', { node })).toBe(1);
      const nodeStats = cache.stats().nodes.find((entry) => entry.id === node)!;
      expect(pointValue(points, 'ringcache.calls', { node })).toBe(nodeStats.ops);
      expect(nodeStats.bytesRead).toBeGreaterThan(0);
      expect(pointValue(points, 'ringcache.bytes', { node, direction: 'read' })).toBe(nodeStats.bytesRead);
      expect(pointValue(points, 'ringcache.bytes', { node, direction: 'write' })).toBe(
        nodeStats.bytesWritten,
      );
    }
    expect(pointValue(points, 'ringcache.hit_ratio')).toBeCloseTo(45 / 46, 10);
    expect(points.some((point) => point.name.startsWith('ringcache.l1.'))).toBe(false);

    // One stats() per collection; none once unregistered (the SDK keeps cumulative points).
    expect(reads).toBe(1);
    instrumentation.unregister();
    instrumentation.unregister();
    await collect(reader);
    expect(reads).toBe(1);
    await provider.shutdown();
  });

  it('reports latency, L1 and hot keys when the stats carry them', async () => {
    const source: StatsSource = {
      stats: () => ({
        hitRate: 0.5,
        nodes: [
          {
            ...{ id: 'a:1', status: 'up', ops: 4, hits: 1, misses: 1, sets: 1, deletes: 1 },
            ...{ errors: 0, timeouts: 0, pending: 2, latency: { p50: 120, p99: 9_000 } },
          },
        ],
        local: { hits: 9, misses: 1, size: 3 },
        hotKeys: [{ key: 'hot', node: 'a:1', count: 50, policy: 'local' }],
      }),
    };
    const reader = new InMemoryReader();
    const provider = new MeterProvider({ readers: [reader] });
    instrumentWith(api, source, { meter: provider.getMeter('test'), prefix: 'cache.' });
    const points = await collect(reader);
    expect(pointValue(points, 'cache.latency', { node: 'a:1', quantile: '0.5' })).toBeCloseTo(120e-6);
    expect(pointValue(points, 'cache.latency', { node: 'a:1', quantile: '0.99' })).toBeCloseTo(9e-3);
    expect(pointValue(points, 'cache.pending', { node: 'a:1' })).toBe(2);
    expect(pointValue(points, 'cache.l1.hits')).toBe(9);
    expect(pointValue(points, 'cache.l1.entries')).toBe(3);
    expect(pointValue(points, 'cache.l1.hit_ratio')).toBe(0.9);
    expect(pointValue(points, 'cache.hot_keys', { node: 'a:1', policy: 'local' })).toBe(1);
    await provider.shutdown();
  });

  it('is a no-op without @opentelemetry/api', () => {
    const instrumentation = instrumentWith(undefined, { stats: () => ({ hitRate: 0, nodes: [] }) });
    expect(instrumentation.enabled).toBe(false);
    expect(instrumentation.callTracer).toBe(noopCallTracer);
    const end = instrumentation.callTracer.startCall('get', 'a:1');
    expect(end).toBe(noopCallTracer.startCall('set', undefined));
    end(new Error('ignored'));
    instrumentation.unregister();
  });
});

describe('OpenTelemetryCallTracer', () => {
  it('ends a client span per call, with the node and the error code on failure', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const reader = new InMemoryReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { callTracer } = instrumentWith(
      api,
      { stats: () => ({ hitRate: 0, nodes: [] }) },
      { meter: meterProvider.getMeter('test'), tracer: provider.getTracer('test') },
    );

    callTracer.startCall('get', 'memory:2')();
    callTracer.startCall('getMany', undefined)(new TimeoutError('get did not settle within 5 ms'));

    const [ok, failed] = exporter.getFinishedSpans();
    expect(ok?.name).toBe('ringcache get');
    expect(ok?.kind).toBe(api.SpanKind.CLIENT);
    expect(ok?.attributes).toEqual({ 'ringcache.operation': 'get', 'ringcache.node': 'memory:2' });
    expect(ok?.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(failed?.name).toBe('ringcache getMany');
    expect(failed?.attributes).toEqual({ 'ringcache.operation': 'getMany', 'error.type': 'E_TIMEOUT' });
    expect(failed?.status).toEqual({
      code: api.SpanStatusCode.ERROR,
      message: 'get did not settle within 5 ms',
    });
    expect(failed?.events.map((event) => event.name)).toEqual(['exception']);
    await provider.shutdown();
    await meterProvider.shutdown();
  });
});

describe('createCache({ tracer })', () => {
  it('drives a span per adapter call, per node for a getMany, with node, operation and outcome', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = await openTelemetryTracer(provider.getTracer('test'));
    expect(tracer).toBeDefined();
    const adapter = memoryAdapter({ nodes: 3 });
    let hang = false;
    const hanging = Object.assign(Object.create(adapter) as CacheAdapter, {
      get: (key: string) => (hang ? new Promise<never>(() => {}) : adapter.get(key)),
    });
    const cache = createCache({ adapter: hanging, tracer, timeout: 100 });
    open.push(cache);
    const topology = adapter.topology();

    await cache.set('k', 1);
    await cache.get('k');
    await cache.get('absent');
    const keys = Array.from({ length: 30 }, (_, index) => `many:${index}`);
    await cache.getMany(keys);
    hang = true;
    await cache.get('k');

    const spans = exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      attributes: span.attributes,
      error: span.status.code === api.SpanStatusCode.ERROR,
    }));
    const node = (key: string) => topology.locate(key);
    const ok = (operation: string, at: string, outcome: string) => ({
      name: `ringcache ${operation}`,
      attributes: { 'ringcache.operation': operation, 'ringcache.node': at, 'ringcache.outcome': outcome },
      error: false,
    });
    expect(spans.slice(0, 3)).toEqual([
      ok('set', node('k'), 'ok'),
      ok('get', node('k'), 'hit'),
      ok('get', node('absent'), 'miss'),
    ]);
    const many = spans.slice(3, 6);
    expect(many.map((span) => span.attributes['ringcache.node']).sort()).toEqual(
      topology.nodes.map((entry) => entry.id).sort(),
    );
    for (const span of many) expect(span).toMatchObject({ name: 'ringcache getMany', error: false });
    expect(spans[6]).toEqual({
      name: 'ringcache get',
      attributes: {
        'ringcache.operation': 'get',
        'ringcache.node': node('k'),
        'ringcache.outcome': 'timeout',
        'error.type': 'E_TIMEOUT',
      },
      error: true,
    });
    expect(spans).toHaveLength(7);
    await provider.shutdown();
  });

  it('a cache without a tracer starts no spans', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    api.trace.setGlobalTracerProvider(provider);
    try {
      const cache = createCache({ adapter: memoryAdapter({ nodes: 3 }) });
      open.push(cache);
      await cache.set('k', 1);
      await cache.get('k');
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      api.trace.disable();
      await provider.shutdown();
    }
  });
});
