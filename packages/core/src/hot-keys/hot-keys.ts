import { ConfigError } from '../errors.js';
import type { InvalidationBus } from '../tiers/bus.js';
import type { LocalTier } from '../tiers/local-tier.js';
import type { TierMessage } from '../tiers/messages.js';
import { SpaceSaving } from './space-saving.js';

export type HotKeyPolicy = 'detect' | 'local' | 'split';

export interface HotKeyOptions {
  /**
   * What to do with a hot key: only report it (`'detect'`), keep it in a short-lived per-process
   * tier (`'local'`), or spread it over shards on distinct nodes (`'split'`). @default 'detect'
   */
  policy?: HotKeyPolicy;
  /** Keys whose policy differs from the default. `'split'` patterns split from the first access, with no detection. */
  patterns?: { match: string | RegExp; policy: HotKeyPolicy | 'none' }[];
  /** Detection window in ms (tumbling). @default 1000 */
  windowMs?: number;
  /** Counters of the Space-Saving summary: memory is O(capacity). @default 256 */
  capacity?: number;
  /** A key is hot when it takes at least this share of the window's reads… @default 0.02 */
  threshold?: number;
  /** …and at least this many reads. @default 50 */
  minCount?: number;
  /** Windows a key must stay below half the threshold before it is demoted. @default 3 */
  coolWindows?: number;
  /** Shards of a split key, on distinct nodes. @default every node, at most 8 */
  replicas?: number;
  /** The longest a shard lives, ms: bounds staleness if a fan-out is missed. @default 30000 */
  splitTtl?: number;
  /** TTL of hot keys in the `'local'` tier, ms. @default 1000 */
  localTtl?: number;
  /** Wait between announcing a split and reading from its shards, ms (bus propagation). @default 100 */
  promotionDelay?: number;
  /**
   * Where processes announce splits when the cache has no local tier (with one, its bus is used).
   * Automatic splitting needs a bus: without one, only `patterns` split.
   */
  bus?: InvalidationBus;
  /** @default 'ringcache:invalidate' */
  channel?: string;
}

export interface HotKeyEntry {
  key: string;
  node: string | undefined;
  count: number;
  policy: HotKeyPolicy;
}

interface Split {
  epoch: number;
  shards: string[];
  /** Reads use shards only once every process had time to hear of the split. */
  active: boolean;
  /** From a pattern: every process splits it without messages. */
  fixed: boolean;
}

export interface HotKeyEnvironment {
  nodeOf(key: string): string | undefined;
  nodeCount(): number;
  /** False for keys that cannot be spread (a Redis `{hash tag}`) or would be too long with a suffix. */
  canSplit(key: string): boolean;
  /** Copies the base value into the shards (promotion), or deletes them (demotion, repair). */
  fillShards(key: string, shards: string[]): Promise<void>;
  deleteShards(shards: string[]): Promise<void>;
  emit(event: 'promote' | 'demote', entry: HotKeyEntry): void;
}

/**
 * Finds hot keys per window and applies the configured mitigation. Splitting is coordinated
 * over the local tier's bus: promotions and demotions carry an epoch, writers fan out to every
 * shard of a key they know is split, and a write from a process that did not know (its message
 * carries no epoch for the key) makes the others drop the shards so reads fall back to the base
 * key until the shards are refilled.
 */
export class HotKeys {
  private readonly policy: HotKeyPolicy;
  private readonly summary: SpaceSaving;
  private readonly hot = new Map<string, { entry: HotKeyEntry; cool: number }>();
  private readonly splits = new Map<string, Split>();
  private readonly timer: ReturnType<typeof setInterval>;
  private lastTop: HotKeyEntry[] = [];
  private epoch = Date.now();
  readonly windowMs: number;
  readonly localTtl: number;
  private readonly threshold: number;
  private readonly minCount: number;
  private readonly coolWindows: number;
  private readonly splitTtl: number;
  private readonly promotionDelay: number;

  constructor(
    private readonly options: HotKeyOptions,
    private readonly environment: HotKeyEnvironment,
    private readonly bus: LocalTier | undefined,
  ) {
    this.policy = options.policy ?? 'detect';
    this.windowMs = positive(options.windowMs ?? 1000, 'hotKeys.windowMs');
    this.summary = new SpaceSaving(positive(options.capacity ?? 256, 'hotKeys.capacity'));
    this.threshold = options.threshold ?? 0.02;
    this.minCount = options.minCount ?? 50;
    this.coolWindows = options.coolWindows ?? 3;
    this.splitTtl = positive(options.splitTtl ?? 30_000, 'hotKeys.splitTtl');
    this.localTtl = positive(options.localTtl ?? 1000, 'hotKeys.localTtl');
    this.promotionDelay = options.promotionDelay ?? 100;
    if (!(this.threshold > 0 && this.threshold <= 1))
      throw new ConfigError('hotKeys.threshold must be in (0, 1]');
    this.timer = setInterval(() => this.endWindow(), this.windowMs);
    this.timer.unref?.();
  }

  /** Counts one read of a final key. O(1). */
  record(key: string): void {
    this.summary.record(key);
  }

  /** Whether reads of this key go through the short-lived local tier. */
  isLocal(key: string): boolean {
    return this.hot.get(key)?.entry.policy === 'local';
  }

  /** The key a read should use: a random shard of an active split, or the key itself. */
  readKey(key: string): string {
    const split = this.splitOf(key);
    if (split === undefined || !split.active) return key;
    return split.shards[Math.floor(Math.random() * split.shards.length)]!;
  }

  /** Shards a write must also reach, or undefined when the key is not split. */
  shardsOf(key: string): string[] | undefined {
    return this.splitOf(key)?.shards;
  }

  /** The epoch of each split key among `keys`, sent with invalidations as proof of fan-out. */
  epochsOf(keys: readonly string[]): Record<string, number> | undefined {
    const epochs: Record<string, number> = {};
    let found = false;
    for (const key of keys) {
      const split = this.splits.get(key);
      if (split === undefined) continue;
      epochs[key] = split.epoch;
      found = true;
    }
    return found ? epochs : undefined;
  }

  /** TTL for shards: never longer than `splitTtl`. */
  shardTtl(ttl: number): number {
    return ttl === 0 ? this.splitTtl : Math.min(ttl, this.splitTtl);
  }

  /** The hottest keys of the last window. */
  top(): HotKeyEntry[] {
    return this.lastTop;
  }

  /** Bus messages from other processes. */
  receive(message: TierMessage): void {
    if (message.type === 'split') {
      this.epoch = Math.max(this.epoch, message.epoch);
      const known = this.splits.get(message.key);
      if (known !== undefined && known.epoch >= message.epoch) return;
      const split: Split = { epoch: message.epoch, shards: message.shards, active: false, fixed: false };
      this.splits.set(message.key, split);
      this.activateLater(split);
    } else if (message.type === 'unsplit') {
      const known = this.splits.get(message.key);
      if (known !== undefined && known.epoch <= message.epoch && !known.fixed)
        this.splits.delete(message.key);
    } else if (message.type === 'keys') {
      for (const key of message.keys) {
        const split = this.splits.get(key);
        // The writer did not fan out: its value is only in the base key.
        if (split !== undefined && !split.fixed && (message.splitEpochs?.[key] ?? -1) < split.epoch) {
          void this.environment.deleteShards(split.shards).catch(() => {});
        }
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private splitOf(key: string): Split | undefined {
    const split = this.splits.get(key);
    if (split !== undefined) return split;
    if (this.patternPolicy(key) !== 'split' || !this.environment.canSplit(key)) return undefined;
    const fixed: Split = { epoch: 0, shards: this.shardKeys(key), active: true, fixed: true };
    this.splits.set(key, fixed);
    return fixed;
  }

  private endWindow(): void {
    const total = this.summary.accesses;
    const floor = Math.max(this.minCount, this.threshold * total);
    const top = this.summary.top(this.summary.capacity).filter((entry) => entry.count >= floor / 2);
    this.lastTop = top.slice(0, 20).map((entry) => this.entry(entry.key, entry.count));
    const hotNow = new Set<string>();
    for (const { key, count } of top) {
      if (count < floor && !this.hot.has(key)) continue;
      if (count >= floor / 2) hotNow.add(key);
      const current = this.hot.get(key);
      if (current !== undefined) {
        current.cool = 0;
        current.entry = { ...current.entry, count };
      } else {
        this.promote(this.entry(key, count));
      }
    }
    for (const [key, state] of this.hot) {
      if (hotNow.has(key)) continue;
      if (++state.cool >= this.coolWindows) this.demote(key, state.entry);
    }
    this.summary.reset();
  }

  private entry(key: string, count: number): HotKeyEntry {
    const pattern = this.patternPolicy(key);
    const policy = pattern === undefined || pattern === 'none' ? this.policy : pattern;
    return { key, node: this.environment.nodeOf(key), count, policy: pattern === 'none' ? 'detect' : policy };
  }

  private promote(entry: HotKeyEntry): void {
    let policy = entry.policy;
    // Automatic splits need every process to agree on the split set: only with a bus.
    if (policy === 'split' && (this.bus?.bus === undefined || !this.environment.canSplit(entry.key)))
      policy = 'local';
    const promoted = { ...entry, policy };
    this.hot.set(entry.key, { entry: promoted, cool: 0 });
    this.environment.emit('promote', promoted);
    if (policy !== 'split' || this.splits.has(entry.key)) return;
    const split: Split = {
      epoch: ++this.epoch,
      shards: this.shardKeys(entry.key),
      active: false,
      fixed: false,
    };
    this.splits.set(entry.key, split);
    void this.bus?.publish({
      type: 'split',
      origin: this.bus.origin,
      key: entry.key,
      epoch: split.epoch,
      shards: split.shards,
    });
    this.activateLater(split, () => this.environment.fillShards(entry.key, split.shards));
  }

  private demote(key: string, entry: HotKeyEntry): void {
    this.hot.delete(key);
    this.environment.emit('demote', entry);
    const split = this.splits.get(key);
    if (split === undefined || split.fixed) return;
    this.splits.delete(key);
    void this.bus?.publish({ type: 'unsplit', origin: this.bus.origin, key, epoch: split.epoch });
    void this.environment.deleteShards(split.shards).catch(() => {});
  }

  /** Waits for the promotion to propagate, refills shards from the base key, then serves from them. */
  private activateLater(split: Split, fill?: () => Promise<void>): void {
    const timer = setTimeout(async () => {
      try {
        await fill?.();
        split.active = true;
      } catch {
        // Shards could not be written: keep reading the base key; the next window retries.
        if (this.splits.get(this.keyOf(split)) === split) this.splits.delete(this.keyOf(split));
      }
    }, this.promotionDelay);
    timer.unref?.();
  }

  private keyOf(split: Split): string {
    for (const [key, value] of this.splits) if (value === split) return key;
    return '';
  }

  /** Shard keys `<key>#hot<i>` chosen so that they land on distinct nodes. */
  private shardKeys(key: string): string[] {
    const wanted = Math.min(
      this.options.replicas ?? Math.min(this.environment.nodeCount(), 8),
      this.environment.nodeCount(),
    );
    const shards: string[] = [];
    const nodes = new Set<string | undefined>();
    for (let index = 0; shards.length < wanted && index < wanted * 64; index++) {
      const shard = `${key}#hot${index}`;
      const node = this.environment.nodeOf(shard);
      if (nodes.has(node)) continue;
      nodes.add(node);
      shards.push(shard);
    }
    return shards;
  }

  private patternPolicy(key: string): HotKeyPolicy | 'none' | undefined {
    for (const pattern of this.options.patterns ?? []) {
      if (typeof pattern.match === 'string' ? key.startsWith(pattern.match) : pattern.match.test(key)) {
        return pattern.policy;
      }
    }
    return undefined;
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new ConfigError(`${name} must be a positive number`);
  return value;
}
