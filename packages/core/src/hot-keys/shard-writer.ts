import type { AdapterEntry } from '../adapter.js';
import type { HotKeyEnvironment, ShardError } from './hot-keys.js';
import { decodeMarker, encodeMarker, markerKey, type SplitMarker, sameBytes } from './split-marker.js';

export interface Split {
  epoch: number;
  shards: string[];
  /** Reads use shards only once every process had time to hear of the split. */
  active: boolean;
  /** From a pattern: every process splits it without messages or markers. */
  fixed: boolean;
  /** Promoted by this process, which keeps its marker alive. */
  owned?: boolean;
  /** When its marker runs out (epoch ms); only known to the owner. */
  until?: number;
}

/**
 * Every engine write a split makes, ordered so that a shard never keeps a value older than the
 * base key's after a write was acknowledged, across processes, with no compare-and-set:
 *
 * - A writer writes the base key first, then reads the marker, then updates or deletes the
 *   shards, and only then acknowledges.
 * - A promotion writes the marker first, then reads the base key and fills the shards, then reads
 *   the base key again and deletes the shards if it changed. A writer that missed the marker wrote
 *   the base before the marker existed, so the fill reads its value; one that saw it fans out.
 * - A repair (a shard missed) writes back only with `add` (set-if-absent: a writer's newer shard
 *   wins), only if no local write or bus invalidation of the key came in meanwhile, and then
 *   re-reads the base key: if it changed, the shard is deleted. Deleting a shard is always safe:
 *   reads fall back to the base key.
 */
export class ShardWriter {
  /** Failed shard and marker writes or deletes. */
  errors = 0;
  private readonly repairs = new Map<string, object>();
  /** Markers outlive every shard: shards get at most `splitTtl`, markers twice that, refreshed at half. */
  private readonly markerTtl: number;

  constructor(
    private readonly environment: HotKeyEnvironment,
    private readonly splits: Map<string, Split>,
    readonly splitTtl: number,
    /** Writers read markers only when splitting can happen automatically (`policy: 'split'`). */
    private readonly checkMarkers: boolean,
  ) {
    this.markerTtl = 2 * splitTtl;
  }

  async afterWrite(
    changes: readonly { key: string; value?: Uint8Array; ttl?: number }[],
    signal: AbortSignal | undefined,
  ): Promise<Record<string, number> | undefined> {
    const writes: AdapterEntry[] = [];
    const deletes: string[] = [];
    const lookups: { key: string; value?: Uint8Array; ttl?: number }[] = [];
    for (const change of changes) {
      const split = this.splits.get(change.key);
      if (split?.fixed !== true) {
        // A key that can never split (a hash tag, too long for a suffix) has no marker to read.
        if (this.checkMarkers && this.environment.canSplit(change.key)) lookups.push(change);
        continue;
      }
      if (change.value === undefined) deletes.push(...split.shards);
      else for (const shard of split.shards) writes.push(this.shardEntry(shard, change.value, change.ttl));
    }
    let epochs: Record<string, number> | undefined;
    if (lookups.length > 0) {
      const now = Date.now();
      const found = await this.environment.read(
        lookups.map((change) => markerKey(change.key)),
        signal,
      );
      lookups.forEach((change, index) => {
        const marker = decodeMarker(found[index], now);
        this.learn(change.key, marker);
        if (marker === undefined) return;
        epochs ??= {};
        epochs[change.key] = marker.epoch;
        if (marker.state === 'demoting' || change.value === undefined) deletes.push(...marker.shards);
        else {
          for (const shard of marker.shards)
            writes.push(this.shardEntry(shard, change.value, change.ttl, marker.until - now));
        }
      });
    }
    const pending: Promise<void>[] = [];
    if (writes.length > 0)
      pending.push(this.report(writes, 'fan-out', this.environment.write(writes, signal)));
    if (deletes.length > 0)
      pending.push(this.report(deletes, 'delete', this.environment.remove(deletes, signal)));
    await Promise.all(pending);
    return epochs;
  }

  cancelRepairs(keys: readonly string[]): void {
    for (const key of keys) this.repairs.delete(key);
  }

  /** Reads the base key for a shard that missed and repairs the shard in the background. */
  async repair(key: string, shard: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const token = {};
    this.repairs.set(key, token);
    const split = this.splits.get(key);
    const fixed = split?.fixed === true;
    const [bytes, markerBytes] = await this.environment.read(fixed ? [key] : [key, markerKey(key)], signal);
    const marker = fixed ? undefined : decodeMarker(markerBytes);
    if (!fixed && (marker?.state !== 'split' || !marker.shards.includes(shard))) {
      // The split ended (or its owner stopped keeping it): read the base key from now on.
      if (split !== undefined && this.splits.get(key) === split && !(split.owned && !split.active))
        this.splits.delete(key);
      this.release(key, token);
      return bytes;
    }
    if (bytes === undefined || this.repairs.get(key) !== token) {
      this.release(key, token);
      return bytes;
    }
    const ttl = Math.min(this.splitTtl, marker === undefined ? this.splitTtl : marker.until - Date.now());
    void this.writeBack(key, shard, bytes, ttl, token);
    return bytes;
  }

  /** Promotion: marker first, then the shards from the base key, checked against it afterwards. */
  async fill(key: string, split: Split): Promise<boolean> {
    try {
      await this.writeMarker(key, split, 'split');
      const [bytes] = await this.environment.read([key]);
      if (bytes === undefined) {
        await this.environment.remove(split.shards);
        return true;
      }
      await this.environment.write(split.shards.map((shard) => this.shardEntry(shard, bytes, 0)));
      const [after] = await this.environment.read([key]);
      if (!sameBytes(after, bytes)) await this.environment.remove(split.shards);
      return true;
    } catch (error) {
      this.failed(key, split.shards, 'fill', error);
      throw error;
    }
  }

  /** Demotion: the marker turns writers from updating the shards to deleting them, then they go. */
  async retire(key: string, split: Split): Promise<void> {
    try {
      await this.writeMarker(key, split, 'demoting');
    } catch (error) {
      this.failed(key, split.shards, 'marker', error);
    }
    await this.deleteShards(key, split.shards);
  }

  deleteShards(key: string, shards: string[]): Promise<void> {
    return this.environment
      .remove(shards)
      .catch((error: unknown) => this.failed(key, shards, 'delete', error));
  }

  /** Keeps the markers of this process's splits alive while they last. */
  refreshMarkers(): void {
    const now = Date.now();
    for (const [key, split] of this.splits) {
      if (split.owned !== true || split.until === undefined || split.until - now >= this.splitTtl) continue;
      this.writeMarker(key, split, 'split').catch((error: unknown) =>
        this.failed(key, split.shards, 'marker', error),
      );
    }
  }

  private async writeMarker(key: string, split: Split, state: SplitMarker['state']): Promise<void> {
    const now = Date.now();
    // A demoting marker keeps the current deadline: shards written under it expire by then.
    const until = state === 'split' || split.until === undefined ? now + this.markerTtl : split.until;
    const marker: SplitMarker = { epoch: split.epoch, shards: split.shards, state, until };
    await this.environment.write([{ key: markerKey(key), value: encodeMarker(marker), ttl: until - now }]);
    if (state === 'split') split.until = until;
  }

  private async writeBack(key: string, shard: string, bytes: Uint8Array, ttl: number, token: object) {
    let stored = false;
    try {
      if (this.repairs.get(key) !== token || ttl <= 0) return;
      const add = this.environment.add;
      if (add !== undefined) stored = await add(shard, bytes, ttl);
      else {
        await this.environment.write([{ key: shard, value: bytes, ttl }]);
        stored = true;
      }
      if (!stored) return;
      const [current] = await this.environment.read([key]);
      if (!sameBytes(current, bytes)) await this.environment.remove([shard]);
    } catch (error) {
      this.failed(key, [shard], 'repair', error);
      // The shard may hold what was read before a write: drop it rather than leave it to splitTtl.
      if (stored) await this.environment.remove([shard]).catch(() => {});
    } finally {
      this.release(key, token);
    }
  }

  /** A marker that says the split ended (or is gone) ends it here too, unless this process is filling it. */
  private learn(key: string, marker: SplitMarker | undefined): void {
    const split = this.splits.get(key);
    if (split === undefined || split.fixed || (split.owned && !split.active)) return;
    if (marker === undefined || marker.state === 'demoting' || marker.epoch > split.epoch) {
      this.splits.delete(key);
    }
  }

  private shardEntry(
    shard: string,
    value: Uint8Array,
    ttl: number | undefined,
    limit = Infinity,
  ): AdapterEntry {
    const wanted = ttl === undefined || ttl === 0 ? this.splitTtl : Math.min(ttl, this.splitTtl);
    return { key: shard, value, ttl: Math.max(1, Math.min(wanted, limit)) };
  }

  private report(
    keys: AdapterEntry[] | string[],
    operation: ShardError['operation'],
    pending: Promise<void>,
  ) {
    return pending.catch((error: unknown) => {
      const shards = keys.map((entry) => (typeof entry === 'string' ? entry : entry.key));
      this.failed((shards[0] ?? '').replace(/#hot\d+$/, ''), shards, operation, error);
      throw error;
    });
  }

  private failed(key: string, shards: string[], operation: ShardError['operation'], error: unknown): void {
    this.errors++;
    this.environment.shardError({ key, shards, operation, error });
  }

  private release(key: string, token: object): void {
    if (this.repairs.get(key) === token) this.repairs.delete(key);
  }
}
