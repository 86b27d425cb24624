import type { AdapterEntry } from '../adapter.js';
import { ConfigError } from '../errors.js';
import type { InvalidationBus } from '../tiers/bus.js';
import type { LocalTier } from '../tiers/local-tier.js';
import type { TierMessage } from '../tiers/messages.js';
import { HotKeyDetector, type HotKeyDetectorOptions, type HotKeyReport } from './hot-key-detector.js';
import { ShardWriter, type Split } from './shard-writer.js';

export type HotKeyPolicy = 'detect' | 'local' | 'split';

/** Detection (window, slices, capacity, threshold, minCount, coolWindows) as `HotKeyDetector`'s, plus mitigation. */
export interface HotKeyOptions extends Omit<HotKeyDetectorOptions, 'timer'> {
  /**
   * What to do with a hot key: only report it (`'detect'`), keep it in a short-lived per-process
   * tier (`'local'`), or spread it over shards on distinct nodes (`'split'`). With `'split'`, every
   * write also reads the key's split marker (one more engine read, after the write): every process
   * that writes keys which may split must use `'split'` too. @default 'detect'
   */
  policy?: HotKeyPolicy;
  /** Keys whose policy differs from the default. `'split'` patterns split from the first access, with no detection. */
  patterns?: { match: string | RegExp; policy: HotKeyPolicy | 'none' }[];
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

/** A shard write or delete that failed: a shard may hold an old value until `splitTtl`. */
export interface ShardError {
  key: string;
  shards: string[];
  operation: 'fill' | 'repair' | 'fan-out' | 'delete' | 'marker';
  error: unknown;
}

export interface HotKeyEnvironment {
  nodeOf(key: string): string | undefined;
  nodeCount(): number;
  /** False for keys that cannot be spread (a Redis `{hash tag}`) or would be too long with a suffix. */
  canSplit(key: string): boolean;
  /** Engine reads (base keys, markers) under the cache's timeout; values in input order. */
  read(keys: string[], signal?: AbortSignal): Promise<(Uint8Array | undefined)[]>;
  write(entries: AdapterEntry[], signal?: AbortSignal): Promise<void>;
  /** Stores only if the key holds nothing; undefined when the adapter has no atomic operations. */
  add: ((key: string, value: Uint8Array, ttl: number) => Promise<boolean>) | undefined;
  remove(keys: string[], signal?: AbortSignal): Promise<void>;
  emit(event: 'promote' | 'demote', entry: HotKeyEntry): void;
  shardError(error: ShardError): void;
}

/**
 * Applies the configured mitigation to the keys the detector finds hot. Splitting is coordinated
 * two ways: promotions and demotions are published on the bus (readers learn where to read), and
 * a marker entry beside the key tells every writer which shards to update before it acknowledges
 * (see `ShardWriter`). Detection itself is `HotKeyDetector`'s.
 */
export class HotKeys {
  private readonly policy: HotKeyPolicy;
  private readonly detector: HotKeyDetector;
  private readonly hot = new Map<string, HotKeyEntry>();
  private readonly splits = new Map<string, Split>();
  private readonly writer: ShardWriter;
  /** Epochs found in markers by `afterWrite`, until the write's invalidation carries them. */
  private readonly fannedOut = new Map<string, number>();
  private readonly refresher: ReturnType<typeof setInterval>;
  private epoch = Date.now();
  readonly windowMs: number;
  readonly localTtl: number;
  private readonly promotionDelay: number;

  constructor(
    private readonly options: HotKeyOptions,
    private readonly environment: HotKeyEnvironment,
    private readonly bus: LocalTier | undefined,
  ) {
    this.policy = options.policy ?? 'detect';
    this.detector = new HotKeyDetector(options, {
      nodeOf: (key) => environment.nodeOf(key),
      promote: (report) => this.promote(this.entry(report)),
      demote: (report) => this.demote(report.key, this.hot.get(report.key) ?? this.entry(report)),
    });
    this.windowMs = this.detector.windowMs;
    const splitTtl = positive(options.splitTtl ?? 30_000, 'hotKeys.splitTtl');
    this.localTtl = positive(options.localTtl ?? 1000, 'hotKeys.localTtl');
    this.promotionDelay = options.promotionDelay ?? 100;
    this.writer = new ShardWriter(environment, this.splits, splitTtl, this.policy === 'split');
    // Markers of splits this process made are rewritten before they run out, while the key stays hot.
    this.refresher = setInterval(() => this.writer.refreshMarkers(), splitTtl / 2);
    this.refresher.unref?.();
  }

  /** Counts one read of a final key. O(1). */
  record(key: string): void {
    this.detector.record(key);
  }

  /** Whether reads of this key go through the short-lived local tier. */
  isLocal(key: string): boolean {
    return this.hot.get(key)?.policy === 'local';
  }

  /** The key a read should use: a random shard of an active split, or the key itself. */
  readKey(key: string): string {
    const split = this.splitOf(key);
    if (split === undefined || !split.active) return key;
    return split.shards[Math.floor(Math.random() * split.shards.length)]!;
  }

  /**
   * After a write, delete or atomic change of the base keys has been applied: updates (`value`
   * given) or deletes every shard of the ones that are split, known here or through their marker.
   * Resolves before the caller acknowledges. @returns the split epochs to send with the invalidation
   * @throws the engine's error when a marker cannot be read or a shard cannot be reached
   */
  async afterWrite(
    changes: readonly { key: string; value?: Uint8Array; ttl?: number }[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const keys = changes.map((change) => change.key);
    // Again after the base write: a repair that read the old value in between must not write it back.
    this.writer.cancelRepairs(keys);
    for (const key of keys) this.splitOf(key);
    const epochs = await this.writer.afterWrite(changes, signal);
    if (epochs !== undefined) for (const key in epochs) this.fannedOut.set(key, epochs[key]!);
  }

  /** The split epoch of each key among `keys` whose shards the last write reached, sent with invalidations. */
  epochsOf(keys: readonly string[]): Record<string, number> | undefined {
    let epochs: Record<string, number> | undefined;
    for (const key of keys) {
      // Only what this write reached: a process that knows a split from the bus but did not read
      // the marker (policy other than 'split') must let the others drop the shards.
      const split = this.splits.get(key);
      const epoch = this.fannedOut.get(key) ?? (split?.fixed ? split.epoch : undefined);
      this.fannedOut.delete(key);
      if (epoch === undefined) continue;
      epochs ??= {};
      epochs[key] = epoch;
    }
    return epochs;
  }

  /** Keys written or invalidated here: a shard repair that read them before must not write back. */
  cancelRepairs(keys: readonly string[]): void {
    this.writer.cancelRepairs(keys);
  }

  /** A shard missed: reads the base key and repairs the shard in the background. */
  readBase(key: string, shard: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    return this.writer.repair(key, shard, signal);
  }

  /** The hottest keys of the window at the last step. */
  top(): HotKeyEntry[] {
    return this.detector.top().map((report) => this.entry(report));
  }

  /** Failed shard writes and deletes since the cache was created. */
  get shardErrors(): number {
    return this.writer.errors;
  }

  /** Bus messages from other processes. */
  receive(message: TierMessage): void {
    if (message.type === 'split') {
      this.epoch = Math.max(this.epoch, message.epoch);
      const known = this.splits.get(message.key);
      if (known !== undefined && known.epoch >= message.epoch) return;
      const split: Split = { epoch: message.epoch, shards: message.shards, active: false, fixed: false };
      this.splits.set(message.key, split);
      this.activateLater(message.key, split);
    } else if (message.type === 'unsplit') {
      const known = this.splits.get(message.key);
      if (known !== undefined && known.epoch <= message.epoch && !known.fixed)
        this.splits.delete(message.key);
    } else if (message.type === 'keys') {
      this.writer.cancelRepairs(message.keys);
      for (const key of message.keys) {
        const split = this.splits.get(key);
        // A writer without split logic (no epoch for the key) reached only the base key.
        if (split !== undefined && !split.fixed && (message.splitEpochs?.[key] ?? -1) < split.epoch) {
          void this.writer.deleteShards(key, split.shards);
        }
      }
    }
  }

  close(): void {
    this.detector.close();
    clearInterval(this.refresher);
  }

  private splitOf(key: string): Split | undefined {
    const split = this.splits.get(key);
    if (split !== undefined) return split;
    if (this.patternPolicy(key) !== 'split' || !this.environment.canSplit(key)) return undefined;
    const fixed: Split = { epoch: 0, shards: this.shardKeys(key), active: true, fixed: true };
    this.splits.set(key, fixed);
    return fixed;
  }

  private entry(report: HotKeyReport): HotKeyEntry {
    const pattern = this.patternPolicy(report.key);
    const policy = pattern === undefined || pattern === 'none' ? this.policy : pattern;
    return {
      key: report.key,
      node: report.node,
      count: report.count,
      policy: pattern === 'none' ? 'detect' : policy,
    };
  }

  private promote(entry: HotKeyEntry): void {
    let policy = entry.policy;
    // Automatic splits need every process to agree on the split set: only with a bus.
    if (policy === 'split' && (this.bus?.bus === undefined || !this.environment.canSplit(entry.key)))
      policy = 'local';
    const promoted = { ...entry, policy };
    this.hot.set(entry.key, promoted);
    this.environment.emit('promote', promoted);
    if (policy !== 'split' || this.splits.has(entry.key)) return;
    const split: Split = {
      epoch: ++this.epoch,
      shards: this.shardKeys(entry.key),
      active: false,
      fixed: false,
      owned: true,
    };
    this.splits.set(entry.key, split);
    void this.writer
      .fill(entry.key, split)
      .then(async (filled) => {
        if (!filled || this.splits.get(entry.key) !== split) return;
        await this.bus?.publish({
          type: 'split',
          origin: this.bus.origin,
          key: entry.key,
          epoch: split.epoch,
          shards: split.shards,
        });
        this.activateLater(entry.key, split);
      })
      .catch(() => {
        // The marker or shards could not be written: keep reading the base key; a later promotion retries.
        if (this.splits.get(entry.key) === split) this.splits.delete(entry.key);
      });
  }

  private demote(key: string, entry: HotKeyEntry): void {
    this.hot.delete(key);
    this.environment.emit('demote', entry);
    const split = this.splits.get(key);
    if (split === undefined || split.fixed) return;
    this.splits.delete(key);
    void this.bus?.publish({ type: 'unsplit', origin: this.bus.origin, key, epoch: split.epoch });
    void this.writer.retire(key, split);
  }

  /** Serves from the shards once other processes had time to hear of the split. */
  private activateLater(key: string, split: Split): void {
    const timer = setTimeout(() => {
      if (this.splits.get(key) === split) split.active = true;
    }, this.promotionDelay);
    timer.unref?.();
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
