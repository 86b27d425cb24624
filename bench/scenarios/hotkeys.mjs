// Hot keys: 3 nodes, Zipf (s = 1.1) reads over 100,000 keys plus one key (`global:config`)
// taking 30% of reads. Mitigation off, 'local' and 'split', on the embedded memory engine and on a
// disposable 3-master Redis Cluster (so each master's INFO commandstats counts only this run).
// Node load is read from our per-node stats and, on Redis, from each master's own counters;
// correctness is checked after writes of the hot key, on Redis also from a second process (over
// redisBus). Writes are measured too: with 'split', every write reads the key's split marker.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createCache, memoryAdapter, memoryBus } from '@ringcache/core';
import { redisBus, redisClusterAdapter } from '@ringcache/redis';
import { disposableRedisCluster } from '@ringcache/test-engines';
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
const CHECKS = 10;
const POLICIES = { off: undefined, local: 'local', split: 'split' };
const READER = new URL('./hotkeys/reader.mjs', import.meta.url).pathname;

/** The disposable cluster, held by the parent between prepare() and cleanup(). */
let engine;

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
const ZIPF = zipfTable(KEYS, 1.1);

function sampler(seed) {
  const random = seededRandom(seed);
  return () => {
    if (random() < HOT_SHARE) return HOT_KEY;
    const target = random();
    let low = 0;
    let high = KEYS - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ZIPF[middle] < target) low = middle + 1;
      else high = middle;
    }
    return `item:${low}`;
  };
}

function hotKeyOptions(policy, bus, channel) {
  return { policy, windowMs: 500, promotionDelay: 50, bus, localTtl: 1000, channel };
}

function makeCache(engineName, policy, prefix, shared) {
  const channel = `ringcache:bench:${prefix}`;
  if (engineName === 'memory') {
    const adapter = memoryAdapter({ nodes: 3 });
    const hotKeys = policy === undefined ? undefined : hotKeyOptions(policy, memoryBus(), channel);
    return {
      adapter,
      channel,
      cache: createCache({ adapter, namespace: prefix, ...(hotKeys ? { hotKeys } : {}) }),
    };
  }
  const adapter = redisClusterAdapter({ nodes: shared.redisNodes });
  // Across processes the bus must be a real one: redisBus on the same cluster.
  const bus = policy === undefined ? undefined : redisBus({ nodes: shared.redisNodes });
  const hotKeys = policy === undefined ? undefined : hotKeyOptions(policy, bus, channel);
  return {
    adapter,
    bus,
    channel,
    cache: createCache({ adapter, namespace: prefix, ...(hotKeys ? { hotKeys } : {}) }),
  };
}

/**
 * The busiest node's load over the mean that this workload gives with the keys where the
 * partitioner puts them: the hot key's node takes 30%, and the Zipf head lands where it lands.
 * 3 × (0.3 + 0.7 / 3) = 1.6 only when the other 70% spreads evenly; the head's first ranks carry
 * several percent each, so a placement that puts them away from the hot key's node gives less.
 * Ranks past `head` are spread evenly (an approximation: they weigh little each).
 */
function placementBusiestOverMean(topology, prefix, head = KEYS) {
  const loads = new Map(topology.nodes.map((node) => [typeof node === 'string' ? node : node.id, 0]));
  const add = (node, weight) => loads.set(node, (loads.get(node) ?? 0) + weight);
  add(topology.locate(`${prefix}:${HOT_KEY}`), HOT_SHARE);
  for (let rank = 0; rank < head; rank++) {
    add(
      topology.locate(`${prefix}:item:${rank}`),
      (1 - HOT_SHARE) * (ZIPF[rank] - (rank === 0 ? 0 : ZIPF[rank - 1])),
    );
  }
  const tail = (1 - HOT_SHARE) * (1 - ZIPF[head - 1]);
  for (const node of loads.keys()) add(node, tail / loads.size);
  return busiestOverMean(Object.fromEntries(loads));
}

/** The same figure over 200 other namespaces: how representative one placement is. */
function placementSpread(topology) {
  const values = Array.from({ length: 200 }, (_, index) =>
    placementBusiestOverMean(topology, `placement-${index}`, 3000),
  ).sort((left, right) => left - right);
  return {
    placementP10: percentile(values, 10),
    placementMedian: percentile(values, 50),
    placementP90: percentile(values, 90),
    placementAtLeast16: values.filter((value) => value >= 1.6).length / values.length,
  };
}

/** Calls of GET-like commands per Redis master, from its own INFO commandstats. */
async function redisCommandCounts(nodes) {
  const counts = {};
  for (const address of nodes) {
    const [host, port] = address.split(':');
    const client = new Redis({ host, port: Number(port), lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    const master = (await client.info('replication')).includes('role:master');
    const info = await client.info('commandstats');
    await client.quit();
    if (!master) continue;
    let calls = 0;
    for (const match of info.matchAll(/cmdstat_(get|mget|getex):calls=(\d+)/g)) calls += Number(match[2]);
    counts[address] = calls;
  }
  return counts;
}

function busiestOverMean(loads) {
  const values = Object.values(loads);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return mean === 0 ? 0 : Math.max(...values) / mean;
}

/** Each node's share of the load, busiest first, as metrics `share1`, `share2`, `share3`. */
function shares(loads, prefix) {
  const values = Object.values(loads).sort((left, right) => right - left);
  const total = values.reduce((sum, value) => sum + value, 0) || 1;
  return Object.fromEntries(values.map((value, index) => [`${prefix}${index + 1}`, value / total]));
}

/** The second process of the cross-process check (Redis only). */
function startReader(shared, prefix, channel, policyName) {
  const child = spawn(
    process.execPath,
    [READER, shared.redisNodes.join(','), prefix, channel, policyName, HOT_KEY],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask(command) {
      child.stdin.write(`${command}\n`);
      const { value, done } = await replies.next();
      if (done) throw new Error('the reader process exited');
      return value;
    },
    close() {
      child.stdin.write('quit\n');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

function readContender(engineName, policyName) {
  /**
   * A cache over a namespace of its own, its data written, and on Redis the second process: one
   * per round, so each round draws another placement of the keys (where the Zipf head and the
   * hot key land decides how uneven the nodes are; one placement per run made a pass or a fail
   * a matter of luck).
   */
  async function open(context, prefix) {
    const made = makeCache(engineName, POLICIES[policyName], prefix, context.shared);
    const { adapter, cache } = made;
    await cache.ready();
    if (adapter.ready) await adapter.ready();
    // Values for the hot key and a slice of the Zipf head (the rest stay misses, like a cold tail).
    await cache.set(HOT_KEY, { version: 0, flags: 'x'.repeat(60) });
    await cache.setMany(Array.from({ length: 2000 }, (_, index) => ({ key: `item:${index}`, value: index })));
    const reader =
      engineName === 'redis' ? startReader(context.shared, prefix, made.channel, policyName) : undefined;
    return { ...made, prefix, reader, expected: placementBusiestOverMean(adapter.topology(), prefix) };
  }

  async function close(opened) {
    await opened.reader?.close();
    await opened.cache.clear().catch(() => {});
    await opened.cache.close();
    await opened.bus?.close();
  }

  return {
    async setup(context) {
      const prefix = `bench-hot-${process.pid}`;
      // The spread over other placements needs a topology only: the first round's cache gives it.
      const first = await open(context, `${prefix}-r0`);
      return {
        prefix,
        rounds: 0,
        opened: first,
        spread: placementSpread(first.adapter.topology()),
        next: sampler(42),
        version: 0,
      };
    },
    async round(state, context) {
      state.opened ??= await open(context, `${state.prefix}-r${state.rounds}`);
      state.rounds++;
      const { cache } = state.opened;
      try {
        return await measureRound(state, state.opened, cache, context);
      } finally {
        await close(state.opened);
        state.opened = undefined;
      }
    },
    async teardown(state) {
      if (state.opened !== undefined) await close(state.opened);
    },
  };

  async function measureRound(state, opened, cache, context) {
    // Warm the detector so mitigation is in force before the measured window.
    for (let index = 0; index < 5000; index++) await cache.get(state.next());
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = new Map(cache.stats().nodes.map((node) => [node.id, node.ops]));
    const redisNodes = context.shared?.redisNodes;
    const commandsBefore = engineName === 'redis' ? await redisCommandCounts(redisNodes) : undefined;
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
    let engineLoads;
    if (commandsBefore !== undefined) {
      const after = await redisCommandCounts(redisNodes);
      engineLoads = Object.fromEntries(
        Object.keys(after).map((address) => [address, after[address] - (commandsBefore[address] ?? 0)]),
      );
    }
    // Correctness: after each write returns, this process reads the new value right away; on
    // Redis the other process does too (right away, and once it heard the invalidation).
    if (opened.reader !== undefined) await opened.reader.ask('warm');
    let stale = 0;
    let otherRightAway = 0;
    let otherAfterInvalidation = 0;
    const waits = [];
    for (let check = 0; check < CHECKS; check++) {
      state.version++;
      await cache.set(HOT_KEY, { version: state.version, flags: 'x'.repeat(60) });
      for (let index = 0; index < 100; index++) {
        if ((await cache.get(HOT_KEY))?.version !== state.version) stale++;
      }
      if (opened.reader !== undefined) {
        const [, rightAway, after, waited] = (await opened.reader.ask(`check ${state.version}`)).split(' ');
        otherRightAway += Number(rightAway);
        otherAfterInvalidation += Number(after);
        waits.push(Number(waited));
      }
    }
    return {
      readsPerSecond: reads / ROUND_SECONDS,
      busiestOverMean: busiestOverMean(ours),
      ...shares(ours, 'share'),
      expectedBusiestOverMean: opened.expected,
      busiestOverExpected: busiestOverMean(ours) / opened.expected,
      ...state.spread,
      ...(engineLoads === undefined
        ? {}
        : { engineBusiestOverMean: busiestOverMean(engineLoads), ...shares(engineLoads, 'engineShare') }),
      p99Ms: percentile(latencies, 99),
      staleReads: stale,
      ...(opened.reader === undefined
        ? {}
        : { otherRightAway, otherAfterInvalidation, invalidationWaitMaxMs: Math.max(...waits) }),
    };
  }
}

/** Sets of distinct keys: what a write costs with 'detect' (no marker) and with 'split' (marker read). */
function writeContender(engineName, policy) {
  return {
    async setup(context) {
      const prefix = `bench-hot-writes-${process.pid}`;
      const made = makeCache(engineName, policy, prefix, context.shared);
      await made.cache.ready();
      if (made.adapter.ready) await made.adapter.ready();
      return { ...made, counter: 0 };
    },
    async round(state) {
      const latencies = [];
      let writes = 0;
      const end = performance.now() + 2000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) {
            const started = performance.now();
            await state.cache.set(`item:${state.counter++ % 2000}`, state.counter);
            latencies.push(performance.now() - started);
            writes++;
          }
        }),
      );
      return { writesPerSecond: writes / 2, writeP99Ms: percentile(latencies, 99) };
    },
    async teardown(state) {
      await state.cache.clear().catch(() => {});
      await state.cache.close();
      await state.bus?.close();
    },
  };
}

const contenders = {};
for (const engineName of ['memory', 'redis']) {
  for (const policy of Object.keys(POLICIES))
    contenders[`${engineName} · ${policy}`] = readContender(engineName, policy);
}
for (const engineName of ['memory', 'redis']) {
  for (const policy of ['detect', 'split'])
    contenders[`${engineName} · writes · ${policy}`] = writeContender(engineName, policy);
}

const times = (value) => `${value.toFixed(2)}×`;
const percent = (value) => `${Math.round(value * 100)}%`;

export default defineScenario({
  name: 'hotkeys',
  title: 'hotkeys — one key taking 30% of reads, mitigation off / local / split',
  rounds: 5,
  warmupRounds: 0,
  async prepare() {
    engine = await disposableRedisCluster({ masters: 3, replicas: 0, basePort: 7150 });
    return { redisNodes: engine.nodes };
  },
  async cleanup() {
    await engine?.stop();
  },
  contenders,
  report(results) {
    const metricsOf = (name) => results.contenders[name]?.metrics;
    const median = (name, metric) => metricsOf(name)?.[metric]?.median;
    const readNames = results.order.filter((name) => !name.includes('writes'));
    const rows = readNames.map((name) => {
      const metrics = metricsOf(name);
      if (!metrics) return [name, 'failed', '', '', '', '', '', ''];
      const shareList = (prefix) =>
        [1, 2, 3].map((index) => percent(metrics[`${prefix}${index}`]?.median ?? 0)).join(' / ');
      return [
        name,
        formatSpread(metrics.busiestOverMean, times),
        shareList('share'),
        metrics.engineBusiestOverMean ? formatSpread(metrics.engineBusiestOverMean, times) : '—',
        metrics.engineShare1 ? shareList('engineShare') : '—',
        formatSpread(metrics.readsPerSecond, formatCount),
        formatSpread(metrics.p99Ms, (value) => `${value.toFixed(2)} ms`),
        String(metrics.staleReads.max),
        metrics.otherRightAway
          ? `${metrics.otherRightAway.max} / ${metrics.otherAfterInvalidation.max} (wait ≤ ${metrics.invalidationWaitMaxMs.max.toFixed(1)} ms)`
          : '—',
      ];
    });
    const writeNames = results.order.filter((name) => name.includes('writes'));
    const writeRows = writeNames.map((name) => {
      const metrics = metricsOf(name);
      if (!metrics) return [name, 'failed', ''];
      return [
        name,
        formatSpread(metrics.writesPerSecond, formatCount),
        formatSpread(metrics.writeP99Ms, (value) => `${value.toFixed(2)} ms`),
      ];
    });
    const writeRatio = (engineName) =>
      median(`${engineName} · writes · split`, 'writesPerSecond') /
      median(`${engineName} · writes · detect`, 'writesPerSecond');
    const checks = ['memory', 'redis'].flatMap((engineName) => [
      [
        `${engineName}: unmitigated busiest ÷ mean within 10% of what each round's placement predicts (median of the rounds' placements: ${median(`${engineName} · off`, 'expectedBusiestOverMean')?.toFixed(2)}×)`,
        `${median(`${engineName} · off`, 'busiestOverMean')?.toFixed(2)}× (measured ÷ predicted ${median(`${engineName} · off`, 'busiestOverExpected')?.toFixed(2)})`,
        passFail(Math.abs(median(`${engineName} · off`, 'busiestOverExpected') - 1) <= 0.1),
      ],
      ...['local', 'split'].map((policy) => [
        `${engineName}: ${policy} busiest ≤ 1.15× mean`,
        `${median(`${engineName} · ${policy}`, 'busiestOverMean')?.toFixed(2)}×`,
        passFail(median(`${engineName} · ${policy}`, 'busiestOverMean') <= 1.15),
      ]),
    ]);
    const staleTotal = readNames.reduce((sum, name) => sum + (metricsOf(name)?.staleReads?.max ?? 0), 0);
    checks.push([
      'no stale read in the writing process after its write returned',
      String(staleTotal),
      passFail(staleTotal === 0),
    ]);
    const otherAfter = readNames.reduce(
      (sum, name) => sum + (metricsOf(name)?.otherAfterInvalidation?.max ?? 0),
      0,
    );
    checks.push([
      'Redis, second process: no stale read once the invalidation arrived',
      String(otherAfter),
      passFail(otherAfter === 0),
    ]);
    const splitRightAway = metricsOf('redis · split')?.otherRightAway?.max ?? 0;
    checks.push([
      "Redis, second process, 'split': no stale read right after the write returned (shards updated before it returns)",
      String(splitRightAway),
      passFail(splitRightAway === 0),
    ]);
    const spread = (engineName) => {
      const off = metricsOf(`${engineName} · off`);
      if (!off) return '';
      return `${engineName}: ${off.placementP10.median.toFixed(2)}× / ${off.placementMedian.median.toFixed(2)}× / ${off.placementP90.median.toFixed(2)}× (≥ 1.6× in ${percent(off.placementAtLeast16.median)} of them)`;
    };
    return [
      `3 nodes (memory engine; a disposable 3-master Redis Cluster, so \`INFO commandstats\` counts only this run); ${CONCURRENCY} reads in flight for ${ROUND_SECONDS} s per round; Zipf (s = 1.1) over ${formatCount(KEYS)} keys plus \`${HOT_KEY}\` taking ${HOT_SHARE * 100}% of reads. Node load = operations our per-node stats attribute to each node (hits served from a process-local tier reach no node); on Redis also each master's own GET calls. Shares are each node's part of the load, busiest first.`,
      '',
      markdownTable(
        [
          'engine · mitigation',
          'busiest ÷ mean (ours)',
          'node shares (ours)',
          'busiest ÷ mean (engine)',
          'master shares (engine)',
          'reads/s',
          'p99',
          'stale reads (writer)',
          'stale reads, 2nd process: right away / after invalidation',
        ],
        rows,
      ),
      '',
      `Stale reads: after each of ${CHECKS} writes per round, 100 reads in the writing process and, on Redis, 100 in a second process (its own cache, same policy, redisBus) as soon as the write returned and 100 more once it heard the bus invalidation; the worst round is shown.`,
      '',
      `Why the unmitigated busiest node is not 1.6×: 3 × (0.3 + 0.7 / 3) = 1.6 holds only if the other 70% of reads spread evenly, but Zipf's first ranks weigh several percent each and land wherever the partitioner puts them. Each round draws its own placement (a namespace per round); the check compares each round's measurement with the figure computed for that round's placement. Over 200 other namespaces (placements) the computed figure is, 10th percentile / median / 90th percentile, ${spread('memory')}; ${spread('redis')}.`,
      '',
      markdownTable(['writes (2,000 keys, 50 in flight)', 'writes/s', 'p99'], writeRows),
      '',
      `With \`policy: 'split'\` every write also reads the key's split marker after writing it (so a process that missed a promotion still updates the shards): writes/s split ÷ detect = ${writeRatio('memory').toFixed(2)}× on the memory engine, ${writeRatio('redis').toFixed(2)}× on Redis.`,
      '',
      markdownTable(['target', 'measured', 'result'], checks),
    ].join('\n');
  },
});
