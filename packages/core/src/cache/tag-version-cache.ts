import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { InvalidationBus } from '../tiers/bus.js';

export interface TagVersionCacheOptions {
  /** The L1's bus: tag invalidations travel on `<channel>:tags`. */
  bus: InvalidationBus;
  /** The L1's TTL: the longest a version is trusted if an invalidation is lost. */
  ttl: number;
  channel: string;
  onBusError(error: unknown): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Tag versions this process has read, so that reading a tagged entry (an L1 hit above all) needs
 * no engine round trip while nothing changed. Kept only while the bus subscription is live, and
 * at most `ttl` each (the L1's staleness bound when an invalidation is lost): `invalidateTags` in
 * any process publishes the tags, and every other process forgets their versions, so its next
 * read of an entry with those tags asks the engine again (and finds it stale).
 */
export class TagVersionCache {
  private readonly origin = randomUUID();
  private readonly versions: LRUCache<string, string>;
  private readonly channel: string;
  private live = false;
  /**
   * Bumped by every invalidation heard or made and every subscription change. A version read
   * from the engine is kept only if the epoch did not move during the read: otherwise the read
   * may predate an invalidation and keep the old version alive.
   */
  private epoch = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: TagVersionCacheOptions) {
    this.versions = new LRUCache({ max: 10_000, ttl: options.ttl, ttlResolution: 0 });
    this.channel = `${options.channel}:tags`;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.bus.subscribe(this.channel, {
      onMessage: (bytes) => this.receive(bytes),
      onStatus: (status) => {
        // Messages may have been lost while down: nothing heard before can be trusted.
        this.forgetAll();
        this.live = status === 'up';
      },
    });
    this.live = true;
  }

  /** True when every tag's version is known here and equals the recorded one: no engine read. */
  matches(recorded: Readonly<Record<string, string>>, tags: readonly string[]): boolean {
    if (!this.live) return false;
    for (const tag of tags) if (this.versions.get(tag) !== recorded[tag]) return false;
    return true;
  }

  /** The epoch before an engine read of versions; hand it to `remember` with what was read. */
  begin(): number | undefined {
    return this.live ? this.epoch : undefined;
  }

  remember(
    epoch: number | undefined,
    tags: readonly string[],
    versions: readonly (string | undefined)[],
  ): void {
    if (epoch === undefined || epoch !== this.epoch || !this.live) return;
    tags.forEach((tag, index) => {
      const version = versions[index];
      if (version !== undefined) this.versions.set(tag, version);
    });
  }

  /** This process wrote new versions of `tags` to the engine: forget them here, tell the others. */
  async invalidated(tags: readonly string[]): Promise<void> {
    this.epoch++;
    for (const tag of tags) this.versions.delete(tag);
    try {
      const message = { v: 1, origin: this.origin, tags };
      await this.options.bus.publish(this.channel, encoder.encode(JSON.stringify(message)));
    } catch (error) {
      // Other processes keep the old versions for at most `ttl`.
      this.options.onBusError(error);
    }
  }

  async close(): Promise<void> {
    this.forgetAll();
    this.live = false;
    await this.unsubscribe?.().catch(() => {});
    this.unsubscribe = undefined;
  }

  private receive(bytes: Uint8Array): void {
    let message: { v?: unknown; origin?: unknown; tags?: unknown };
    try {
      message = JSON.parse(decoder.decode(bytes));
    } catch {
      return;
    }
    if (message?.v !== 1 || message.origin === this.origin || !Array.isArray(message.tags)) return;
    this.epoch++;
    for (const tag of message.tags) if (typeof tag === 'string') this.versions.delete(tag);
  }

  private forgetAll(): void {
    this.epoch++;
    this.versions.clear();
  }
}
