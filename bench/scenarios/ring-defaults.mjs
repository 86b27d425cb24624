// How hashRing's defaults were picked: every combination of a candidate hash and a vnode count,
// built as hashRing builds its ring (points at hash('<host:port>#<i>'), a bucket index over their
// top 16 bits, a binary search within the bucket), measured for lookup speed, balance over random
// node names, and memory. `npm run bench -- ring-defaults`.
import { DEFAULT_VNODES, hashRing, murmur3, twemproxyHashes } from '@ringcache/core';
import {
  defineScenario,
  formatBytes,
  formatCount,
  formatRatio,
  markdownTable,
  pairedRatio,
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

const VNODE_COUNTS = [160, 512, 1024, 2048, 4096];
const MEMORY_COPIES = 10;
const CHUNK = 50_000; // divides KEY_COUNT
const ROUND_CPU_SECONDS = 0.5;
const BALANCE_TARGET = 1.05;
const NODES = Array.from({ length: NODE_COUNT }, (_, index) => `10.0.0.${index + 1}:11211`);

const encoder = new TextEncoder();
/**
 * Candidate key hashes, each over the key's UTF-8 bytes. murmur3 reads the string's UTF-8 as it
 * goes (no copy); the twemproxy hashes take bytes, so a key is encoded first, as ketamaRing does.
 */
const HASHES = {
  murmur3: (text) => murmur3(text),
  fnv1a_64: (text) => twemproxyHashes.fnv1a_64(encoder.encode(text)),
  md5: (text) => twemproxyHashes.md5(encoder.encode(text)),
};
const DEFAULT_HASH = 'murmur3';
const nameOf = (hash, vnodes, bucketIndex = true) =>
  `${hash} · ${vnodes}${bucketIndex ? '' : ' · no bucket index'}`;
const DEFAULT = nameOf(DEFAULT_HASH, DEFAULT_VNODES);
const WITHOUT_INDEX = nameOf(DEFAULT_HASH, DEFAULT_VNODES, false);

/**
 * A ring laid out exactly as hash-ring.ts lays out hashRing's (ties broken by node id), with the
 * key hash and vnode count as parameters; `bucketIndex: false` searches the whole ring instead.
 */
function candidateRing(ids, hashOf, vnodes, bucketIndex) {
  const { sortedIds, points, owners } = layOut(ids, hashOf, vnodes);
  const size = points.length;
  const buckets = new Uint32Array(65537);
  for (let bucket = 0, point = 0; bucket <= 65536; bucket++) {
    while (point < size && points[point] >>> 16 < bucket) point++;
    buckets[bucket] = point;
  }
  return (key) => {
    const hash = hashOf(key);
    let low = 0;
    let high = size;
    if (bucketIndex) {
      low = buckets[hash >>> 16];
      high = buckets[(hash >>> 16) + 1];
    }
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < hash) low = middle + 1;
      else high = middle;
    }
    return sortedIds[owners[low === size ? 0 : low]];
  };
}

/**
 * The sorted points and their owners. A function of its own so that the packed build array is
 * not in the lookup closure's scope (V8 would keep it alive, inflating the memory figure).
 */
function layOut(ids, hashOf, vnodes) {
  const sortedIds = [...ids].sort();
  const packed = new Float64Array(ids.length * vnodes);
  let next = 0;
  sortedIds.forEach((id, rank) => {
    for (let point = 0; point < vnodes; point++) packed[next++] = hashOf(`${id}#${point}`) * 65536 + rank;
  });
  packed.sort();
  const points = new Uint32Array(packed.length);
  const owners = new Uint16Array(packed.length);
  for (let index = 0; index < packed.length; index++) {
    const rank = packed[index] % 65536;
    points[index] = (packed[index] - rank) / 65536;
    owners[index] = rank;
  }
  return { sortedIds, points, owners };
}

let sink = 0;

function lookupPass(locate, keys, cursor) {
  const start = cursor.next;
  let total = 0;
  for (let index = start; index < start + CHUNK; index++) total += locate(keys[index]).length;
  cursor.next = start + CHUNK >= keys.length ? 0 : start + CHUNK;
  sink += total;
}

function contender(hash, vnodes, bucketIndex) {
  const build = (ids) => candidateRing(ids, HASHES[hash], vnodes, bucketIndex);
  return {
    setup() {
      const memoryBytes =
        retainedMemory(() => Array.from({ length: MEMORY_COPIES }, () => build(NODES))).bytes / MEMORY_COPIES;
      const keys = makeKeys();
      const locate = build(NODES);
      if (hash === DEFAULT_HASH && vnodes === DEFAULT_VNODES) checkAgainstHashRing(locate, keys);
      return { keys, locate, memoryBytes, cursor: { next: 0 } };
    },
    round({ keys, locate, cursor }) {
      const rate = throughput(() => lookupPass(locate, keys, cursor), CHUNK, ROUND_CPU_SECONDS);
      return { lookupsPerCpuSecond: rate.perCpuSecond };
    },
    analyze({ keys, memoryBytes }, context) {
      // Balance does not depend on the search; the no-index variant skips the repeat.
      if (!bucketIndex) return { memoryBytes, sink };
      const maxOverMean = [];
      for (let set = 0; set < BALANCE_SETS; set++) {
        context.progress(`balance, node set ${set + 1}/${BALANCE_SETS}`);
        maxOverMean.push(balance(build(randomNodeSet(set)), keys));
      }
      return { memoryBytes, maxOverMean, maxOverMeanP95: percentile(maxOverMean, 95), sink };
    },
  };
}

/** murmur3 at the default vnodes must be hashRing itself, or the table does not describe it. */
function checkAgainstHashRing(locate, keys) {
  const ring = hashRing(NODES);
  for (let index = 0; index < keys.length; index += 97) {
    if (locate(keys[index]) !== ring.locate(keys[index])) {
      throw new Error(`the murmur3 · ${DEFAULT_VNODES} candidate disagrees with hashRing on ${keys[index]}`);
    }
  }
}

const contenders = {};
for (const hash of Object.keys(HASHES)) {
  for (const vnodes of VNODE_COUNTS) contenders[nameOf(hash, vnodes)] = contender(hash, vnodes, true);
}
contenders[WITHOUT_INDEX] = contender(DEFAULT_HASH, DEFAULT_VNODES, false);

const PRIMARY = 'lookupsPerCpuSecond';

function report(results) {
  const spread = (summary, format) =>
    summary ? `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})` : '—';
  const rows = results.order.map((name) => {
    const contender = results.contenders[name];
    if (contender.error) return [name, `failed: ${contender.error}`, '', '', '', ''];
    const facts = contender.analysis;
    const p95 = facts?.maxOverMeanP95;
    return [
      name,
      spread(contender.metrics[PRIMARY], formatCount),
      name === DEFAULT ? '1×' : spread(pairedRatio(results, PRIMARY, name, DEFAULT), formatRatio),
      p95 === undefined ? '(as with the index)' : p95.toFixed(3),
      p95 === undefined ? '' : p95 <= BALANCE_TARGET ? 'yes' : 'no',
      facts ? formatBytes(facts.memoryBytes) : '—',
    ];
  });
  const ratioText = (summary) =>
    summary
      ? `${formatRatio(summary.median)} (${formatRatio(summary.min)}–${formatRatio(summary.max)})`
      : '—';
  const indexRatio = pairedRatio(results, PRIMARY, DEFAULT, WITHOUT_INDEX);
  const p95Of = (hash, vnodes) => results.contenders[nameOf(hash, vnodes)]?.analysis?.maxOverMeanP95;
  const speedOf = (hash, vnodes) => results.contenders[nameOf(hash, vnodes)]?.metrics?.[PRIMARY]?.median;
  const smallestBalanced = (hash) =>
    VNODE_COUNTS.find((vnodes) => p95Of(hash, vnodes) !== undefined && p95Of(hash, vnodes) <= BALANCE_TARGET);
  const balancedText = Object.keys(HASHES)
    .map((hash) => `${hash} ${smallestBalanced(hash) ?? 'none of these'}`)
    .join(', ');
  const nextFastest = Object.keys(HASHES)
    .filter((hash) => hash !== DEFAULT_HASH)
    .sort((a, b) => speedOf(b, DEFAULT_VNODES) - speedOf(a, DEFAULT_VNODES))[0];
  const fastestCount = [...VNODE_COUNTS].sort(
    (a, b) => speedOf(DEFAULT_HASH, b) - speedOf(DEFAULT_HASH, a),
  )[0];
  const conclusion = [
    `- **Why the default.** ${DEFAULT_HASH} is the fastest key hash: ${ratioText(pairedRatio(results, PRIMARY, DEFAULT, nameOf(nextFastest, DEFAULT_VNODES)))} the lookups of ${nextFastest} at ${DEFAULT_VNODES} points (the byte hashes pay for a \`TextEncoder\` copy of every key), and it balances as well as md5.`,
    `  Smallest vnode count with max/mean p95 ≤ ${BALANCE_TARGET}: ${balancedText}. ${DEFAULT_VNODES} is the default because it is the first count with a margin under the target (${DEFAULT_HASH}: ${p95Of(DEFAULT_HASH, DEFAULT_VNODES)?.toFixed(3)} at ${DEFAULT_VNODES}, ${p95Of(DEFAULT_HASH, DEFAULT_VNODES / 2)?.toFixed(3)} at ${DEFAULT_VNODES / 2}).`,
    `  Its cost: ${ratioText(pairedRatio(results, PRIMARY, DEFAULT, nameOf(DEFAULT_HASH, fastestCount)))} the lookups of the fastest count here (${fastestCount} points: a smaller table stays in the CPU cache), still far above the ring scenario's targets, and ${formatBytes(results.contenders[DEFAULT]?.analysis?.memoryBytes)} per 10-node ring.`,
  ];
  return [
    `Every candidate hash × vnode count, laid out as \`hashRing\` lays out its ring (bench/scenarios/ring-defaults.mjs). ${NODE_COUNT} nodes (\`10.0.0.1:11211\` …) for speed and memory, ${KEY_COUNT.toLocaleString('en-US')} keys \`user:0\` … \`user:999999\`.`,
    '',
    markdownTable(
      [
        'hash · vnodes per node',
        'lookups per CPU-s',
        `× ${DEFAULT}`,
        'max/mean p95',
        `≤ ${BALANCE_TARGET}`,
        'memory',
      ],
      rows,
    ),
    '',
    `- **lookups per CPU-s**: lookups per CPU-second of the contender's process, passes of ${CHUNK.toLocaleString('en-US')} keys until ${ROUND_CPU_SECONDS} CPU-s per round, median (min–max) of the rounds; **× ${DEFAULT}**: the per-round ratio to the default, median (min–max).`,
    `- **max/mean p95**: the fullest node's share over the mean, for ${BALANCE_SETS} seeded sets of ${NODE_COUNT} random \`ip:port\` names (the ring scenario's sets), 95th percentile. **memory**: retained by one 10-node ring (points, owners and the 256 KiB bucket index), the mean of ${MEMORY_COPIES} built between forced GCs.`,
    "- Hashes: `murmur3` (x86 32-bit, reading the string's UTF-8 as it goes), twemproxy's `fnv1a_64` (low 32 bits) and `md5` (first 4 bytes) over the key's UTF-8 from `TextEncoder`, as `ketamaRing` hashes keys; points use the same hash.",
    `- **${WITHOUT_INDEX}**: the default ring's points searched by one binary search over the whole ring instead of within the bucket of the hash's top 16 bits: with the bucket index a lookup runs at ${ratioText(indexRatio)} the speed.`,
    ...conclusion,
  ].join('\n');
}

export default defineScenario({
  name: 'ring-defaults',
  title: "ring-defaults — how hashRing's hash and vnode count were picked",
  rounds: 3,
  warmupRounds: 1,
  execArgv: ['--expose-gc'],
  contenders,
  report,
});
