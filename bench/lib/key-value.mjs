// The get / set / getMany contender the engine scenarios (redis, hazelcast) share: each contender
// drives its own client through the same timing loop, over the same reproducible key plan.
import { cpuSeconds } from './measure.mjs';
import { seededRandom } from './random.mjs';
import { percentile } from './stats.mjs';

/** The workload: calls in flight, keys written, keys per getMany, seconds per operation. */
export const KEY_VALUE_WORKLOAD = Object.freeze({
  concurrency: 100,
  keyCount: 10_000,
  manyKeys: 100,
  manySets: 500,
  phaseSeconds: 1.5,
});

const { concurrency, keyCount, manyKeys, manySets, phaseSeconds } = KEY_VALUE_WORKLOAD;

/** Random key indexes shared by every worker of a contender (reproducible). */
function keyPlan() {
  const random = seededRandom(20_260_101);
  const indexes = Uint32Array.from({ length: 1 << 16 }, () => Math.floor(random() * keyCount));
  const sets = Array.from({ length: manySets }, (_, set) =>
    Array.from({ length: manyKeys }, (_, index) => indexes[(set * manyKeys + index) % indexes.length]),
  );
  return { indexes, sets };
}

/**
 * Runs `concurrency` loops of `call(worker, iteration)` for `phaseSeconds`; returns calls/s on the
 * wall clock, calls per CPU-second of this process, and latency percentiles in ms. With
 * `countErrors`, a failed call is counted rather than fatal, and only successful calls count
 * towards calls/s.
 */
async function phase(call, countErrors) {
  const latencies = [];
  const cpuStart = cpuSeconds();
  const start = performance.now();
  const end = start + phaseSeconds * 1000;
  let calls = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let iteration = 0; performance.now() < end; iteration++) {
        const started = performance.now();
        try {
          await call(worker, iteration);
          calls++;
        } catch (error) {
          if (!countErrors) throw error;
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
 * A contender over `connect(context.shared)` → `{ get(key), set(key), getMany(keys), close() }`.
 * Each contender writes its own keys (`keyPrefix` + index, same length for all), since they store
 * values differently. Metrics per round: `<op>PerSecond`, `<op>PerCpuSecond`, `<op>P50Ms`,
 * `<op>P99Ms`, and with `countErrors` `<op>Errors`, for get, set and getMany.
 */
export function keyValueContender(keyPrefix, connect, { countErrors = false, setupBatch = 1000 } = {}) {
  return {
    async setup(context) {
      const plan = keyPlan();
      const client = await connect(context.shared);
      const keys = Array.from({ length: keyCount }, (_, index) => `${keyPrefix}${index}`);
      context.progress('writing keys');
      for (let index = 0; index < keys.length; index += setupBatch) {
        await Promise.all(keys.slice(index, index + setupBatch).map((key) => client.set(key)));
      }
      const manyKeys = plan.sets.map((set) => set.map((index) => keys[index]));
      return { client, keys, plan, manyKeys, sink: 0 };
    },
    async round(state) {
      const { client, keys, plan, manyKeys } = state;
      const key = (worker, iteration) => keys[plan.indexes[(worker * 7919 + iteration) & 0xffff]];
      const get = await phase(async (worker, iteration) => {
        const value = await client.get(key(worker, iteration));
        state.sink += value == null ? 0 : 1;
      }, countErrors);
      const set = await phase((worker, iteration) => client.set(key(worker, iteration)), countErrors);
      const many = await phase(async (worker, iteration) => {
        const values = await client.getMany(manyKeys[(worker * 31 + iteration) % manyKeys.length]);
        state.sink += values.length;
      }, countErrors);
      const metrics = {};
      for (const [name, result] of Object.entries({ get, set, getMany: many })) {
        metrics[`${name}PerSecond`] = result.perSecond;
        metrics[`${name}PerCpuSecond`] = result.perCpuSecond;
        metrics[`${name}P50Ms`] = result.p50;
        metrics[`${name}P99Ms`] = result.p99;
        if (countErrors) metrics[`${name}Errors`] = result.errors;
      }
      return metrics;
    },
    async teardown(state) {
      await state.client.close();
    },
  };
}
