import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cache, createCache } from '../cache/cache.js';
import { RingcacheError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import {
  importOptionalPeer,
  loadPromClient,
  prometheusExporter,
  type StatsSnapshot,
  type StatsSource,
} from './prometheus.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (enough of it for prom-client's output). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([key, label]) => sample.labels[key] === label),
  );
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

const open: Cache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cache) => cache.close()));
});

describe('prometheusExporter', () => {
  it('exports per-node counters that match the traffic each node received', async () => {
    const adapter = memoryAdapter({ nodes: 3, failover: 'miss' });
    const cache = createCache({ adapter });
    open.push(cache);
    const registry = new Registry();
    const exporter = await prometheusExporter(cache, { registry });
    expect(exporter.registry).toBe(registry);

    // The expected counts come from the topology, not from the stats under test.
    const topology = adapter.topology();
    type Counts = { hit: number; miss: number; set: number; delete: number; bytes: number };
    const expected = new Map<string, Counts>();
    const count = (key: string, result: 'hit' | 'miss' | 'set' | 'delete') => {
      const node = topology.locate(key);
      const entry = expected.get(node) ?? { hit: 0, miss: 0, set: 0, delete: 0, bytes: 0 };
      entry[result]++;
      if (result === 'set') entry.bytes += JSON.stringify({ index: Number(key.split(':')[1]) }).length;
      expected.set(node, entry);
    };
    for (let index = 0; index < 60; index++) {
      await cache.set(`user:${index}`, { index });
      count(`user:${index}`, 'set');
    }
    for (let index = 0; index < 60; index++) {
      await cache.get(`user:${index}`);
      count(`user:${index}`, 'hit');
    }
    for (let index = 0; index < 30; index++) {
      await cache.get(`absent:${index}`);
      count(`absent:${index}`, 'miss');
    }
    for (let index = 0; index < 10; index++) {
      await cache.delete(`user:${index}`);
      count(`user:${index}`, 'delete');
    }
    expect(expected.size).toBe(3);

    const samples = parse(await registry.metrics());
    const stats = cache.stats();
    for (const [node, counts] of expected) {
      for (const result of ['hit', 'miss', 'set', 'delete'] as const) {
        expect(value(samples, 'ringcache_operations_total', { node, result }), `${node} ${result}`).toBe(
          counts[result],
        );
      }
      expect(value(samples, 'ringcache_operations_total', { node, result: 'error' })).toBe(0);
      expect(value(samples, 'ringcache_operations_total', { node, result: 'timeout' })).toBe(0);
      expect(value(samples, 'ringcache_pending', { node })).toBe(0);
      expect(value(samples, 'ringcache_node_up', { node })).toBe(1);
      const nodeStats = stats.nodes.find((entry) => entry.id === node)!;
      expect(value(samples, 'ringcache_calls_total', { node })).toBe(nodeStats.ops);
      // Every value written was read back once: bytes read equal bytes written, per node.
      expect(value(samples, 'ringcache_bytes_total', { node, direction: 'write' })).toBe(counts.bytes);
      expect(value(samples, 'ringcache_bytes_total', { node, direction: 'read' })).toBe(counts.bytes);
      expect(nodeStats).toMatchObject({ bytesRead: counts.bytes, bytesWritten: counts.bytes });
    }
    expect(value(samples, 'ringcache_hit_ratio')).toBeCloseTo(60 / 90, 10);
    // No L1 tier: no always-zero L1 series.
    expect(samples.some((sample) => sample.name.startsWith('ringcache_l1_'))).toBe(false);

    // A failed write shows up as an error on its node at the next scrape.
    const victim = topology.locate('user:0');
    await adapter.faults!.stopNode(victim);
    await expect(cache.set('user:0', 1)).rejects.toBeInstanceOf(RingcacheError);
    const after = parse(await registry.metrics());
    expect(value(after, 'ringcache_operations_total', { node: victim, result: 'error' })).toBe(1);

    exporter.unregister();
    exporter.unregister();
    expect(await registry.metrics()).toBe('\n');
  });

  it('exports latency quantiles, L1 and hot keys from the extended stats shape', async () => {
    const cache = createCache({ adapter: memoryAdapter({ nodes: 3 }) });
    open.push(cache);
    await cache.set('k', 1);
    await cache.get('k');
    // Fields the facade fills once the L1 tier, hot keys and latency land; read defensively.
    const source: StatsSource = {
      stats: (): StatsSnapshot => {
        const stats = cache.stats();
        return {
          ...stats,
          nodes: stats.nodes.map((node, index) => ({
            ...node,
            latency: { p50: 150 * (index + 1), p99: 2_500 },
          })),
          local: { hits: 30, misses: 10, size: 7 },
          hotKeys: [
            { key: 'a', node: 'memory:1', count: 900, policy: 'split' },
            { key: 'b', node: 'memory:1', count: 500, policy: 'split' },
            { key: 'c', node: 'memory:2', count: 400, policy: 'local' },
          ],
        };
      },
    };
    const registry = new Registry();
    await prometheusExporter(source, { registry, prefix: 'app_cache_' });
    const samples = parse(await registry.metrics());
    expect(value(samples, 'app_cache_latency_seconds', { node: 'memory:1', quantile: '0.5' })).toBeCloseTo(
      150e-6,
    );
    expect(value(samples, 'app_cache_latency_seconds', { node: 'memory:3', quantile: '0.5' })).toBeCloseTo(
      450e-6,
    );
    expect(value(samples, 'app_cache_latency_seconds', { node: 'memory:2', quantile: '0.99' })).toBeCloseTo(
      2.5e-3,
    );
    expect(value(samples, 'app_cache_l1_hits_total')).toBe(30);
    expect(value(samples, 'app_cache_l1_misses_total')).toBe(10);
    expect(value(samples, 'app_cache_l1_entries')).toBe(7);
    expect(value(samples, 'app_cache_l1_hit_ratio')).toBe(0.75);
    expect(value(samples, 'app_cache_hot_keys', { node: 'memory:1', policy: 'split' })).toBe(2);
    expect(value(samples, 'app_cache_hot_keys', { node: 'memory:2', policy: 'local' })).toBe(1);
    expect(samples.some((sample) => sample.name === 'ringcache_hit_ratio')).toBe(false);
  });

  it('reads stats once per scrape', async () => {
    let reads = 0;
    const source: StatsSource = {
      stats: () => {
        reads++;
        return { hitRate: 0, nodes: [] };
      },
    };
    const registry = new Registry();
    await prometheusExporter(source, { registry });
    reads = 0;
    await registry.metrics();
    expect(reads).toBe(1);
    await registry.metrics();
    expect(reads).toBe(2);
  });

  it('refuses a second exporter on the same names and leaves the registry as it was', async () => {
    const source: StatsSource = { stats: () => ({ hitRate: 0, nodes: [] }) };
    const registry = new Registry();
    await prometheusExporter(source, { registry });
    const before = registry.getMetricsAsArray().length;
    const error = await prometheusExporter(source, { registry }).catch((caught: unknown) => caught);
    expect(RingcacheError.hasCode(error, 'E_CONFIG')).toBe(true);
    expect(registry.getMetricsAsArray()).toHaveLength(before);
    await expect(prometheusExporter(source, { registry, prefix: 'other_' })).resolves.toBeDefined();
    await expect(prometheusExporter(source, { registry, prefix: 'bad-prefix' })).rejects.toMatchObject({
      code: 'E_CONFIG',
    });
  });
});

describe('optional peer loading', () => {
  it('returns undefined for a package that is not installed and rethrows other failures', async () => {
    const missing = 'ringcache-not-installed-peer';
    await expect(importOptionalPeer(missing, () => import(missing))).resolves.toBeUndefined();
    const broken = new Error('boom');
    await expect(importOptionalPeer('prom-client', () => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('throws a ConfigError with an install hint when prom-client is missing', async () => {
    // Node's own error for a missing bare specifier, as the real import would raise it.
    const notFound = Object.assign(new Error("Cannot find package 'prom-client' imported from /app/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadPromClient(() => Promise.reject(notFound)).catch((caught: unknown) => caught);
    expect(RingcacheError.hasCode(error, 'E_CONFIG')).toBe(true);
    expect((error as Error).message).toContain('npm install prom-client');
  });
});
