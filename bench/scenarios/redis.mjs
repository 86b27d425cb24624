// Ringcache over the Redis Cluster adapter, with the cache's DEFAULTS (JSON serializer, per-node
// stats, timeouts, maxPending), against raw ioredis on the same cluster: 100 calls in flight,
// 100-byte values; raw ioredis with auto-pipelining on, the adapter with its own write
// coalescing. get and set ops/s with p50/p99, and getMany of 100 keys spread over every master
// against raw ioredis issuing one GET per key. The timing loop is bench/lib/key-value.mjs.
import { createCache } from '@ringcache/core';
import { redisClusterAdapter } from '@ringcache/redis';
import { disposableRedisCluster } from '@ringcache/test-engines';
import { Cluster } from 'ioredis';
import {
  defineScenario,
  formatCount,
  formatRatio,
  formatSpread,
  KEY_VALUE_WORKLOAD,
  keyValueContender,
  markdownTable,
  pairedRatio,
  passFail,
} from '../lib/index.mjs';

const {
  concurrency: CONCURRENCY,
  keyCount: KEY_COUNT,
  manyKeys: MANY_KEYS,
  phaseSeconds: PHASE_SECONDS,
} = KEY_VALUE_WORKLOAD;
const TARGET = 0.95;
const OURS = 'ringcache (defaults)';
const ADAPTER = 'adapter alone';
const RAW = 'ioredis Cluster';
const OPERATIONS = [
  ['get', 'get'],
  ['set', 'set'],
  ['getMany', `getMany of ${MANY_KEYS} (raw: ${MANY_KEYS} GETs)`],
];

/** The disposable cluster, held by the parent between prepare() and cleanup(). */
let engine;

// 100 bytes on the wire for both: the JSON of a 98-character string, or the raw 100 characters.
const jsonValue = 'v'.repeat(98);
const rawValue = 'v'.repeat(100);

export default defineScenario({
  name: 'redis',
  title: 'redis — Ringcache over Redis Cluster vs raw ioredis',
  rounds: 5,
  warmupRounds: 1,
  timeoutSeconds: 300,

  async prepare() {
    engine = await disposableRedisCluster({ basePort: 7400 });
    return { nodes: engine.nodes };
  },
  async cleanup() {
    await engine?.stop();
  },

  contenders: {
    [OURS]: keyValueContender('bench:o:', async ({ nodes }) => {
      const adapter = redisClusterAdapter({ nodes });
      await adapter.ready();
      const cache = createCache({ adapter });
      return {
        get: (key) => cache.get(key),
        set: (key) => cache.set(key, jsonValue),
        getMany: (keys) => cache.getMany(keys),
        close: () => cache.close(),
      };
    }),
    // The adapter without the cache around it (values pre-encoded, bytes returned): what the
    // adapter itself costs, so the rest of the gap is the facade's.
    [ADAPTER]: keyValueContender('bench:a:', async ({ nodes }) => {
      const adapter = redisClusterAdapter({ nodes });
      await adapter.ready();
      const bytes = new TextEncoder().encode(JSON.stringify(jsonValue));
      return {
        get: (key) => adapter.get(key),
        set: (key) => adapter.set(key, bytes, 0),
        getMany: (keys) => adapter.getMany(keys),
        close: () => adapter.close(),
      };
    }),
    [RAW]: keyValueContender('bench:r:', async ({ nodes }) => {
      const cluster = new Cluster(
        nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
        { enableAutoPipelining: true },
      );
      cluster.on('error', () => {});
      await new Promise((resolve) => cluster.once('ready', resolve));
      return {
        get: (key) => cluster.get(key),
        set: (key) => cluster.set(key, rawValue),
        getMany: (keys) => Promise.all(keys.map((key) => cluster.get(key))),
        close: () => cluster.quit(),
      };
    }),
  },

  report(results) {
    const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '—');
    const metric = (name, key) => results.contenders[name]?.metrics?.[key];
    const rows = OPERATIONS.map(([operation, label]) => {
      const wall = pairedRatio(results, `${operation}PerSecond`, OURS, RAW);
      const cpu = pairedRatio(results, `${operation}PerCpuSecond`, OURS, RAW);
      const alone = pairedRatio(results, `${operation}PerSecond`, ADAPTER, RAW);
      const aloneCpu = pairedRatio(results, `${operation}PerCpuSecond`, ADAPTER, RAW);
      return [
        label,
        formatSpread(metric(OURS, `${operation}PerSecond`)),
        formatSpread(metric(RAW, `${operation}PerSecond`)),
        wall ? formatSpread(wall, formatRatio) : '—',
        cpu ? formatRatio(cpu.median) : '—',
        alone && aloneCpu ? `${formatRatio(alone.median)} / ${formatRatio(aloneCpu.median)}` : '—',
        `${ms(metric(OURS, `${operation}P50Ms`)?.median)} / ${ms(metric(RAW, `${operation}P50Ms`)?.median)}`,
        `${ms(metric(OURS, `${operation}P99Ms`)?.median)} / ${ms(metric(RAW, `${operation}P99Ms`)?.median)}`,
        wall ? passFail(wall.median >= TARGET) : 'not measured',
      ];
    });
    return [
      `A disposable 3-master cluster (one replica each) on this machine; ${CONCURRENCY} calls in flight, ` +
        `${KEY_COUNT} keys, 100-byte values. Raw ioredis runs with auto-pipelining on; the adapter runs ` +
        "ioredis with it off and sends each tick's commands as one write per node by corking the sockets " +
        `(its default; see packages/redis/src/write-coalescing.ts). ${PHASE_SECONDS} s per ` +
        'operation per round, rounds alternating between contenders. Ratios are medians of per-round ' +
        `ratios (ours / raw); the target is ≥ ${TARGET}× on the wall clock. "per CPU-s" divides by the ` +
        'client process\'s CPU time, the steadier figure on a shared machine. "adapter alone" calls the ' +
        'adapter without the cache (values pre-encoded, bytes returned): the rest of the gap is the facade.',
      '',
      markdownTable(
        [
          'operation',
          `${OURS} calls/s`,
          `${RAW} calls/s`,
          'ratio',
          'ratio per CPU-s',
          'adapter alone: ratio / per CPU-s',
          'p50 ours / raw',
          'p99 ours / raw',
          `≥ ${TARGET}×`,
        ],
        rows,
      ),
      '',
      `Calls/s are medians (min–max) over ${results.rounds} rounds; a getMany is one call. ` +
        `Values seen: ${formatCount(KEY_COUNT)} keys written by each contender in setup.`,
    ].join('\n');
  },
});
