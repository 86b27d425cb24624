import type { Counter, Gauge, Metric, Registry } from 'prom-client';
import { ConfigError } from '../errors.js';

/**
 * What the exporters read: the shape of `cache.stats()`, with the fields that not every cache
 * has (or that older cores lack) optional. `Cache` satisfies it, and so does any object with a
 * compatible `stats()`, so the exporters need not import the facade.
 */
export interface StatsSnapshot {
  /** `hits / (hits + misses)` over every node, or 0 before any read. */
  readonly hitRate: number;
  readonly nodes: readonly {
    readonly id: string;
    readonly status: string;
    readonly ops: number;
    readonly hits: number;
    readonly misses: number;
    readonly sets: number;
    readonly deletes: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly pending: number;
    /** Bytes of values read from / written to the node (absent in stats of older cores). */
    readonly bytesRead?: number;
    readonly bytesWritten?: number;
    /** Recent latency percentiles in microseconds. */
    readonly latency?: { readonly p50: number; readonly p99: number };
  }[];
  /** The in-process tier (L1), when the cache has one. */
  readonly local?: { readonly hits: number; readonly misses: number; readonly size: number };
  readonly hotKeys?: readonly {
    readonly key: string;
    readonly node?: string | undefined;
    readonly count: number;
    readonly policy: string;
  }[];
}

/** Anything with a synchronous stats snapshot: a `Cache`. */
export interface StatsSource {
  stats(): StatsSnapshot;
}

/** Options of {@link prometheusExporter}. */
export interface PrometheusExporterOptions {
  /** Where to register the metrics. @default prom-client's global `register` */
  registry?: Registry;
  /** Prepended to every metric name; two caches in one registry need different prefixes. @default 'ringcache_' */
  prefix?: string;
}

/** What {@link prometheusExporter} returns. */
export interface PrometheusExporter {
  /** The registry the metrics live in: serve `await registry.metrics()` on `/metrics`. */
  readonly registry: Registry;
  /** Removes this exporter's metrics from the registry. Idempotent. */
  unregister(): void;
}

const PROMETHEUS_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Exposes `cache.stats()` to Prometheus through `prom-client` (an optional peer dependency,
 * loaded here on first use so that core works without it). Every metric is read at scrape time
 * by a `collect()` callback: the call path pays nothing for the exporter. Metrics, each per
 * `node` label where it applies:
 *
 * - `ringcache_operations_total{node,result}` counter; result is hit, miss, set, delete, error or timeout
 * - `ringcache_calls_total{node}` counter; every call that reached (or was meant for) the node
 * - `ringcache_bytes_total{node,direction="read"|"write"}` counter; bytes of values read and written
 * - `ringcache_pending{node}` gauge; `ringcache_node_up{node}` gauge, 1 when the node is up
 * - `ringcache_latency_seconds{node,quantile="0.5"|"0.99"}` gauge over the recent window
 * - `ringcache_hit_ratio` gauge; `ringcache_hot_keys{node,policy}` gauge, hot keys now
 * - with an L1 tier: `ringcache_l1_hits_total`, `ringcache_l1_misses_total`, `ringcache_l1_entries`,
 *   `ringcache_l1_hit_ratio`
 *
 * Hot keys are counted, never used as label values: keys are unbounded and would explode the
 * series count (and may hold user data). Read them from `cache.stats().hotKeys`.
 *
 * @throws ConfigError when prom-client is not installed, when `prefix` is not a valid metric
 *   name prefix, or when the registry already holds metrics with these names
 */
export async function prometheusExporter(
  cache: StatsSource,
  options: PrometheusExporterOptions = {},
): Promise<PrometheusExporter> {
  const prefix = options.prefix ?? 'ringcache_';
  if (prefix !== '' && !PROMETHEUS_NAME.test(prefix)) {
    throw new ConfigError(`prefix must be a valid Prometheus metric name prefix, got '${prefix}'`);
  }
  const prom = await loadPromClient();
  const registry = options.registry ?? prom.register;

  // One snapshot per scrape: prom-client starts every metric's collect() in one synchronous
  // pass, so the memo lives until the next microtask. This keeps a scrape consistent (the hit
  // ratio matches the counters) and calls stats() once rather than once per metric.
  let memo: StatsSnapshot | undefined;
  const snapshot = (): StatsSnapshot => {
    if (memo === undefined) {
      memo = cache.stats();
      queueMicrotask(() => {
        memo = undefined;
      });
    }
    return memo;
  };

  const registered: Metric[] = [];
  const add = <T extends Metric>(create: () => T): void => {
    try {
      registered.push(create());
    } catch (error) {
      unregister();
      throw new ConfigError(
        `cannot register Ringcache metrics with prefix '${prefix}': ${error instanceof Error ? error.message : String(error)}. Use another prefix or registry for a second cache`,
        { cause: error },
      );
    }
  };
  const counter = (name: string, help: string, labelNames: string[], collect: (this: Counter) => void) =>
    add(() => new prom.Counter({ name: prefix + name, help, labelNames, registers: [registry], collect }));
  const gauge = (name: string, help: string, labelNames: string[], collect: (this: Gauge) => void) =>
    add(() => new prom.Gauge({ name: prefix + name, help, labelNames, registers: [registry], collect }));
  const unregister = () => {
    for (const metric of registered.splice(0)) registry.removeSingleMetric(metricName(metric));
  };

  // Counters are set from cumulative totals: reset, then inc by the total. Reset also drops
  // the series of a node that left the topology.
  counter('operations_total', 'Operations per node by result', ['node', 'result'], function () {
    this.reset();
    for (const node of snapshot().nodes) {
      this.inc({ node: node.id, result: 'hit' }, node.hits);
      this.inc({ node: node.id, result: 'miss' }, node.misses);
      this.inc({ node: node.id, result: 'set' }, node.sets);
      this.inc({ node: node.id, result: 'delete' }, node.deletes);
      this.inc({ node: node.id, result: 'error' }, node.errors);
      this.inc({ node: node.id, result: 'timeout' }, node.timeouts);
    }
  });
  counter('calls_total', 'Calls that reached or were meant for the node', ['node'], function () {
    this.reset();
    for (const node of snapshot().nodes) this.inc({ node: node.id }, node.ops);
  });
  counter(
    'bytes_total',
    'Bytes of values read from and written to the node',
    ['node', 'direction'],
    function () {
      this.reset();
      for (const node of snapshot().nodes) {
        if (node.bytesRead === undefined || node.bytesWritten === undefined) continue;
        this.inc({ node: node.id, direction: 'read' }, node.bytesRead);
        this.inc({ node: node.id, direction: 'write' }, node.bytesWritten);
      }
    },
  );
  gauge('pending', 'Calls waiting on the node now', ['node'], function () {
    this.reset();
    for (const node of snapshot().nodes) this.set({ node: node.id }, node.pending);
  });
  gauge('node_up', '1 when the node is up, 0 when down or ejected', ['node'], function () {
    this.reset();
    for (const node of snapshot().nodes) this.set({ node: node.id }, node.status === 'up' ? 1 : 0);
  });
  gauge('latency_seconds', 'Recent call latency per node', ['node', 'quantile'], function () {
    this.reset();
    for (const node of snapshot().nodes) {
      if (node.latency === undefined) continue;
      this.set({ node: node.id, quantile: '0.5' }, node.latency.p50 / 1e6);
      this.set({ node: node.id, quantile: '0.99' }, node.latency.p99 / 1e6);
    }
  });
  gauge('hit_ratio', 'Hits / (hits + misses) over every node', [], function () {
    this.set(snapshot().hitRate);
  });
  gauge(
    'hot_keys',
    'Keys detected as hot now, per node and mitigation policy',
    ['node', 'policy'],
    function () {
      this.reset();
      for (const { node, policy, count } of countHotKeys(snapshot())) this.set({ node, policy }, count);
    },
  );

  // The L1 tier is configured when the cache is built, so its presence now is its presence
  // for good: without one, no always-zero L1 series are exported.
  if (cache.stats().local !== undefined) {
    counter('l1_hits_total', 'Reads answered by the in-process tier', [], function () {
      this.reset();
      this.inc(snapshot().local?.hits ?? 0);
    });
    counter('l1_misses_total', 'Reads the in-process tier could not answer', [], function () {
      this.reset();
      this.inc(snapshot().local?.misses ?? 0);
    });
    gauge('l1_entries', 'Entries in the in-process tier now', [], function () {
      this.set(snapshot().local?.size ?? 0);
    });
    gauge('l1_hit_ratio', 'L1 hits / (hits + misses), or 0 before any read', [], function () {
      const local = snapshot().local;
      const reads = (local?.hits ?? 0) + (local?.misses ?? 0);
      this.set(reads === 0 ? 0 : (local?.hits ?? 0) / reads);
    });
  }

  return { registry, unregister };
}

/**
 * How many keys are hot now per node and policy (a key with no known node counts as 'unknown').
 * @internal shared by the exporters
 */
export function countHotKeys(stats: StatsSnapshot): { node: string; policy: string; count: number }[] {
  const counts = new Map<string, { node: string; policy: string; count: number }>();
  for (const hot of stats.hotKeys ?? []) {
    const node = hot.node ?? 'unknown';
    const id = `${node}\u0000${hot.policy}`;
    const entry = counts.get(id) ?? { node, policy: hot.policy, count: 0 };
    entry.count++;
    counts.set(id, entry);
  }
  return [...counts.values()];
}

// prom-client's typings keep a metric's name private; at run time it is a plain field.
function metricName(metric: Metric): string {
  return (metric as unknown as { name: string }).name;
}

/**
 * Imports prom-client, or explains how to install it.
 * @internal exported for tests; `load` replaces the import
 * @throws ConfigError when the package is not installed
 */
export async function loadPromClient(
  load: () => Promise<typeof import('prom-client')> = () => import('prom-client'),
): Promise<typeof import('prom-client')> {
  const prom = await importOptionalPeer('prom-client', load);
  if (prom === undefined) {
    throw new ConfigError(
      'prometheusExporter needs the optional peer dependency prom-client: npm install prom-client',
    );
  }
  return prom;
}

/**
 * Imports an optional peer dependency: `undefined` when that package is not installed, while
 * any other failure (a broken install, a missing dependency *of* the peer) still throws.
 * @internal shared by the exporters
 */
export async function importOptionalPeer<T>(
  specifier: string,
  load: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (isMissingModule(error, specifier)) return undefined;
    throw error;
  }
}

// ESM says ERR_MODULE_NOT_FOUND, CommonJS (the dist/.cjs build) MODULE_NOT_FOUND; both name
// the specifier in quotes, which tells the peer itself from one of its own dependencies.
function isMissingModule(error: unknown, specifier: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${specifier}'`)
  );
}
