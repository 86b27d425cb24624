// Ringcache over the Hazelcast adapter, with the cache's DEFAULTS (JSON serializer, per-node
// stats, timeouts, maxPending), against a raw hazelcast-client IMap on the same 2-member
// cluster: 100 calls in flight, 100-byte values. get and set ops/s with p50/p99, and getMany of
// 100 keys spread over both members against the raw client's getAll of the same keys.
import { createCache } from '@ringcache/core';
import { hazelcastAdapter } from '@ringcache/hazelcast';
import { disposableHazelcast } from '@ringcache/test-engines';
import { Client } from 'hazelcast-client';
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
const MAP = 'bench';
const OURS = 'ringcache (defaults)';
const RAW = 'hazelcast-client IMap';
const OPERATIONS = [
  ['get', 'get'],
  ['set', 'set'],
  ['getMany', `getMany of ${MANY_KEYS} (raw: getAll)`],
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
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let iteration = 0; performance.now() < end; iteration++) {
        const started = performance.now();
        // A call that fails (the cache's 1 s timeout on a stalled machine) is counted, not
        // fatal; only successful calls count towards calls/s.
        try {
          await call(worker, iteration);
          calls++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - started);
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
    errors,
  };
}

/**
 * A contender is get/set/getMany over its own client; the timing loop is shared. Each writes its
 * own keys (same length), since the two store values differently (JSON bytes vs raw bytes).
 */
function contender(keyPrefix, connect) {
  return {
    async setup(context) {
      const plan = keyPlan();
      const client = await connect(context.shared);
      const keys = Array.from({ length: KEY_COUNT }, (_, index) => `${keyPrefix}${index}`);
      context.progress('writing keys');
      for (let index = 0; index < keys.length; index += CONCURRENCY) {
        await Promise.all(keys.slice(index, index + CONCURRENCY).map((key) => client.set(key)));
      }
      const manyKeys = plan.manySets.map((set) => set.map((index) => keys[index]));
      return { client, keys, plan, manyKeys, sink: 0 };
    },
    async round(state) {
      const { client, keys, plan, manyKeys } = state;
      const key = (worker, iteration) => keys[plan.indexes[(worker * 7919 + iteration) & 0xffff]];
      const get = await phase(async (worker, iteration) => {
        const value = await client.get(key(worker, iteration));
        state.sink += value == null ? 0 : 1;
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
        metrics[`${name}Errors`] = result.errors;
      }
      return metrics;
    },
    async teardown(state) {
      await state.client.close();
    },
  };
}

// 100 bytes in the map for both: the JSON of a 98-character string, or 100 raw bytes.
const jsonValue = 'v'.repeat(98);
const rawValue = Buffer.alloc(100, 'v');

/** Failed calls per contender and operation, summed over the timed rounds. */
function errorCounts(results) {
  const parts = [];
  for (const name of results.order) {
    const rounds = results.contenders[name]?.rounds ?? [];
    const counts = OPERATIONS.map(([operation]) => [
      operation,
      rounds.reduce((sum, round) => sum + (round[`${operation}Errors`] ?? 0), 0),
    ]);
    parts.push(`${name}: ${counts.map(([operation, count]) => `${operation} ${count}`).join(', ')}`);
  }
  return parts.join('; ');
}

export default defineScenario({
  name: 'hazelcast',
  title: 'hazelcast — Ringcache over Hazelcast vs a raw hazelcast-client IMap',
  rounds: 5,
  warmupRounds: 1,
  timeoutSeconds: 300,

  async prepare() {
    engine = await disposableHazelcast(2, { basePort: 15900 });
    return { clusterName: engine.clusterName, members: engine.members };
  },
  async cleanup() {
    await engine?.stop();
  },

  contenders: {
    [OURS]: contender('bench:o:', async ({ clusterName, members }) => {
      const adapter = await hazelcastAdapter({ clusterName, members, mapName: MAP, connectTimeout: 60_000 });
      const cache = createCache({ adapter });
      return {
        get: (key) => cache.get(key),
        set: (key) => cache.set(key, jsonValue),
        getMany: (keys) => cache.getMany(keys),
        close: () => cache.close(),
      };
    }),
    [RAW]: contender('bench:r:', async ({ clusterName, members }) => {
      const client = await Client.newHazelcastClient({
        clusterName,
        network: { clusterMembers: members },
        properties: { 'hazelcast.logging.level': 'OFF' },
      });
      const map = await client.getMap(MAP);
      return {
        get: (key) => map.get(key),
        set: (key) => map.set(key, rawValue),
        getMany: (keys) => map.getAll(keys),
        close: () => client.shutdown(),
      };
    }),
  },

  report(results) {
    const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '—');
    const metric = (name, key) => results.contenders[name]?.metrics?.[key];
    const rows = OPERATIONS.map(([operation, label]) => {
      const wall = pairedRatio(results, `${operation}PerSecond`, OURS, RAW);
      const cpu = pairedRatio(results, `${operation}PerCpuSecond`, OURS, RAW);
      return [
        label,
        formatSpread(metric(OURS, `${operation}PerSecond`)),
        formatSpread(metric(RAW, `${operation}PerSecond`)),
        wall ? formatSpread(wall, formatRatio) : '—',
        cpu ? formatRatio(cpu.median) : '—',
        `${ms(metric(OURS, `${operation}P50Ms`)?.median)} / ${ms(metric(RAW, `${operation}P50Ms`)?.median)}`,
        `${ms(metric(OURS, `${operation}P99Ms`)?.median)} / ${ms(metric(RAW, `${operation}P99Ms`)?.median)}`,
        wall ? passFail(wall.median >= TARGET) : 'not measured',
      ];
    });
    return [
      `A disposable 2-member Hazelcast cluster (256 MB heap each, one backup per partition) on this ` +
        `machine; ${CONCURRENCY} calls in flight, ${KEY_COUNT} keys, 100-byte values, smart routing for ` +
        `both; ${PHASE_SECONDS} s per operation per round, rounds alternating between contenders. Ratios ` +
        `are medians of per-round ratios (ours / raw); the target is ≥ ${TARGET}× on the wall clock. ` +
        `"per CPU-s" divides by the client process's CPU time, the steadier figure on a shared machine ` +
        '(the members run on the same cores).',
      '',
      markdownTable(
        [
          'operation',
          `${OURS} calls/s`,
          `${RAW} calls/s`,
          'ratio',
          'ratio per CPU-s',
          'p50 ours / raw',
          'p99 ours / raw',
          `≥ ${TARGET}×`,
        ],
        rows,
      ),
      '',
      `Calls/s are medians (min–max) over ${results.rounds} rounds; a getMany is one call. ` +
        `Values seen: ${formatCount(KEY_COUNT)} keys written by each contender in setup. Failed calls ` +
        `(counted, not in calls/s): ${errorCounts(results)}.`,
    ].join('\n');
  },
});
