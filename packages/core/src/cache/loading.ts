import { createHash, randomBytes } from 'node:crypto';
import { RingcacheError, TimeoutError, UnsupportedError } from '../errors.js';
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

  /**
   * Runs the loader and writes its value back. `holds`, for a lease holder, says whether the
   * lease is still this load's: a holder whose lease expired (and may belong to another process
   * now) returns its value but does not overwrite the newer holder's.
   */
  private async load<T>(target: LoadTarget<T>, holds?: () => Promise<boolean>): Promise<T> {
    const started = performance.now();
    this.core.resilience.loaderCalls++;
    let value: T;
    try {
      value = await target.loader({ key: target.key });
    } catch (error) {
      this.core.resilience.loaderErrors++;
      throw error;
    }
    if (value === undefined) return value;
    try {
      if (holds !== undefined && !(await holds())) {
        throw new TimeoutError(
          `the lease on ${target.final} expired before its loader finished; not written`,
          {
            key: target.final,
          },
        );
      }
      await target.store(value, performance.now() - started);
    } catch (error) {
      this.core.events.emit('writeback:error', { key: target.final, error });
    }
    return value;
  }

  /**
   * The lease holder loads; the others serve stale, or poll for the holder's value. A lease whose
   * holder died expires after its TTL and the next caller takes it. Every engine call goes through
   * `core.call`, so the cache's timeout bounds each one; when no lease can be taken (the backend
   * fails) the load runs without one, as degraded mode runs the loader when the backend fails.
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
    const leaseKey = leaseKeyOf(target.final, this.core.adapter.capabilities.maxKeyBytes);
    const node = this.core.nodeOf(leaseKey);
    const deadline = Date.now() + wait;
    for (let attempt = 0; ; attempt++) {
      // A fencing token: unique per grant, so only this grant's holder can release it (atomically
      // where the adapter has `deleteIfEquals`) or write back under it.
      const token = encoder.encode(randomBytes(16).toString('base64url'));
      let won: boolean;
      try {
        won = await this.core.call('add', node, leaseKey, undefined, () =>
          atomic.add(leaseKey, token, leaseTtl),
        );
      } catch (error) {
        if (RingcacheError.hasCode(error, 'E_CLOSED')) throw error;
        this.reportFailure('add', leaseKey, node, error);
        return this.load(target);
      }
      if (won) {
        try {
          // A holder that finished between our first read and this lease stored its value first
          // (an early refresh loads anyway: the entry it saw was fresh).
          const loaded = refresh ? undefined : await target.read().catch(() => undefined);
          if (loaded !== undefined && !loaded.stale) return loaded.value;
          return await this.load(target, () => this.holds(leaseKey, node, token));
        } finally {
          await this.release(leaseKey, node, token);
        }
      }
      if (stale !== undefined) return stale.value;
      this.core.resilience.leaseWaits++;
      // Poll for the holder's value; when the lease is gone without one, compete again.
      while (Date.now() < deadline) {
        await sleep(Math.min(25, 5 + attempt * 5));
        const entry = await target.read().catch(() => undefined);
        if (entry !== undefined) return entry.value;
        // A failed lease read counts as no lease: competing again then finds the backend down
        // and loads without one.
        const held = await this.readLease(leaseKey, node).catch(() => undefined);
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

  private readLease(leaseKey: string, node: string | undefined): Promise<Uint8Array | undefined> {
    return this.core.call('get', node, leaseKey, undefined, () => this.core.adapter.get(leaseKey));
  }

  /**
   * Whether the lease still holds this grant's token, checked just before the write-back. A
   * window remains: the lease can expire between this read and the write, and a new holder's
   * value can then be overwritten by ours (both are fresh loads). Closing it would need the
   * engine to compare the token and write in one step, which not every engine offers.
   * An unreadable lease lets the write go ahead: the write reports its own failure.
   */
  private async holds(leaseKey: string, node: string | undefined, token: Uint8Array): Promise<boolean> {
    const held = await this.readLease(leaseKey, node).catch(() => token);
    return held !== undefined && Buffer.from(held).equals(token);
  }

  /**
   * Deletes the lease only if it is still ours: an expired lease may belong to another process
   * now. Atomic with the adapter's `deleteIfEquals`; otherwise a GET then a DELETE, where a lease
   * that expires and is granted to another process between the two is deleted (its key is then
   * loaded once more at worst).
   */
  private async release(leaseKey: string, node: string | undefined, token: Uint8Array): Promise<void> {
    const atomic = this.core.adapter.atomic!;
    try {
      if (atomic.deleteIfEquals !== undefined) {
        await this.core.call('deleteIfEquals', node, leaseKey, undefined, () =>
          atomic.deleteIfEquals!(leaseKey, token),
        );
        return;
      }
      const held = await this.readLease(leaseKey, node);
      if (held !== undefined && Buffer.from(held).equals(token)) {
        await this.core.call('delete', node, leaseKey, undefined, () => this.core.adapter.delete(leaseKey));
      }
    } catch {
      // The lease expires on its own.
    }
  }

  /** A failed engine call the load went past: counted and evented like any backend failure. */
  private reportFailure(operation: string, key: string, node: string | undefined, error: unknown): void {
    if (node !== undefined) this.core.counters.for(node).errors++;
    this.core.events.emit('backend:error', { operation, key, node, error });
  }
}

/**
 * The lease key of a final key: `<final>@lease`, or, when that would pass the adapter's key limit
 * (a 245–250-byte key on memcached), `@lease:` and the key's SHA-256, which always fits.
 */
export function leaseKeyOf(final: string, maxKeyBytes: number): string {
  const plain = `${final}@lease`;
  if (Buffer.byteLength(plain) <= maxKeyBytes) return plain;
  return `@lease:${createHash('sha256').update(final).digest('base64url')}`;
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
