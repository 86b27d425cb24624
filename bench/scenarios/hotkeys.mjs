// Hot keys: 3 nodes, Zipf (s = 1.1) reads over 100,000 keys plus one key (`global:config`)
// taking 30% of reads. Mitigation off, 'local' and 'split', on the embedded memory engine and on
// the Redis Cluster test engine. Node load is read from our per-node stats and, on Redis, from
// each master's own INFO commandstats; correctness is checked after a write of the hot key.
import { createCache, memoryAdapter, memoryBus } from '@ringcache/core';
import { redisClusterAdapter } from '@ringcache/redis';
import { Redis } from 'ioredis';
import {
  defineScenario,
  formatCount,
  formatSpread,
  markdownTable,
  passFail,
  percentile,
  seededRandom,
} from '../lib/index.mjs';

const KEYS = 100_000;
const HOT_KEY = 'global:config';
const HOT_SHARE = 0.3;
const CONCURRENCY = 50;
const ROUND_SECONDS = 3;
const REDIS_NODES = ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'];
const POLICIES = { off: undefined, local: 'local', split: 'split' };

/** Cumulative Zipf(s) weights over `count` ranks, for sampling by binary search. */
function zipfTable(count, s) {
  const table = new Float64Array(count);
  let sum = 0;
  for (let rank = 1; rank <= count; rank++) {
    sum += 1 / rank ** s;
    table[rank - 1] = sum;
  }
  for (let index = 0; index < count; index++) table[index] /= sum;
  return table;
}

function sampler(seed) {
  const table = zipfTable(KEYS, 1.1);
  const random = seededRandom(seed);
  return () => {
    if (random() < HOT_SHARE) return HOT_KEY;
    const target = random();
    let low = 0;
    let high = KEYS - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (table[middle] < target) low = middle + 1;
      else high = middle;
    }
    return `item:${low}`;
  };
}

function makeCache(engine, policy, prefix) {
  const adapter =
    engine === 'memory' ? memoryAdapter({ nodes: 3 }) : redisClusterAdapter({ nodes: REDIS_NODES });
  const hotKeys =
    policy === undefined
      ? undefined
      : { policy, windowMs: 500, promotionDelay: 50, bus: memoryBus(), localTtl: 1000 };
  return { adapter, cache: createCache({ adapter, namespace: prefix, ...(hotKeys ? { hotKeys } : {}) }) };
}

/**
 * The busiest node's share over the mean that this workload should give without mitigation,
 * from where the keys really are: the hot key's node takes 30%, and the Zipf head lands where the
 * partitioner puts it, so the figure depends on placement (3 × (0.3 + 0.7 / 3) = 1.6 only when
 * the rest spreads evenly).
 */
function expectedBusiestOverMean(topology, prefix) {
  const table = zipfTable(KEYS, 1.1);
  const loads = {};
  const add = (key, weight) => {
    const node = topology.locate(`${prefix}:${key}`);
    loads[node] = (loads[node] ?? 0) + weight;
  };
  add(HOT_KEY, HOT_SHARE);
  for (let rank = 0; rank < KEYS; rank++) {
    add(`item:${rank}`, (1 - HOT_SHARE) * (table[rank] - (rank === 0 ? 0 : table[rank - 1])));
  }
  return busiestOverMean(loads);
}

/** Calls of GET-like commands per Redis master, from its own INFO commandstats. */
async function redisCommandCounts() {
  const counts = {};
  for (const address of REDIS_NODES) {
    const [host, port] = address.split(':');
    const client = new Redis({ host, port: Number(port), lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    const role = (await client.info('replication')).includes('role:master');
    const info = await client.info('commandstats');
    await client.quit();
    if (!role) continue;
    let calls = 0;
    for (const match of info.matchAll(/cmdstat_(get|mget|getex):calls=(\d+)/g)) calls += Number(match[2]);
    counts[address] = calls;
  }
  return counts;
}

const busiestOverMean = (loads) => {
  const values = Object.values(loads);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return mean === 0 ? 0 : Math.max(...values) / mean;
};

function contender(engine, policyName) {
  return {
    async setup(context) {
      const prefix = `bench-hot-${context.round ?? 0}-${process.pid}`;
      const { adapter, cache } = makeCache(engine, POLICIES[policyName], prefix);
      await cache.ready();
      if (adapter.ready) await adapter.ready();
      const expected = expectedBusiestOverMean(adapter.topology(), prefix);
      // Values for the hot key and a slice of the Zipf head (the rest stay misses, like a cold tail).
      await cache.set(HOT_KEY, { version: 0, flags: 'x'.repeat(60) });
      await cache.setMany(
        Array.from({ length: 2000 }, (_, index) => ({ key: `item:${index}`, value: index })),
      );
      return { cache, expected, next: sampler(42), version: 0 };
    },
    async round(state) {
      const { cache } = state;
      // Warm the detector so mitigation is in force before the measured window.
      for (let index = 0; index < 5000; index++) await cache.get(state.next());
      await new Promise((resolve) => setTimeout(resolve, 700));
      const before = new Map(cache.stats().nodes.map((node) => [node.id, node.ops]));
      const commandsBefore = engine === 'redis' ? await redisCommandCounts() : undefined;
      const latencies = [];
      let reads = 0;
      const end = performance.now() + ROUND_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) {
            const started = performance.now();
            await cache.get(state.next());
            latencies.push(performance.now() - started);
            reads++;
          }
        }),
      );
      const ours = Object.fromEntries(
        cache.stats().nodes.map((node) => [node.id, node.ops - (before.get(node.id) ?? 0)]),
      );
      let engineShare;
      if (commandsBefore !== undefined) {
        const after = await redisCommandCounts();
        engineShare = busiestOverMean(
          Object.fromEntries(
            Object.keys(after).map((address) => [address, after[address] - (commandsBefore[address] ?? 0)]),
          ),
        );
      }
      // Correctness: after a write, every read returns the new value (the write invalidates and fans out).
      state.version++;
      await cache.set(HOT_KEY, { version: state.version, flags: 'x'.repeat(60) });
      let stale = 0;
      for (let index = 0; index < 200; index++) {
        if ((await cache.get(HOT_KEY))?.version !== state.version) stale++;
      }
      return {
        readsPerSecond: reads / ROUND_SECONDS,
        busiestOverMean: busiestOverMean(ours),
        expectedBusiestOverMean: state.expected,
        ...(engineShare === undefined ? {} : { engineBusiestOverMean: engineShare }),
        p99Ms: percentile(latencies, 99),
        staleReads: stale,
      };
    },
    async teardown(state) {
      await state.cache.clear().catch(() => {});
      await state.cache.close();
    },
  };
}

const contenders = {};
for (const engine of ['memory', 'redis']) {
  for (const policy of Object.keys(POLICIES)) contenders[`${engine} · ${policy}`] = contender(engine, policy);
}

export default defineScenario({
  name: 'hotkeys',
  title: 'hotkeys — one key taking 30% of reads, mitigation off / local / split',
  rounds: 3,
  warmupRounds: 0,
  contenders,
  report(results) {
    const rows = results.order.map((name) => {
      const metrics = results.contenders[name].metrics;
      if (!metrics) return [name, 'failed', '', '', '', ''];
      return [
        name,
        formatSpread(metrics.busiestOverMean, (value) => `${value.toFixed(2)}×`),
        metrics.engineBusiestOverMean
          ? formatSpread(metrics.engineBusiestOverMean, (value) => `${value.toFixed(2)}×`)
          : '—',
        formatSpread(metrics.readsPerSecond, formatCount),
        formatSpread(metrics.p99Ms, (value) => `${value.toFixed(2)} ms`),
        String(metrics.staleReads.max),
      ];
    });
    const target = (name) => results.contenders[name]?.metrics?.busiestOverMean?.median;
    const expected = (name) => results.contenders[name]?.metrics?.expectedBusiestOverMean?.median;
    const checks = ['memory', 'redis'].flatMap((engine) => [
      [
        `${engine}: unmitigated busiest ÷ mean within 10% of the key placement's ${expected(`${engine} · off`)?.toFixed(2)}×`,
        `${target(`${engine} · off`)?.toFixed(2)}×`,
        passFail(Math.abs(target(`${engine} · off`) / expected(`${engine} · off`) - 1) <= 0.1),
      ],
      ...['local', 'split'].map((policy) => [
        `${engine}: ${policy} busiest ≤ 1.15× mean`,
        `${target(`${engine} · ${policy}`)?.toFixed(2)}×`,
        passFail(target(`${engine} · ${policy}`) <= 1.15),
      ]),
    ]);
    const staleTotal = results.order.reduce(
      (sum, name) => sum + (results.contenders[name].metrics?.staleReads?.max ?? 0),
      0,
    );
    checks.push([
      'no stale read after a write of the hot key',
      String(staleTotal),
      passFail(staleTotal === 0),
    ]);
    return [
      `3 nodes; ${CONCURRENCY} reads in flight for ${ROUND_SECONDS} s per round; Zipf (s = 1.1) over ${formatCount(KEYS)} keys plus \`${HOT_KEY}\` taking ${HOT_SHARE * 100}% of reads. Node load = operations our per-node stats attribute to each node (hits served from a process-local tier reach no node); on Redis also each master's own \`INFO commandstats\` (GET calls).`,
      '',
      markdownTable(
        [
          'engine · mitigation',
          'busiest ÷ mean (ours)',
          'busiest ÷ mean (engine)',
          'reads/s',
          'p99',
          'stale reads',
        ],
        rows,
      ),
      '',
      markdownTable(['target', 'measured', 'result'], checks),
    ].join('\n');
  },
});
