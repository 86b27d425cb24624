// Ringcache over the Hazelcast adapter, with the cache's DEFAULTS (JSON serializer, per-node
// stats, timeouts, maxPending), against a raw hazelcast-client IMap on the same 2-member
// cluster: 100 calls in flight, 100-byte values. get and set ops/s with p50/p99, and getMany of
// 100 keys spread over both members against the raw client's getAll of the same keys.
import { createCache } from '@ringcache/core';
import { hazelcastAdapter } from '@ringcache/hazelcast';
import { disposableHazelcast } from '@ringcache/test-engines';
import { Client } from 'hazelcast-client';
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
const MAP = 'bench';
const OURS = 'ringcache (defaults)';
const RAW = 'hazelcast-client IMap';
const OPERATIONS = [
  ['get', 'get'],
  ['set', 'set'],
  ['getMany', `getMany of ${MANY_KEYS} (raw: getAll)`],
];

/**
 * A call that fails (the cache's 1 s timeout on a stalled machine: the members share the cores) is
 * counted, not fatal; keys are written 100 at a time, so setup never floods a member.
 */
const TOLERANT = { countErrors: true, setupBatch: CONCURRENCY };

/** The disposable cluster, held by the parent between prepare() and cleanup(). */
let engine;

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
    [OURS]: keyValueContender(
      'bench:o:',
      async ({ clusterName, members }) => {
        const adapter = await hazelcastAdapter({
          clusterName,
          members,
          mapName: MAP,
          connectTimeout: 60_000,
        });
        const cache = createCache({ adapter });
        return {
          get: (key) => cache.get(key),
          set: (key) => cache.set(key, jsonValue),
          getMany: (keys) => cache.getMany(keys),
          close: () => cache.close(),
        };
      },
      TOLERANT,
    ),
    [RAW]: keyValueContender(
      'bench:r:',
      async ({ clusterName, members }) => {
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
      },
      TOLERANT,
    ),
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
