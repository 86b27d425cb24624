// Shared helpers of the chaos suite (issue 12): call tracking, process-level error counters,
// heap measurement after a forced GC, and the short/long form switch.
import { type Cache, RingcacheError } from '@ringcache/core';

/** `CHAOS_LONG=1` selects the long forms of every scenario. */
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest directly; turbo's test task is never cached.
export const LONG = process.env.CHAOS_LONG === '1';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts uncaught exceptions and unhandled rejections while installed. */
export function processErrorCounter() {
  const seen: string[] = [];
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${String(reason)}`);
  const onException = (error: unknown) => seen.push(`uncaughtException: ${String(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Heap used after a forced GC (the chaos project runs its workers with --expose-gc). */
export async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('global.gc is missing: run the chaos project (execArgv --expose-gc)');
  for (let round = 0; round < 3; round++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

/** The code of a rejection: a RingcacheError's code, else `UNTYPED:<message>`. */
export function codeOf(error: unknown): string {
  return RingcacheError.isInstance(error) ? error.code : `UNTYPED:${String(error)}`;
}

/** Tracks every call issued: how many are still unsettled, the slowest settle time, outcomes by code. */
export class CallTracker {
  issued = 0;
  settled = 0;
  maxMs = 0;
  readonly byCode: Record<string, number> = {};

  get pending(): number {
    return this.issued - this.settled;
  }

  track<T>(call: () => Promise<T>): Promise<T | undefined> {
    const start = performance.now();
    this.issued++;
    const done = (code: string) => {
      this.settled++;
      this.maxMs = Math.max(this.maxMs, performance.now() - start);
      this.byCode[code] = (this.byCode[code] ?? 0) + 1;
    };
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (error) {
      done(`sync-throw:${codeOf(error)}`);
      return Promise.resolve(undefined);
    }
    return promise.then(
      (value) => {
        done('ok');
        return value;
      },
      (error: unknown) => {
        done(codeOf(error));
        return undefined;
      },
    );
  }

  /** Resolves once every tracked call settled, or after `limitMs` (then `pending` tells). */
  async drain(limitMs: number): Promise<void> {
    const until = performance.now() + limitMs;
    while (this.pending > 0 && performance.now() < until) await sleep(10);
  }
}

/** Highest `stats().nodes[].pending` seen while sampling every `everyMs`. */
export function samplePending(cache: Cache, everyMs = 20) {
  let max = 0;
  const timer = setInterval(() => {
    for (const node of cache.stats().nodes) max = Math.max(max, node.pending);
  }, everyMs);
  return {
    get max() {
      return max;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * Issues `opsPerSecond` calls for `durationMs` in 10 ms ticks without awaiting them (an
 * application under load does not slow down because the cache is down): get, set, getMany, delete.
 */
export async function openLoopLoad(
  cache: Cache,
  tracker: CallTracker,
  options: { opsPerSecond: number; durationMs: number; keyPrefix: string },
): Promise<void> {
  const start = performance.now();
  const end = start + options.durationMs;
  let n = 0;
  while (performance.now() < end) {
    // Catch up with the schedule, so a late timer does not lower the rate.
    const due = Math.floor(((performance.now() - start) / 1000) * options.opsPerSecond);
    while (n < due) {
      n++;
      const key = `${options.keyPrefix}${n % 500}`;
      switch (n % 8) {
        case 0:
        case 1:
        case 2:
          void tracker.track(() => cache.get(key));
          break;
        case 3:
        case 4:
          void tracker.track(() => cache.set(key, { n, pad: 'x'.repeat(64) }));
          break;
        case 5:
          void tracker.track(() =>
            cache.getMany([key, `${key}:a`, `${key}:b`, `${options.keyPrefix}other${n}`]),
          );
          break;
        case 6:
          void tracker.track(() => cache.delete(key));
          break;
        default:
          void tracker.track(() => cache.has(key));
      }
    }
    await sleep(10);
  }
}

export function report(title: string, figures: Record<string, unknown>): void {
  console.log(`[chaos] ${title}: ${JSON.stringify(figures)}`);
}
