// Partitioners side by side: lookups/s, balance over random node names, keys moved when a node
// joins, memory. Contenders: the core's partitioners, the npm rings people use today, and the
// floor (the same hash and points with nothing around them).
import { createRequire } from 'node:module';
import { DEFAULT_VNODES, hashRing, jumpHash, ketamaRing, murmur3, rendezvousHash } from '@ringcache/core';
import HashRing from 'hashring';
import NodeHashRing from 'node-hashring';
import {
  defineScenario,
  formatBytes,
  formatCount,
  formatPercent,
  formatRatio,
  markdownTable,
  pairedRatio,
  passFail,
  percentile,
  retainedMemory,
  throughput,
} from '../lib/index.mjs';
import {
  BALANCE_SETS,
  balance,
  KEY_COUNT,
  makeKeys,
  NODE_COUNT,
  randomNodeSet,
} from '../lib/ring-workload.mjs';

const MEMORY_COPIES = 10;
const CHUNK = 50_000; // divides KEY_COUNT
const ROUND_CPU_SECONDS = 1;
const NODES = Array.from({ length: NODE_COUNT }, (_, index) => `10.0.0.${index + 1}:11211`);
const ADDED_NODE = `10.0.0.${NODE_COUNT + 1}:11211`;
const IDEAL_MOVED = 1 / (NODE_COUNT + 1);

const DEFAULT = 'ringcache hashRing';
const KETAMA_MD5 = 'ringcache ketama md5';
const HASHRING = 'hashring (npm)';
const FLOOR = 'floor';

/**
 * The floor: murmur3 of the key and a binary search over a bare Uint32Array holding exactly the
 * default ring's points (`murmur3('<host:port>#<i>')`, 4096 per node, ties broken by node id as
 * hash-ring.ts does), then the owner's id: the least work that gives the same answer.
 */
function buildFloor(ids) {
  const sortedIds = [...ids].sort();
  const packed = new Float64Array(ids.length * DEFAULT_VNODES);
  let next = 0;
  sortedIds.forEach((id, rank) => {
    for (let point = 0; point < DEFAULT_VNODES; point++)
      packed[next++] = murmur3(`${id}#${point}`) * 65536 + rank;
  });
  packed.sort();
  const points = new Uint32Array(packed.length);
  const owners = new Uint16Array(packed.length);
  for (let index = 0; index < packed.length; index++) {
    const rank = packed[index] % 65536;
    points[index] = (packed[index] - rank) / 65536;
    owners[index] = rank;
  }
  const size = points.length;
  return (key) => {
    const hash = murmur3(key);
    let low = 0;
    let high = size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < hash) low = middle + 1;
      else high = middle;
    }
    return sortedIds[owners[low === size ? 0 : low]];
  };
}

/** Each contender is a `build(nodeIds) → locate(key) → nodeId`; the rest is shared below. */
const builders = {
  [DEFAULT]: (ids) => {
    const ring = hashRing(ids);
    return (key) => ring.locate(key);
  },
  [KETAMA_MD5]: (ids) => {
    const ring = ketamaRing(ids, { hash: 'md5' });
    return (key) => ring.locate(key);
  },
  'ringcache ketama fnv1a_64': (ids) => {
    const ring = ketamaRing(ids, { hash: 'fnv1a_64' });
    return (key) => ring.locate(key);
  },
  'ringcache jump': (ids) => {
    const ring = jumpHash(ids);
    return (key) => ring.locate(key);
  },
  'ringcache rendezvous': (ids) => {
    const ring = rendezvousHash(ids);
    return (key) => ring.locate(key);
  },
  [HASHRING]: (ids) => {
    const ring = new HashRing(ids);
    return (key) => ring.get(key);
  },
  'node-hashring (npm)': (ids) => {
    const ring = new NodeHashRing(ids);
    return (key) => ring.findNode(key);
  },
  [FLOOR]: buildFloor,
};

// Summing the answers' lengths keeps the lookups observable, so none can be optimised away.
let sink = 0;

/**
 * One pass looks up the next CHUNK keys, cycling through all of them, so every round lasts about
 * the same CPU time whatever the contender's speed and the two sides of a ratio stay close in time.
 */
function lookupPass(locate, keys, cursor) {
  const start = cursor.next;
  let total = 0;
  for (let index = start; index < start + CHUNK; index++) total += locate(keys[index]).length;
  cursor.next = start + CHUNK >= keys.length ? 0 : start + CHUNK;
  sink += total;
}

function contender(name, build) {
  return {
    setup() {
      // First, before keys and rounds leave garbage around: ten copies, so a GC's noise is
      // spread over ten partitioners.
      const memoryBytes =
        retainedMemory(() => Array.from({ length: MEMORY_COPIES }, () => build(NODES))).bytes / MEMORY_COPIES;
      const keys = makeKeys();
      const locate = build(NODES);
      if (name === FLOOR) checkFloor(locate, keys);
      return { keys, locate, memoryBytes, cursor: { next: 0 } };
    },
    round({ keys, locate, cursor }) {
      const rate = throughput(() => lookupPass(locate, keys, cursor), CHUNK, ROUND_CPU_SECONDS);
      return { lookupsPerCpuSecond: rate.perCpuSecond, lookupsPerSecond: rate.perSecond };
    },
    analyze({ keys, memoryBytes }, context) {
      context.progress('moved keys 10 → 11');
      const moved = movement(build, keys);
      const maxOverMean = [];
      for (let set = 0; set < BALANCE_SETS; set++) {
        context.progress(`balance, node set ${set + 1}/${BALANCE_SETS}`);
        maxOverMean.push(balance(build(randomNodeSet(set)), keys));
      }
      return { memoryBytes, ...moved, maxOverMean, maxOverMeanP95: percentile(maxOverMean, 95), sink };
    },
  };
}

/** The floor must answer exactly as the default ring, or it is not the floor of that ring. */
function checkFloor(locate, keys) {
  const ring = hashRing(NODES);
  for (let index = 0; index < keys.length; index += 97) {
    if (locate(keys[index]) !== ring.locate(keys[index])) {
      throw new Error(`the floor disagrees with hashRing on ${keys[index]}`);
    }
  }
}

function movement(build, keys) {
  const before = build(NODES);
  const after = build([...NODES, ADDED_NODE]);
  let moved = 0;
  let stray = 0;
  for (const key of keys) {
    const owner = after(key);
    if (owner !== before(key)) {
      moved++;
      if (owner !== ADDED_NODE) stray++;
    }
  }
  return { movedFraction: moved / keys.length, strayMoves: stray };
}

const require = createRequire(import.meta.url);
const version = (name) => require(`${name}/package.json`).version;

const PRIMARY = 'lookupsPerCpuSecond';
const WALL = 'lookupsPerSecond';

function report(results) {
  const analysis = (name) => results.contenders[name]?.analysis;
  const ratio = (name, other, metric = PRIMARY) => pairedRatio(results, metric, name, other);
  const spread = (summary, format) =>
    summary ? `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})` : '—';
  const ratioCell = (name, other) => (name === other ? '1×' : spread(ratio(name, other), formatRatio));

  const rows = results.order.map((name) => {
    const contender = results.contenders[name];
    if (contender.error) return [name, `failed: ${contender.error}`, '', '', '', '', '', '', ''];
    const facts = analysis(name);
    return [
      name,
      spread(contender.metrics[PRIMARY], formatCount),
      formatCount(contender.metrics[WALL]?.median),
      ratioCell(name, HASHRING),
      ratioCell(name, FLOOR),
      facts ? facts.maxOverMeanP95.toFixed(3) : '—',
      facts
        ? `${formatPercent(facts.movedFraction)} (${formatRatio(facts.movedFraction / IDEAL_MOVED)})`
        : '—',
      facts
        ? facts.strayMoves === 0
          ? 'yes'
          : `no (${facts.strayMoves.toLocaleString('en-US')} elsewhere)`
        : '—',
      facts ? formatBytes(facts.memoryBytes) : '—',
    ];
  });

  const targets = [];
  const target = (what, measured, ok) =>
    targets.push([what, measured, ok === undefined ? 'not measured' : passFail(ok)]);
  const speedTarget = (what, name, other, minimum, strict) => {
    const cpu = ratio(name, other);
    const wall = ratio(name, other, WALL);
    const ok = cpu && (strict ? cpu.median > minimum : cpu.median >= minimum);
    target(what, cpu ? `${formatRatio(cpu.median)} (wall clock ${formatRatio(wall.median)})` : '—', ok);
  };
  speedTarget('default ring ≥ 20× hashring lookups/s', DEFAULT, HASHRING, 20, false);
  speedTarget('default ring ≥ 0.8× the floor', DEFAULT, FLOOR, 0.8, false);
  const facts = analysis(DEFAULT);
  target(
    'default ring max/mean ≤ 1.05 (p95 over node sets)',
    facts ? facts.maxOverMeanP95.toFixed(3) : '—',
    facts && facts.maxOverMeanP95 <= 1.05,
  );
  target(
    'default ring moved 10→11 ≤ 1.05× ideal, all to the new node',
    facts ? `${formatRatio(facts.movedFraction / IDEAL_MOVED, 3)}, ${facts.strayMoves} elsewhere` : '—',
    facts && facts.movedFraction <= 1.05 * IDEAL_MOVED && facts.strayMoves === 0,
  );
  speedTarget('ketama md5 faster than hashring', KETAMA_MD5, HASHRING, 1, true);

  return [
    `${NODE_COUNT} nodes (\`10.0.0.1:11211\` …), ${KEY_COUNT.toLocaleString('en-US')} keys \`user:0\` … \`user:999999\` generated in each worker before timing.`,
    '',
    markdownTable(
      [
        'contender',
        'lookups per CPU-s',
        'per wall-s',
        '× hashring',
        '× floor',
        'max/mean p95',
        `moved 10→11 (ideal ${formatPercent(IDEAL_MOVED)})`,
        'all to new node',
        'memory',
      ],
      rows,
    ),
    '',
    markdownTable(['target', 'measured', 'result'], targets, ['left', 'right', 'left']),
    '',
    `- **lookups per CPU-s**: \`locate(key)\` calls per second of CPU time of the contender's process (\`process.cpuUsage\`, GC threads included), in passes of ${CHUNK.toLocaleString('en-US')} keys until ${ROUND_CPU_SECONDS} CPU-second per round; median (min–max) of the rounds. CPU time is the primary figure because other processes share this machine: they stretch wall-clock time but not this process's CPU time. **per wall-s**: the same rounds on the wall clock (median).`,
    '- **× hashring**, **× floor**: the ratio of lookups per CPU-s within each round (rounds alternate between contenders, so both sides of a ratio ran close in time), median (min–max) over the rounds. Targets use the median, with the wall-clock ratio beside it.',
    `- **max/mean p95**: the fullest node's share over the mean share, for ${BALANCE_SETS} sets of ${NODE_COUNT} random \`ip:port\` node names (seeded), over the same keys; the 95th percentile (nearest rank) of the ${BALANCE_SETS}.`,
    '- **moved 10→11**: keys whose node changes when `10.0.0.11:11211` joins, and the ratio to the ideal 1/11; **all to new node**: whether each of them moved to the new node.',
    '- **memory**: heap used + array buffers retained by one 10-node partitioner: ten are built in a fresh worker between forced GCs, and the difference divided by ten.',
    `- Contenders: \`hashRing\` is the default ring (murmur3, ${DEFAULT_VNODES} points per node); \`ketama\` is twemproxy-compatible (160 md5 points per node, the key hashed with md5 or fnv1a_64); \`hashring\` ${version('hashring')} is node-memcached's ring (md5, 160 points per node, with its 5,000-key LRU of answers, which distinct keys never hit); \`node-hashring\` ${version('node-hashring')} (murmur3, 80 points per node); the floor is murmur3 plus a binary search over a bare \`Uint32Array\` of the default ring's points, then the owner's id (bench/scenarios/ring.mjs).`,
  ].join('\n');
}

export default defineScenario({
  name: 'ring',
  title: 'ring — partitioners: lookups, balance, movement, memory',
  rounds: 5,
  warmupRounds: 1,
  execArgv: ['--expose-gc'],
  contenders: Object.fromEntries(
    Object.entries(builders).map(([name, build]) => [name, contender(name, build)]),
  ),
  report,
});
