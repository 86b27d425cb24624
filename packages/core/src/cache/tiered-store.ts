import type { AdapterEntry } from '../adapter.js';
import { type KeyOutcome, PartialError } from '../errors.js';
import type { HotKeys } from '../hot-keys/hot-keys.js';
import type { LocalTier } from '../tiers/local-tier.js';
import type { CacheCore } from './cache-core.js';
import { callByNode, itself } from './node-calls.js';

/**
 * The byte-level path of every call, below serialization and above the adapter: the local tier
 * (L1), hot-key mitigation (short-lived hot tier, split shards), per-node counting, and the
 * adapter call under the cache's timeout. Keys here are final keys.
 */
export class TieredStore {
  constructor(
    private readonly core: CacheCore,
    private readonly local: LocalTier | undefined,
    private readonly hot: HotKeys | undefined,
    /** The tier hot keys use under the `'local'` policy: the L1 itself when there is one. */
    private readonly hotTier: LocalTier | undefined,
  ) {}

  /** @throws the adapter's typed errors; the caller applies `onBackendError` */
  read(key: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    if (this.local !== undefined || this.hot !== undefined) return this.readTiered(key, signal);
    // No tiers: one adapter call counted as it settles, no async frame (this is every plain get).
    const node = this.core.nodeOf(key);
    const options = signal === undefined ? undefined : { signal };
    return this.core.call(
      'get',
      node,
      key,
      signal,
      () => this.core.adapter.get(key, options),
      (bytes) => this.countRead(node, bytes),
    );
  }

  private async readTiered(key: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    this.hot?.record(key);
    const tier = this.tierFor(key);
    const bound = tier === undefined ? undefined : this.fillTtl(tier, key);
    const cached = tier?.get(key, bound);
    if (cached !== undefined) return cached;
    const token = tier?.beginFill(key);
    const physical = this.hot?.readKey(key) ?? key;
    const node = this.core.nodeOf(physical);
    let bytes = await this.core.call('get', node, physical, signal, () =>
      this.core.adapter.get(physical, { signal }),
    );
    this.countRead(node, bytes);
    if (bytes === undefined && physical !== key) bytes = await this.readBaseAndRepair(key, physical, signal);
    if (bytes !== undefined && tier !== undefined) tier.fill(key, bytes, token!, bound);
    return bytes;
  }

  /**
   * @returns values in input order
   * @throws PartialError when some keys failed (others' values are in its results)
   */
  readMany(keys: readonly string[], signal: AbortSignal | undefined): Promise<(Uint8Array | undefined)[]> {
    if (this.local !== undefined || this.hot !== undefined) return this.readManyTiered(keys, signal);
    // No tiers: one call per node (each node's share counted and bounded), results in key order.
    const options = signal === undefined ? undefined : { signal };
    return callByNode<string, Uint8Array | undefined>(this.core, {
      operation: 'getMany',
      items: keys,
      keyOf: itself,
      signal,
      run: (group) => this.core.adapter.getMany(group.items, options),
      observe: this.countReadOf,
    });
  }

  private async readManyTiered(
    keys: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<(Uint8Array | undefined)[]> {
    const values = new Array<Uint8Array | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, index) => {
      this.hot?.record(key);
      const tier = this.tierFor(key);
      const cached = tier?.get(key, tier === undefined ? undefined : this.fillTtl(tier, key));
      if (cached === undefined) missing.push(index);
      else values[index] = cached;
    });
    if (missing.length === 0) return values;
    const tokens = missing.map((index) => this.tierFor(keys[index]!)?.beginFill(keys[index]!));
    const physical = missing.map((index) => this.hot?.readKey(keys[index]!) ?? keys[index]!);
    let fetched: (Uint8Array | undefined)[];
    let failure: PartialError | undefined;
    try {
      fetched = await callByNode<string, Uint8Array | undefined>(this.core, {
        operation: 'getMany',
        items: physical,
        keyOf: itself,
        signal,
        run: (group) => this.core.adapter.getMany(group.items, { signal }),
        observe: this.countReadOf,
      });
    } catch (error) {
      if (!(error instanceof PartialError)) throw error;
      failure = error;
      fetched = (error.results as KeyOutcome<Uint8Array | undefined>[]).map((outcome) =>
        outcome.ok ? outcome.value : undefined,
      );
    }
    for (const [position, index] of missing.entries()) {
      const key = keys[index]!;
      let bytes = fetched[position];
      const failed = failure !== undefined && !failure.results[position]!.ok;
      if (bytes === undefined && !failed && physical[position] !== key) {
        bytes = await this.readBaseAndRepair(key, physical[position]!, signal);
      }
      values[index] = bytes;
      const tier = this.tierFor(key);
      if (bytes !== undefined && tier !== undefined)
        tier.fill(key, bytes, tokens[position]!, this.fillTtl(tier, key));
    }
    if (failure !== undefined) throw this.remapPartial(failure, keys, missing, values);
    return values;
  }

  /** Writes entries (and the shards of split keys), invalidating every tier before and after. */
  write(entries: readonly AdapterEntry[], signal: AbortSignal | undefined): Promise<void> {
    if (entries.length !== 1 || this.local !== undefined || this.hot !== undefined) {
      return this.writeTiered(entries, signal);
    }
    // No tiers, one entry: a single adapter call and no async frame (this is every plain set).
    const entry = entries[0]!;
    const node = this.core.nodeOf(entry.key);
    this.countSet(node, entry.value);
    const options = signal === undefined ? undefined : { signal };
    return this.core.call('set', node, entry.key, signal, () =>
      this.core.adapter.set(entry.key, entry.value, entry.ttl, options),
    );
  }

  private async writeTiered(
    entries: readonly AdapterEntry[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const keys = entries.map((entry) => entry.key);
    this.invalidateLocally(keys);
    // Shards are written after the base key, by `afterWrite`: see ShardWriter for why the order matters.
    if (entries.length === 1) {
      const [entry] = entries as [AdapterEntry];
      const node = this.core.nodeOf(entry.key);
      this.countSet(node, entry.value);
      await this.core.call('set', node, entry.key, signal, () =>
        this.core.adapter.set(entry.key, entry.value, entry.ttl, { signal }),
      );
    } else {
      await callByNode(this.core, {
        operation: 'setMany',
        items: entries,
        keyOf: keyOfEntry,
        signal,
        run: (group) => {
          for (const entry of group.items) this.countSet(group.group, entry.value);
          return this.core.adapter.setMany(group.items, { signal }) as Promise<undefined>;
        },
      });
    }
    await this.hot?.afterWrite(entries, signal);
    if (this.hotTier !== undefined || this.local !== undefined)
      await this.announce(
        keys,
        entries.map((entry) => entry.ttl),
      );
  }

  /** Deletes keys (and shards); returns per key whether the base key held a value. */
  async remove(keys: readonly string[], signal: AbortSignal | undefined): Promise<boolean[]> {
    this.invalidateLocally(keys);
    let removed: boolean[];
    if (keys.length === 1) {
      const key = keys[0]!;
      const node = this.core.nodeOf(key);
      this.countWrite(node, 'deletes');
      removed = [
        await this.core.call('delete', node, key, signal, () => this.core.adapter.delete(key, { signal })),
      ];
    } else {
      const answers = await callByNode(this.core, {
        operation: 'deleteMany',
        items: keys,
        keyOf: itself,
        signal,
        run: (group) => {
          this.countWrite(group.group, 'deletes', group.items.length);
          return this.core.adapter.deleteMany(group.items, { signal });
        },
      });
      removed = answers.map((answer) => answer === true);
    }
    // Shards go after the base key (a repair re-reads the base to notice): see ShardWriter.
    await this.hot?.afterWrite(
      keys.map((key) => ({ key })),
      signal,
    );
    if (this.hotTier !== undefined || this.local !== undefined) await this.announce(keys);
    return removed.slice(0, keys.length);
  }

  /** Drops keys changed behind the tiers' back (atomic operations) here and in other processes. */
  async forgetKeys(keys: readonly string[]): Promise<void> {
    this.invalidateLocally(keys);
    // An atomic operation changed the base key: a split key's shards are deleted before it resolves.
    await this.hot?.afterWrite(
      keys.map((key) => ({ key })),
      undefined,
    );
    if (this.hotTier !== undefined || this.local !== undefined) await this.announce(keys);
  }

  /** Drops a prefix from the local tiers here and in other processes. */
  async forgetPrefix(prefix: string | undefined): Promise<void> {
    await this.hotTier?.invalidatePrefix(prefix, false);
    await this.local?.invalidatePrefix(prefix, true);
  }

  private tierFor(key: string): LocalTier | undefined {
    if (this.local !== undefined) return this.local;
    return this.hot?.isLocal(key) ? this.hotTier : undefined;
  }

  /**
   * The caller's bound on an L1 fill (the tier adds its own `ttl` and the TTLs it knows of): a
   * hot key under `'local'` gets `localTtl`, in the L1 too when there is one. An enveloped entry
   * is not cut at its logical expiry: decoding already treats it as stale past it, wherever the
   * bytes come from, and grace needs the stale copy (stale-if-error from L1).
   */
  private fillTtl(tier: LocalTier, key: string): number | undefined {
    return tier !== this.local || this.hot?.isLocal(key) ? this.hot?.localTtl : undefined;
  }

  private invalidateLocally(keys: readonly string[]): void {
    this.hot?.cancelRepairs(keys);
    void this.local?.invalidate(keys, false);
    if (this.hotTier !== this.local) void this.hotTier?.invalidate(keys, false);
  }

  /**
   * After a write: drop the keys here again (a read may have refilled them), note their new TTLs,
   * and tell other processes, batched with the other writes of this tick. The hot tier is the L1
   * when there is one, so one tier carries every message.
   */
  private announce(keys: readonly string[], ttls?: readonly number[]): Promise<void> {
    const messenger = this.local ?? this.hotTier;
    if (messenger === undefined) return Promise.resolve();
    return messenger.invalidate(keys, true, { ttls, splitEpochs: this.hot?.epochsOf(keys) });
  }

  /**
   * A shard missed (expired, evicted, dropped): read the base key; hot keys refill the shard only
   * when no write can have come in between (see ShardWriter.repair).
   */
  private async readBaseAndRepair(key: string, shard: string, signal: AbortSignal | undefined) {
    const bytes = await this.hot!.readBase(key, shard, signal);
    const node = this.core.nodeOf(key);
    if (node !== undefined) {
      // The read itself was counted as an op by the hot-key environment; here, its outcome.
      const counters = this.core.counters.for(node);
      if (bytes === undefined) counters.misses++;
      else counters.hits++;
    }
    return bytes;
  }

  private remapPartial(
    failure: PartialError,
    keys: readonly string[],
    missing: number[],
    values: (Uint8Array | undefined)[],
  ): PartialError<Uint8Array | undefined> {
    const failedAt = new Map(missing.map((index, position) => [index, failure.results[position]!]));
    const results = keys.map((key, index): KeyOutcome<Uint8Array | undefined> => {
      const outcome = failedAt.get(index);
      return outcome !== undefined && !outcome.ok
        ? { key, ok: false, error: outcome.error }
        : { key, ok: true, value: values[index] };
    });
    return new PartialError(failure.message, results, { cause: failure.cause });
  }

  /** Counts one node's reads of a many-key call; bound once (no closure per call). */
  private readonly countReadOf = (node: string | undefined, values: readonly (Uint8Array | undefined)[]) => {
    if (node === undefined) return;
    const counters = this.core.counters.for(node);
    counters.ops += values.length;
    for (const bytes of values) {
      if (bytes === undefined) counters.misses++;
      else {
        counters.hits++;
        counters.bytesRead += bytes.byteLength;
      }
    }
  };

  private countRead(node: string | undefined, bytes: Uint8Array | undefined): void {
    if (node === undefined) return;
    const counters = this.core.counters.for(node);
    counters.ops++;
    if (bytes === undefined) counters.misses++;
    else {
      counters.hits++;
      counters.bytesRead += bytes.byteLength;
    }
  }

  private countSet(node: string | undefined, value: Uint8Array): void {
    if (node === undefined) return;
    const counters = this.core.counters.for(node);
    counters.ops++;
    counters.sets++;
    counters.bytesWritten += value.byteLength;
  }

  private countWrite(node: string | undefined, field: 'deletes', count = 1): void {
    if (node === undefined) return;
    const counters = this.core.counters.for(node);
    counters.ops += count;
    counters[field] += count;
  }
}

const keyOfEntry = (entry: AdapterEntry): string => entry.key;
