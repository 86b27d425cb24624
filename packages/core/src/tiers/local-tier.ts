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
 * - writes drop the key locally before and after the L2 write, then publish the key on the bus;
 * - while the bus subscription is down, L1 is flushed and bypassed, since it cannot hear changes.
 */
export class LocalTier {
  readonly origin = randomUUID();
  private readonly store: LRUCache<string, Uint8Array>;
  private readonly fills = new Map<string, object>();
  private readonly ttl: number;
  private readonly channel: string;
  private active: boolean;
  private pending: string[] = [];
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
    this.store = new LRUCache({ max: maxEntries, ttl: this.ttl });
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

  get(key: string): Uint8Array | undefined {
    if (!this.active) return undefined;
    const value = this.store.get(key);
    if (value === undefined) this.counts.misses++;
    else this.counts.hits++;
    return value;
  }

  /** Call before reading L2; pass the token to `fill`. */
  beginFill(key: string): object {
    const token = {};
    this.fills.set(key, token);
    return token;
  }

  /** Stores what L2 returned, unless the key was invalidated since `beginFill`. */
  fill(key: string, value: Uint8Array, token: object, ttl?: number): void {
    if (this.fills.get(key) !== token) return;
    this.fills.delete(key);
    if (this.active) {
      this.store.set(key, ownBytes(value), ttl === undefined ? {} : { ttl: Math.min(ttl, this.ttl) });
    }
  }

  /** Drops keys here; with `publish`, also tells other processes (batched per tick). */
  invalidate(keys: readonly string[], publish: boolean): Promise<void> {
    for (const key of keys) {
      this.store.delete(key);
      this.fills.delete(key);
    }
    if (!publish || this.options.bus === undefined) return Promise.resolve();
    for (const key of keys) this.pending.push(key);
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
    const keys = this.pending;
    this.pending = [];
    this.flushing = undefined;
    await this.publish({ type: 'keys', origin: this.origin, keys });
  }

  private receive(bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    if (message === undefined || message.origin === this.origin) return;
    this.counts.invalidationsReceived++;
    if (message.type === 'keys') {
      for (const key of message.keys) {
        this.store.delete(key);
        this.fills.delete(key);
      }
    } else if (message.type === 'prefix') {
      this.dropPrefix(message.prefix ?? undefined);
    }
    this.onForeignMessage?.(message);
  }

  private dropPrefix(prefix: string | undefined): void {
    if (prefix === undefined) {
      this.store.clear();
      this.fills.clear();
      return;
    }
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
