// Read-your-history checking for the soak and resharding scenarios. Each worker owns its keys
// (one writer per key, one call at a time), writes unique values `<key>#<seq>`, and classifies
// every read against what it wrote: the last acknowledged value, an indeterminate write (failed
// or timed out: it may or may not have landed), a miss, an older acknowledged value (a
// regression: a lost write), or a value never written (wrong). Writes a replica confirmed (Redis
// WAIT 1, see `confirm`) are tracked apart: a read older than one of them is a durability failure.
import { type Cache, RingcacheError } from '@ringcache/core';
import { codeOf, sleep } from './support.js';

interface Write {
  value: string;
  acknowledged: boolean;
  /** Acknowledged, then confirmed as held by a replica (WAIT 1). */
  confirmed?: boolean;
}

export interface HistoryFigures {
  calls: number;
  writes: number;
  acknowledged: number;
  indeterminate: number;
  reads: number;
  readsOk: number;
  /** Reads answering an indeterminate write (allowed). */
  readsIndeterminate: number;
  /** …of which the write was older than the last acknowledged one: a late retry landed over it. */
  readsLateIndeterminate: number;
  /** Misses of a key with an acknowledged value (allowed for memcached and killed nodes). */
  readsMissing: number;
  /** Reads answering an older acknowledged value. */
  readsRegressed: number;
  /** Writes confirmed as held by a replica (`confirm`), and confirmations tried. */
  confirmed: number;
  confirmTried: number;
  /** …of `readsRegressed`: reads older than a confirmed write. Must be 0 (the WAIT 1 rule). */
  readsRegressedPastConfirmed: number;
  /** …of `readsMissing`: misses after a confirmed write (reported: a confirmed write lost). */
  readsMissingPastConfirmed: number;
  /** Reads answering a value never written to that key. Must be 0. */
  readsWrong: number;
  wrongSamples: string[];
  /** Error codes seen by callers, by code. */
  errors: Record<string, number>;
  /** Error messages (and causes) naming a redirection or cross-slot reply. */
  redirectionErrors: number;
  redirectionSamples: string[];
  /** The first messages of every other error, to tell what they were. */
  errorSamples: string[];
  /** Slowest call, ms. */
  maxCallMs: number;
}

export function emptyFigures(): HistoryFigures {
  return {
    calls: 0,
    writes: 0,
    acknowledged: 0,
    indeterminate: 0,
    reads: 0,
    readsOk: 0,
    readsIndeterminate: 0,
    readsLateIndeterminate: 0,
    readsMissing: 0,
    readsRegressed: 0,
    confirmed: 0,
    confirmTried: 0,
    readsRegressedPastConfirmed: 0,
    readsMissingPastConfirmed: 0,
    readsWrong: 0,
    wrongSamples: [],
    errors: {},
    redirectionErrors: 0,
    redirectionSamples: [],
    errorSamples: [],
    maxCallMs: 0,
  };
}

const REDIRECTION = /\b(MOVED|ASK|CROSSSLOT|TRYAGAIN)\b/;

function messagesOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- ');
}

type Outcome =
  | 'ok'
  | 'indeterminate'
  | 'late'
  | 'missing'
  | 'missing-confirmed'
  | 'regressed'
  | 'regressed-confirmed'
  | 'wrong';

/** The history of one key, as its only writer knows it. */
class KeyHistory {
  readonly writes: Write[] = [];

  classify(read: unknown): Outcome {
    let lastAcknowledged = -1;
    for (let index = this.writes.length - 1; index >= 0; index--) {
      if (this.writes[index]!.acknowledged) {
        lastAcknowledged = index;
        break;
      }
    }
    let lastConfirmed = -1;
    for (let index = this.writes.length - 1; index >= 0; index--) {
      if (this.writes[index]!.confirmed) {
        lastConfirmed = index;
        break;
      }
    }
    if (read === undefined) {
      if (lastAcknowledged === -1) return 'ok';
      return lastConfirmed === -1 ? 'missing' : 'missing-confirmed';
    }
    const index = this.writes.findIndex((write) => write.value === read);
    if (index === -1) return 'wrong';
    if (index === lastAcknowledged) return 'ok';
    const write = this.writes[index]!;
    if (!write.acknowledged) return index > lastAcknowledged ? 'indeterminate' : 'late';
    return index < lastConfirmed ? 'regressed-confirmed' : 'regressed';
  }
}

export interface WorkloadOptions {
  /** Keys of this workload; split among the workers. */
  keys: readonly string[];
  workers: number;
  /** Pause between two calls of one worker, ms (bounds the load on a shared 2-core machine). */
  pauseMs: number;
  /** Every this many rounds a worker also reads 8 of its keys with getMany. @default 5 */
  getManyEvery?: number;
  /** The value each key was given (acknowledged) before the workload started, if any. */
  initial?: (key: string) => string;
  /**
   * Confirms every `every`-th acknowledged write of a worker as held by a replica: `before(key)`
   * runs just before the write (to note its route), the returned function after its
   * acknowledgement; it resolves true when a replica holds the write (Redis: WAIT 1).
   */
  confirm?: { every: number; before: (key: string) => () => Promise<boolean> };
}

/** Runs `workers` loops of set → get (and sometimes getMany) over disjoint keys until `stop()`. */
export function historyWorkload(cache: Cache, options: WorkloadOptions) {
  const figures = emptyFigures();
  const histories = new Map(
    options.keys.map((key) => {
      const history = new KeyHistory();
      if (options.initial !== undefined)
        history.writes.push({ value: options.initial(key), acknowledged: true });
      return [key, history];
    }),
  );
  let running = true;
  let sequence = 0;

  const recordError = (error: unknown) => {
    const code = codeOf(error);
    figures.errors[code] = (figures.errors[code] ?? 0) + 1;
    const text = messagesOf(error);
    if (figures.errorSamples.length < 5) figures.errorSamples.push(text.slice(0, 300));
    if (REDIRECTION.test(text)) {
      figures.redirectionErrors++;
      if (figures.redirectionSamples.length < 5) figures.redirectionSamples.push(text);
    }
    if (RingcacheError.hasCode(error, 'E_PARTIAL')) {
      const results = (error as { results?: unknown }).results;
      if (
        REDIRECTION.test(
          JSON.stringify(results ?? '', (_, value) => (value instanceof Error ? value.message : value)),
        )
      ) {
        figures.redirectionErrors++;
      }
    }
  };
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    figures.calls++;
    try {
      return await call();
    } finally {
      figures.maxCallMs = Math.max(figures.maxCallMs, performance.now() - start);
    }
  };
  const classify = (key: string, read: unknown) => {
    figures.reads++;
    const outcome = histories.get(key)!.classify(read);
    if (outcome === 'ok') figures.readsOk++;
    else if (outcome === 'indeterminate') figures.readsIndeterminate++;
    else if (outcome === 'late') {
      figures.readsIndeterminate++;
      figures.readsLateIndeterminate++;
    } else if (outcome === 'missing') figures.readsMissing++;
    else if (outcome === 'missing-confirmed') {
      figures.readsMissing++;
      figures.readsMissingPastConfirmed++;
    } else if (outcome === 'regressed') figures.readsRegressed++;
    else if (outcome === 'regressed-confirmed') {
      figures.readsRegressed++;
      figures.readsRegressedPastConfirmed++;
      if (figures.wrongSamples.length < 5)
        figures.wrongSamples.push(`${key} read ${JSON.stringify(read)}, older than a confirmed write`);
    } else {
      figures.readsWrong++;
      if (figures.wrongSamples.length < 5) figures.wrongSamples.push(`${key} read ${JSON.stringify(read)}`);
    }
  };

  const worker = async (index: number) => {
    const own = options.keys.filter((_, position) => position % options.workers === index);
    let round = 0;
    while (running) {
      round++;
      const key = own[round % own.length]!;
      const history = histories.get(key)!;
      const value = `${key}#${++sequence}`;
      const write: Write = { value, acknowledged: false };
      history.writes.push(write);
      figures.writes++;
      const confirm = options.confirm !== undefined && round % options.confirm.every === 0;
      const afterWrite = confirm ? options.confirm!.before(key) : undefined;
      try {
        await timed(() => cache.set(key, value));
        write.acknowledged = true;
        figures.acknowledged++;
      } catch (error) {
        figures.indeterminate++;
        recordError(error);
      }
      if (write.acknowledged && afterWrite !== undefined) {
        figures.confirmTried++;
        // Not timed: a confirmation is the test's own call, not the cache's.
        if (await afterWrite().catch(() => false)) {
          write.confirmed = true;
          figures.confirmed++;
        }
      }
      await sleep(options.pauseMs);
      try {
        classify(key, await timed(() => cache.get(key)));
      } catch (error) {
        recordError(error);
      }
      if (round % (options.getManyEvery ?? 5) === 0) {
        const batch = Array.from({ length: 8 }, (_, offset) => own[(round + offset * 7) % own.length]!);
        const unique = [...new Set(batch)];
        try {
          const values = await timed(() => cache.getMany(unique));
          for (const [position, batchKey] of unique.entries()) classify(batchKey, values[position]);
        } catch (error) {
          recordError(error);
        }
      }
      await sleep(options.pauseMs);
    }
  };
  const loops = Array.from({ length: options.workers }, (_, index) => worker(index));
  return {
    figures,
    async stop(): Promise<HistoryFigures> {
      running = false;
      await Promise.all(loops);
      return figures;
    },
  };
}
