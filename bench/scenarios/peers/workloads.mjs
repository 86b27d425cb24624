// The four workloads of the peers scenario, run the same way for every contender over a
// uniform client: `{ get(key), set(key, value), getMany(keys), getOrSet(key, loader), close() }`.
// Closed loops (a fixed number of calls in flight), key choices and read/write mixes drawn from
// one seeded plan, so every contender sees exactly the same sequence of keys.
import { cpuSeconds, percentile, seededRandom } from '../../lib/index.mjs';

export const KEY_COUNT = 20_000;
/** Zipf exponent of the key popularity (YCSB's default). */
export const ZIPF_EXPONENT = 0.99;
export const CONCURRENCY = 100;
export const PHASE_SECONDS = 1.5;
export const MANY_KEYS = 50;
export const STAMPEDE_CALLERS = 1000;
/** Stampedes per round, each on a key nobody has read or written yet. */
export const STAMPEDES = 3;
/** How long the simulated origin takes to answer a stampede's loader. */
export const LOADER_MS = 20;
/** Every write carries this TTL, so the keys of a run leave the shared engines by themselves. */
export const TTL_MS = 10 * 60 * 1000;
export const READ_HEAVY_WRITES = 0.05;
export const WRITE_HEAVY_WRITES = 0.5;
/** L1 capacity for every contender that has one: a tenth of the key space. */
export const L1_ENTRIES = 2000;

/** A typical small cached object (~100 bytes of JSON). Raw clients store its JSON text. */
export const VALUE = Object.freeze({
  id: 12345,
  name: 'Ada Lovelace',
  roles: ['admin', 'editor'],
  active: true,
  score: 0.5,
});
export const VALUE_TEXT = JSON.stringify(VALUE);

const PLAN_SIZE = 1 << 17;
const PLAN_MASK = PLAN_SIZE - 1;
const PLAN_SEED = 20_260_611;

/**
 * The seeded plan every contender replays: Zipf-distributed key ranks (rank 0 the most popular)
 * and, per step, a uniform number in [0, 1) that decides read or write.
 */
export function makePlan() {
  const random = seededRandom(PLAN_SEED);
  const cumulative = new Float64Array(KEY_COUNT);
  let sum = 0;
  for (let rank = 0; rank < KEY_COUNT; rank++) {
    sum += 1 / (rank + 1) ** ZIPF_EXPONENT;
    cumulative[rank] = sum;
  }
  const ranks = new Uint32Array(PLAN_SIZE);
  const choices = new Float64Array(PLAN_SIZE);
  for (let step = 0; step < PLAN_SIZE; step++) {
    const target = random() * sum;
    let low = 0;
    let high = KEY_COUNT - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    ranks[step] = low;
    choices[step] = random();
  }
  return { ranks, choices };
}

/** Writes every key once (untimed), with bounded parallelism. */
export async function preload(client, keys) {
  for (let start = 0; start < keys.length; start += 500) {
    await Promise.all(keys.slice(start, start + 500).map((key) => client.set(key, VALUE)));
  }
}

/**
 * Runs `CONCURRENCY` loops of `call(step)` for PHASE_SECONDS; `step` walks the plan, each loop
 * from its own offset. Returns calls/s (wall clock), calls per CPU-second of this process, p50
 * and p99 latency (ms), and the count of calls that threw.
 */
let latencyBuffer;

async function phase(call) {
  latencyBuffer ??= new Float64Array(2_000_000);
  const latencies = latencyBuffer;
  let count = 0;
  let errors = 0;
  const cpuStart = cpuSeconds();
  const start = performance.now();
  const end = start + PHASE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let step = worker * 1297;
      while (performance.now() < end) {
        step = (step + 1) & PLAN_MASK;
        const started = performance.now();
        try {
          await call(step);
        } catch {
          errors++;
        }
        if (count < latencies.length) latencies[count] = performance.now() - started;
        count++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSeconds() - cpuStart;
  const sample = Array.from(latencies.subarray(0, Math.min(count, latencies.length)));
  return {
    perSecond: count / seconds,
    perCpuSecond: count / cpu,
    p50: percentile(sample, 50),
    p99: percentile(sample, 99),
    errors,
  };
}

/** `writes` of the calls set a key, the rest get one; hits are counted for the report. */
async function mixed(state, writes, counters) {
  const { client, keys, plan } = state;
  return phase(async (step) => {
    const key = keys[plan.ranks[step]];
    if (plan.choices[step] < writes) {
      await client.set(key, VALUE);
    } else {
      counters.reads++;
      if ((await client.get(key)) !== undefined) counters.hits++;
    }
  });
}

/** getMany of MANY_KEYS consecutive plan steps' keys (Zipf-distributed, spread over every node). */
async function many(state, counters) {
  const { client, batches } = state;
  return phase(async (step) => {
    const values = await client.getMany(batches[step & (batches.length - 1)]);
    counters.reads += values.length;
    for (const value of values) if (value !== undefined) counters.hits++;
  });
}

/** Pre-built getMany batches (power-of-two count), built once per contender in setup. */
export function makeBatches(plan, keys) {
  return Array.from({ length: 1024 }, (_, batch) =>
    Array.from(
      { length: MANY_KEYS },
      (_, index) => keys[plan.ranks[(batch * MANY_KEYS + index) & PLAN_MASK]],
    ),
  );
}

/**
 * STAMPEDE_CALLERS concurrent getOrSet calls on one key nobody has written, all issued in the
 * same tick; the loader takes LOADER_MS. Returns loader calls and per-call latency.
 */
async function stampede(client, key) {
  let loaderCalls = 0;
  const loader = async () => {
    loaderCalls++;
    await new Promise((resolve) => setTimeout(resolve, LOADER_MS));
    return VALUE;
  };
  const latencies = new Float64Array(STAMPEDE_CALLERS);
  const start = performance.now();
  const answers = await Promise.all(
    Array.from({ length: STAMPEDE_CALLERS }, async (_, index) => {
      const value = await client.getOrSet(key, loader);
      latencies[index] = performance.now() - start;
      return value;
    }),
  );
  const wrong = answers.filter((value) => value?.id !== VALUE.id).length;
  return {
    loaderCalls,
    wrong,
    ms: performance.now() - start,
    p50: percentile(Array.from(latencies), 50),
    p99: percentile(Array.from(latencies), 99),
  };
}

/** One round: the four workloads in order. Returns the flat metrics of the round. */
export async function runRound(state, context) {
  const metrics = {};
  const record = (name, result, counters) => {
    metrics[`${name}PerSecond`] = result.perSecond;
    metrics[`${name}PerCpuSecond`] = result.perCpuSecond;
    metrics[`${name}P50Ms`] = result.p50;
    metrics[`${name}P99Ms`] = result.p99;
    metrics[`${name}Errors`] = result.errors;
    if (counters) metrics[`${name}HitRate`] = counters.hits / Math.max(1, counters.reads);
  };
  context.progress('read-heavy');
  const readCounters = { reads: 0, hits: 0 };
  record('readHeavy', await mixed(state, READ_HEAVY_WRITES, readCounters), readCounters);
  context.progress('write-heavy');
  const writeCounters = { reads: 0, hits: 0 };
  record('writeHeavy', await mixed(state, WRITE_HEAVY_WRITES, writeCounters), writeCounters);
  context.progress('getMany');
  const manyCounters = { reads: 0, hits: 0 };
  record('getMany', await many(state, manyCounters), manyCounters);
  context.progress('stampede');
  const stampedes = [];
  for (let index = 0; index < STAMPEDES; index++) {
    const key = `${state.prefix}stampede:${context.warmup ? 'w' : ''}${context.round}:${index}`;
    stampedes.push(await stampede(state.client, key));
  }
  metrics.stampedeLoaderCalls = Math.max(...stampedes.map((result) => result.loaderCalls));
  metrics.stampedeWrongValues = stampedes.reduce((sum, result) => sum + result.wrong, 0);
  metrics.stampedeMs = percentile(
    stampedes.map((result) => result.ms),
    50,
  );
  metrics.stampedeP99Ms = percentile(
    stampedes.map((result) => result.p99),
    50,
  );
  return metrics;
}
