import { randomBytes } from 'node:crypto';
import { TimeoutError, UnsupportedError } from '../errors.js';
import type { CacheCore } from './cache-core.js';
import type { Entry } from './entry-codec.js';
import type { GetOrSetOptions, Loader } from './options.js';

/** What `getOrSet` needs from the cache view that calls it. */
export interface LoadTarget<T> {
  key: string;
  final: string;
  loader: Loader<T>;
  options: GetOrSetOptions | undefined;
  /** Reads the entry; undefined on a miss. Throws backend errors. */
  read(): Promise<Entry<T> | undefined>;
  /** Writes a loaded value (with its load time, for early refresh). */
  store(value: T, loadMs: number): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * The loading half of `getOrSet`: single-flight within the process, grace (stale-if-error),
 * soft and hard loader timeouts, probabilistic early refresh, and cross-process leases.
 */
export class LoadCoordinator {
  constructor(private readonly core: CacheCore) {}

  async getOrSet<T>(target: LoadTarget<T>): Promise<T> {
    let entry: Entry<T> | undefined;
    try {
      entry = await target.read();
    } catch {
      // Reported by `read`; the loader answers instead.
    }
    const options = target.options;
    if (entry !== undefined && !entry.stale) {
      if (options?.earlyRefresh && shouldRefreshEarly(entry, options.earlyRefresh)) {
        this.flight(target, undefined, true).catch(() => {});
      }
      return entry.value;
    }
    const flight = this.flight(target, entry);
    if (entry === undefined) return withTimeout(flight, options?.hardTimeout, target.final);
    // A stale value is at hand: never fail, and never wait longer than the soft timeout.
    const stale = entry.value;
    try {
      const soft = options?.softTimeout;
      const result = await withTimeout(flight, soft ?? options?.hardTimeout, target.final);
      return result;
    } catch (error) {
      this.core.resilience.staleServed++;
      this.core.events.emit('stale:served', { key: target.final, error });
      return stale;
    }
  }

  /** One load per final key at a time; callers share it. `refresh`: an early refresh of a fresh entry. */
  private flight<T>(target: LoadTarget<T>, stale: Entry<T> | undefined, refresh = false): Promise<T> {
    const existing = this.core.flights.get(target.final) as Promise<T> | undefined;
    if (existing !== undefined) return existing;
    const lease = target.options?.lease;
    const running = lease ? this.loadUnderLease(target, stale, lease, refresh) : this.load(target);
    this.core.flights.set(target.final, running);
    const forget = () => this.core.flights.delete(target.final);
    running.then(forget, forget);
    return running;
  }

  private async load<T>(target: LoadTarget<T>): Promise<T> {
    const started = performance.now();
    this.core.resilience.loaderCalls++;
    let value: T;
    try {
      value = await target.loader({ key: target.key });
    } catch (error) {
      this.core.resilience.loaderErrors++;
      throw error;
    }
    if (value !== undefined) {
      try {
        await target.store(value, performance.now() - started);
      } catch (error) {
        this.core.events.emit('writeback:error', { key: target.final, error });
      }
    }
    return value;
  }

  /**
   * The lease holder loads; the others serve stale, or poll for the holder's value. A lease whose
   * holder died expires after its TTL and the next caller takes it.
   */
  private async loadUnderLease<T>(
    target: LoadTarget<T>,
    stale: Entry<T> | undefined,
    lease: true | { ttl?: number; wait?: number },
    refresh: boolean,
  ): Promise<T> {
    const atomic = this.core.adapter.atomic;
    if (atomic === undefined)
      throw new UnsupportedError(`adapter '${this.core.adapter.name}' cannot take leases (no add)`);
    const leaseTtl = (lease === true ? undefined : lease.ttl) ?? 5000;
    const wait = (lease === true ? undefined : lease.wait) ?? leaseTtl * 3;
    const leaseKey = `${target.final}@lease`;
    const deadline = Date.now() + wait;
    for (let attempt = 0; ; attempt++) {
      const token = encoder.encode(randomBytes(8).toString('base64url'));
      const won = await this.core.call('add', this.core.nodeOf(leaseKey), leaseKey, undefined, () =>
        atomic.add(leaseKey, token, leaseTtl),
      );
      if (won) {
        try {
          // A holder that finished between our first read and this lease stored its value first
          // (an early refresh loads anyway: the entry it saw was fresh).
          const loaded = refresh ? undefined : await target.read().catch(() => undefined);
          if (loaded !== undefined && !loaded.stale) return loaded.value;
          return await this.load(target);
        } finally {
          await this.release(leaseKey, token);
        }
      }
      if (stale !== undefined) return stale.value;
      this.core.resilience.leaseWaits++;
      // Poll for the holder's value; when the lease is gone without one, compete again.
      while (Date.now() < deadline) {
        await sleep(Math.min(25, 5 + attempt * 5));
        const entry = await target.read().catch(() => undefined);
        if (entry !== undefined) return entry.value;
        const held = await this.core.adapter.get(leaseKey).catch(() => undefined);
        if (held === undefined) {
          // The holder stores its value before releasing the lease, so a value missed by the read
          // above may be there now: read again before competing (else two processes could load).
          const after = await target.read().catch(() => undefined);
          if (after !== undefined) return after.value;
          break;
        }
      }
      if (Date.now() >= deadline) {
        throw new TimeoutError(`no value for ${target.final} after waiting ${wait} ms on its lease`, {
          key: target.final,
        });
      }
    }
  }

  /** Deletes the lease only if it is still ours: an expired lease may belong to another process now. */
  private async release(leaseKey: string, token: Uint8Array): Promise<void> {
    try {
      const held = await this.core.adapter.get(leaseKey);
      if (held !== undefined && Buffer.from(held).equals(token)) await this.core.adapter.delete(leaseKey);
    } catch {
      // The lease expires on its own.
    }
  }
}

/** XFetch (Vattani et al.): refresh when now − loadMs·β·ln(U) ≥ expiry. */
function shouldRefreshEarly(entry: Entry<unknown>, earlyRefresh: boolean | number): boolean {
  const expiresAt = entry.header?.expiresAt;
  const loadMs = entry.header?.loadMs;
  if (expiresAt === undefined || loadMs === undefined) return false;
  const beta = earlyRefresh === true ? 1 : Number(earlyRefresh);
  return Date.now() - loadMs * beta * Math.log(Math.random()) >= expiresAt;
}

function withTimeout<T>(promise: Promise<T>, ms: number | undefined, key: string): Promise<T> {
  if (ms === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`the loader of ${key} took over ${ms} ms`, { key })),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
