// Timing and memory helpers for contender code running in a worker.

/** Seconds elapsed while `fn` runs (monotonic clock). */
export function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** CPU seconds (user + system) this process has used: all its threads, GC helpers included. */
export function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Calls `pass()` repeatedly until the process has spent at least `minSeconds` of CPU time on it,
 * and returns the rate both ways: `perCpuSecond` (operations per CPU-second of this process)
 * and `perSecond` (per wall-clock second), where one pass does `operationsPerPass` operations.
 *
 * On a shared machine, other processes stretch wall-clock time whenever they hold the core;
 * CPU time counts only what this process ran, so `perCpuSecond` is the steadier figure there
 * (caches shared with other processes still cost). On an idle machine the two agree, except
 * that work on GC helper threads counts as CPU time.
 */
export function throughput(pass, operationsPerPass, minSeconds = 0.5) {
  let passes = 0;
  const wallStart = process.hrtime.bigint();
  const cpuStart = cpuSeconds();
  let cpu = 0;
  do {
    pass();
    passes++;
    cpu = cpuSeconds() - cpuStart;
  } while (cpu < minSeconds);
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const operations = passes * operationsPerPass;
  return { perCpuSecond: operations / cpu, perSecond: operations / wall, operations };
}

/** Wall-clock operations per second: `throughput(...)`'s `perSecond`, timed on the wall clock. */
export function operationsPerSecond(pass, operationsPerPass, minSeconds = 0.5) {
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    pass();
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < minSeconds);
  return (passes * operationsPerPass) / elapsed;
}

/**
 * Retained memory of what `build()` returns: heap used plus array buffers (typed arrays keep
 * their contents outside the JS heap, so heap used alone would miss them), after a full GC
 * before and after. Needs the worker to run with `--expose-gc` (the scenario's `execArgv`).
 * Returns `{ value, bytes }`; `value` is kept alive until the second measurement.
 */
export function retainedMemory(build) {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error("retainedMemory needs execArgv: ['--expose-gc']");
  const used = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  gc();
  gc();
  const before = used();
  const value = build();
  gc();
  gc();
  const bytes = used() - before;
  return { value, bytes };
}
