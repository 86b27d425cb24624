import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors.js';
import type { InvalidationBus } from './bus.js';
import { decodeMessage, encodeMessage, type TierMessage } from './messages.js';

export interface LocalTierOptions {
  /** Entries kept in this process. @default 10000 */
  maxEntries?: number;
  /**
   * The longest an entry lives in L1, in ms: the staleness bound when an invalidation is lost
   * (no bus, a dropped subscription, a failed publish). @default 5000
   */
  ttl?: number;
  /** Tells other processes which keys changed. Without one, L1 is invalidated only by this process's writes. */
  bus?: InvalidationBus;
  /** @default 'ringcache:invalidate' */
  channel?: string;
}

/** What a write tells the tier about the keys it changed, published with them. */
export interface ChangeDetails {
  /**
   * The TTL each key was just written with (ms, `0` = none), in the order of the keys: an L1
   * entry then never outlives the value it copies. Absent for deletes and for writes whose TTL
   * is unknown (atomic operations), which makes the tier forget what it knew.
   */
  ttls?: readonly number[] | undefined;
  /** Hot-key split epochs of the keys, for the processes that split them. */
  splitEpochs?: Record<string, number> | undefined;
}

export interface LocalTierStats {
  hits: number;
  misses: number;
  size: number;
  /** False while the bus subscription is down: L1 is flushed and bypassed. */
  active: boolean;
  invalidationsReceived: number;
}

/**
 * The per-process L1 in front of the shared cache. Holds serialized bytes, so callers never
 * share a mutable object. Correctness rules:
 * - a read fills L1 only if no invalidation of that key arrived while it was reading (fill tokens);
 * - an entry lives at most `ttl`, and never past the expiry of the value it copies when that is
 *   known: from the TTL of the last write of the key this process made or heard of on the bus
 *   (a value written before this process listened has no known expiry: `ttl` bounds it);
 * - writes drop the key locally before and after the L2 write, then publish the key on the bus;
 * - while the bus subscription is down, L1 is flushed and bypassed, since it cannot hear changes.
 */
export class LocalTier {
  readonly origin = randomUUID();
  private readonly store: LRUCache<string, Uint8Array>;
  private readonly fills = new Map<string, object>();
  /** `performance.now()` deadline of each key's value, from writes made here or heard on the bus. */
  private readonly expiries: LRUCache<string, number>;
  private readonly ttl: number;
  private readonly channel: string;
  private active: boolean;
  private pending: string[] = [];
  /** TTLs of the pending keys, in their order; null where unknown. */
  private pendingTtls: (number | null)[] = [];
  private pendingEpochs: Record<string, number> | undefined;
  private flushing: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly counts = { hits: 0, misses: 0, invalidationsReceived: 0 };
  /** Other components (hot-key splitting) listen to bus messages through here. */
  onForeignMessage: ((message: TierMessage) => void) | undefined;
  onBusError: ((error: unknown) => void) | undefined;

  constructor(private readonly options: LocalTierOptions) {
    this.ttl = options.ttl ?? 5000;
    this.channel = options.channel ?? 'ringcache:invalidate';
    const maxEntries = options.maxEntries ?? 10_000;
    if (!(Number.isFinite(this.ttl) && this.ttl > 0)) throw new ConfigError('local.ttl must be > 0 ms');
    if (!(Number.isInteger(maxEntries) && maxEntries > 0))
      throw new ConfigError('local.maxEntries must be > 0');
    // ttlResolution 0: ages from a fresh clock, not one cached until a timer runs (which lags
    // with the event loop, so an entry could look younger than it is).
    this.store = new LRUCache({ max: maxEntries, ttl: this.ttl, ttlResolution: 0 });
    this.expiries = new LRUCache({ max: maxEntries });
    // With a bus, L1 stays off until the subscription is live: it could miss invalidations before.
    this.active = options.bus === undefined;
  }

  get bus(): InvalidationBus | undefined {
    return this.options.bus;
  }

  async start(): Promise<void> {
    const bus = this.options.bus;
    if (bus === undefined) return;
    this.unsubscribe = await bus.subscribe(this.channel, {
      onMessage: (bytes) => this.receive(bytes),
      onStatus: (status) => {
        this.store.clear();
        this.fills.clear();
        this.active = status === 'up';
      },
    });
    this.active = true;
  }

  /** @param bound the caller's bound (a hot key's `localTtl`): an entry kept longer is refilled. */
  get(key: string, bound?: number): Uint8Array | undefined {
    if (!this.active) return undefined;
    let value = this.store.get(key);
    if (value !== undefined && bound !== undefined && this.store.getRemainingTTL(key) > bound) {
      // Filled under a longer bound, before the key became hot: read it again under this one.
      this.store.delete(key);
      value = undefined;
    }
    if (value === undefined) this.counts.misses++;
    else this.counts.hits++;
    return value;
  }

  /**
   * Call before reading L2; pass the token to `fill`. Concurrent reads of a key share one token
   * until an invalidation drops it: a new token per read would void every earlier read's fill, and
   * under steady concurrent misses almost none landed (12 of 93,911 in the hot-keys benchmark).
   */
  beginFill(key: string): object {
    let token = this.fills.get(key);
    if (token === undefined) {
      token = {};
      this.fills.set(key, token);
    }
    return token;
  }

  /**
   * Stores what L2 returned, unless the key was invalidated since `beginFill`, for at most `ttl`
   * (the caller's bound: a hot key's `localTtl`), the tier's own `ttl`
   * and what is left of the key's known TTL.
   */
  fill(key: string, value: Uint8Array, token: object, ttl?: number): void {
    if (this.fills.get(key) !== token) return;
    this.fills.delete(key);
    if (!this.active) return;
    const deadline = this.expiries.get(key);
    let lifetime = ttl === undefined ? this.ttl : Math.min(ttl, this.ttl);
    if (deadline !== undefined) lifetime = Math.min(lifetime, deadline - performance.now());
    lifetime = Math.floor(lifetime);
    // Past its known expiry (L2 may answer a little late: memcached rounds TTLs up to seconds),
    // or about to reach it: not worth keeping.
    if (lifetime < 1) return;
    this.store.set(key, ownBytes(value), lifetime === this.ttl ? {} : { ttl: lifetime });
  }

  /**
   * Drops keys here and notes their new TTLs (`details.ttls`, else forgets them); with
   * `publish`, also tells other processes, in one message per tick however many writes made it.
   */
  invalidate(keys: readonly string[], publish: boolean, details?: ChangeDetails): Promise<void> {
    const ttls = details?.ttls;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      this.store.delete(key);
      this.fills.delete(key);
      this.noteTtl(key, ttls?.[index]);
    }
    if (!publish || this.options.bus === undefined) return Promise.resolve();
    for (let index = 0; index < keys.length; index++) {
      this.pending.push(keys[index]!);
      this.pendingTtls.push(ttls?.[index] ?? null);
    }
    if (details?.splitEpochs !== undefined)
      this.pendingEpochs = { ...this.pendingEpochs, ...details.splitEpochs };
    this.flushing ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => this.flush());
    return this.flushing;
  }

  async invalidatePrefix(prefix: string | undefined, publish: boolean): Promise<void> {
    this.dropPrefix(prefix);
    if (publish) await this.publish({ type: 'prefix', origin: this.origin, prefix: prefix ?? null });
  }

  /** Sends a message on this tier's channel; failures are reported, not thrown. */
  async publish(message: TierMessage): Promise<void> {
    const bus = this.options.bus;
    if (bus === undefined) return;
    try {
      await bus.publish(this.channel, encodeMessage(message));
    } catch (error) {
      this.onBusError?.(error);
    }
  }

  stats(): LocalTierStats {
    return { ...this.counts, size: this.store.size, active: this.active };
  }

  async close(): Promise<void> {
    this.store.clear();
    await this.unsubscribe?.().catch(() => {});
  }

  private async flush(): Promise<void> {
    const { pending: keys, pendingTtls: ttls, pendingEpochs: splitEpochs } = this;
    this.pending = [];
    this.pendingTtls = [];
    this.pendingEpochs = undefined;
    this.flushing = undefined;
    await this.publish({
      type: 'keys',
      origin: this.origin,
      keys,
      ...(ttls.some((ttl) => ttl !== null) ? { ttls } : {}),
      ...(splitEpochs === undefined ? {} : { splitEpochs }),
    });
  }

  /** Remembers when a key's new value expires (`undefined`: unknown, forget it; `0`: never). */
  private noteTtl(key: string, ttl: number | null | undefined): void {
    if (typeof ttl === 'number' && ttl > 0) this.expiries.set(key, performance.now() + ttl);
    else this.expiries.delete(key);
  }

  private receive(bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    if (message === undefined || message.origin === this.origin) return;
    this.counts.invalidationsReceived++;
    if (message.type === 'keys') {
      // The bus delay makes a heard TTL end a little after the writer's: by milliseconds.
      const ttls = Array.isArray(message.ttls) ? message.ttls : undefined;
      message.keys.forEach((key, index) => {
        this.store.delete(key);
        this.fills.delete(key);
        this.noteTtl(key, ttls?.[index]);
      });
    } else if (message.type === 'prefix') {
      this.dropPrefix(message.prefix ?? undefined);
    }
    this.onForeignMessage?.(message);
  }

  private dropPrefix(prefix: string | undefined): void {
    if (prefix === undefined) {
      this.store.clear();
      this.fills.clear();
      this.expiries.clear();
      return;
    }
    for (const key of [...this.expiries.keys()]) if (key.startsWith(prefix)) this.expiries.delete(key);
    for (const key of [...this.store.keys()]) if (key.startsWith(prefix)) this.store.delete(key);
    for (const key of [...this.fills.keys()]) if (key.startsWith(prefix)) this.fills.delete(key);
  }
}

/**
 * The bytes L1 keeps: a value that is a view into a larger buffer is copied first. Clients hand
 * back replies as views of the socket read they arrived in (up to 64 KiB, holding other replies);
 * kept in L1, each would keep its whole read alive.
 */
function ownBytes(value: Uint8Array): Uint8Array {
  return value.byteLength === value.buffer.byteLength ? value : new Uint8Array(value);
}
