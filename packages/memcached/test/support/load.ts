/** One call of a load run: when it started and ended (ms, performance.now), where it went, how it ended. */
export interface Sample {
  readonly operation: 'get' | 'set';
  readonly key: string;
  /** The node the key was routed to when the call started. */
  readonly node: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly error: unknown;
}

export interface LoadOptions {
  readonly concurrency: number;
  /** Runs one call; resolves or rejects like the cache call it makes. */
  readonly call: (
    worker: number,
    sequence: number,
  ) => { operation: 'get' | 'set'; key: string; node: string | undefined; run: () => Promise<unknown> };
  /** Hard bound on the run, whatever `stop()` does: load tests stop by themselves. */
  readonly maxDurationMs: number;
}

/** A closed-loop load: `concurrency` workers, each starting its next call when the last settles. */
export class Load {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly options: LoadOptions) {
    const deadline = performance.now() + options.maxDurationMs;
    this.done = Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        for (let sequence = 0; !this.stopped && performance.now() < deadline; sequence++) {
          const { operation, key, node, run } = this.options.call(worker, sequence);
          const start = performance.now();
          let error: unknown;
          try {
            await run();
          } catch (caught) {
            error = caught ?? new Error('rejected with nothing');
          }
          this.samples.push({ operation, key, node, start, end: performance.now(), error });
        }
      }),
    ).then(() => undefined);
  }

  /** Stops the workers and waits for their last calls. */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    await this.done;
    return this.samples;
  }
}

/** The p-th percentile (0–100) of durations, ms. */
export function percentile(durations: readonly number[], p: number): number {
  if (durations.length === 0) return Number.NaN;
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const duration = (sample: Sample) => sample.end - sample.start;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `check` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
