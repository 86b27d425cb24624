// Ringcache over the Redis Cluster adapter, with the cache's DEFAULTS (JSON serializer, per-node
// stats, timeouts, maxPending), against raw ioredis on the same cluster: 100 calls in flight,
// 100-byte values; raw ioredis with auto-pipelining on, the adapter with its own write coalescing. get and set ops/s with p50/p99, and getMany of
// 100 keys spread over every master against raw ioredis issuing one GET per key.
import { createCache } from '@ringcache/core';
import { redisClusterAdapter } from '@ringcache/redis';
import { disposableRedisCluster } from '@ringcache/test-engines';
import { Cluster } from 'ioredis';
import {
  cpuSeconds,
  defineScenario,
  formatCount,
  formatRatio,
  formatSpread,
  markdownTable,
  pairedRatio,
  passFail,
  percentile,
  seededRandom,
} from '../lib/index.mjs';

const CONCURRENCY = 100;
const KEY_COUNT = 10_000;
const MANY_KEYS = 100;
const MANY_SETS = 500;
const PHASE_SECONDS = 1.5;
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

/** Random key indexes shared by every worker of a contender (reproducible). */
function keyPlan() {
  const random = seededRandom(20_260_101);
  const indexes = Uint32Array.from({ length: 1 << 16 }, () => Math.floor(random() * KEY_COUNT));
  const manySets = Array.from({ length: MANY_SETS }, (_, set) =>
    Array.from({ length: MANY_KEYS }, (_, index) => indexes[(set * MANY_KEYS + index) % indexes.length]),
  );
  return { indexes, manySets };
}

/**
 * Runs `CONCURRENCY` loops of `call(worker, iteration)` for PHASE_SECONDS; returns calls/s on the
 * wall clock, calls per CPU-second of this process, and latency percentiles in ms.
 */
async function phase(call) {
  const latencies = [];
  const cpuStart = cpuSeconds();
  const start = performance.now();
  const end = start + PHASE_SECONDS * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let iteration = 0; performance.now() < end; iteration++) {
        const started = performance.now();
        await call(worker, iteration);
        latencies.push(performance.now() - started);
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSeconds() - cpuStart;
  return {
    perSecond: calls / seconds,
    perCpuSecond: calls / cpu,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * A contender is get/set/getMany over its own client; the timing loop is shared. Each writes its
 * own keys (same length), since the two store values differently (JSON vs raw).
 */
function contender(keyPrefix, connect) {
  return {
    async setup(context) {
      const plan = keyPlan();
      const client = await connect(context.shared.nodes);
      const keys = Array.from({ length: KEY_COUNT }, (_, index) => `${keyPrefix}${index}`);
      context.progress('writing keys');
      for (let index = 0; index < keys.length; index += 1000) {
        await Promise.all(keys.slice(index, index + 1000).map((key) => client.set(key)));
      }
      const manyKeys = plan.manySets.map((set) => set.map((index) => keys[index]));
      return { client, keys, plan, manyKeys, sink: 0 };
    },
    async round(state) {
      const { client, keys, plan, manyKeys } = state;
      const key = (worker, iteration) => keys[plan.indexes[(worker * 7919 + iteration) & 0xffff]];
      const get = await phase(async (worker, iteration) => {
        const value = await client.get(key(worker, iteration));
        state.sink += value === undefined ? 0 : 1;
      });
      const set = await phase((worker, iteration) => client.set(key(worker, iteration)));
      const many = await phase(async (worker, iteration) => {
        const values = await client.getMany(manyKeys[(worker * 31 + iteration) % manyKeys.length]);
        state.sink += values.length;
      });
      const metrics = {};
      for (const [name, result] of Object.entries({ get, set, getMany: many })) {
        metrics[`${name}PerSecond`] = result.perSecond;
        metrics[`${name}PerCpuSecond`] = result.perCpuSecond;
        metrics[`${name}P50Ms`] = result.p50;
        metrics[`${name}P99Ms`] = result.p99;
      }
      return metrics;
    },
    async teardown(state) {
      await state.client.close();
    },
  };
}

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
    [OURS]: contender('bench:o:', async (nodes) => {
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
    [ADAPTER]: contender('bench:a:', async (nodes) => {
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
    [RAW]: contender('bench:r:', async (nodes) => {
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
