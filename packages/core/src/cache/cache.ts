import type { AdapterEntry, AtomicOperations } from '../adapter.js';
import { AbortedError, type KeyOutcome, PartialError, RingcacheError, UnsupportedError } from '../errors.js';
import type { CacheStats } from '../metrics/node-stats.js';
import { CacheCore } from './cache-core.js';
import { type Entry, EntryCodec } from './entry-codec.js';
import type { CacheEventName, CacheListener } from './events.js';
import { KeyPipeline } from './key-pipeline.js';
import { type KeyScope, rootScope } from './key-scope.js';
import { LoadCoordinator } from './loading.js';
import {
  type CacheOptions,
  type CallOptions,
  effectiveTtl,
  type GetOrSetOptions,
  type Loader,
  resolveOptions,
  type SetEntry,
  type SetOptions,
} from './options.js';
import { relabel, withUserKeys } from './partial-results.js';
import { resolveSerializer, withCompression } from './serializers.js';
import { TagVersionCache } from './tag-version-cache.js';
import { TagVersions } from './tags.js';

/**
 * Creates a cache over an adapter: the one entry point users call.
 * @throws ConfigError on invalid options
 */
export function createCache(options: CacheOptions): Cache {
  const resolved = resolveOptions(options);
  let serializer = resolveSerializer(options.serializer);
  if (options.compression) {
    serializer = withCompression(serializer, options.compression === true ? {} : options.compression);
  }
  const core = new CacheCore(options.adapter, resolved, serializer, {
    local: options.local,
    hotKeys: options.hotKeys,
  });
  const keys = new KeyPipeline('', options.adapter.capabilities, resolved.longKeys);
  const root = rootScope(core, keys);
  const bus = options.local?.bus;
  const known =
    bus === undefined
      ? undefined
      : new TagVersionCache({
          bus,
          ttl: options.local?.ttl ?? 5000,
          channel: options.local?.channel ?? 'ringcache:invalidate',
          onBusError: (error) => core.events.emit('bus:error', { error }),
        });
  const tags = new TagVersions(core, keys, known);
  // A subscription that fails leaves versions unremembered (every check reads the engine).
  const tagsReady = known?.start().catch((error: unknown) => core.events.emit('bus:error', { error }));
  const ready = tagsReady === undefined ? core.ready : Promise.all([core.ready, tagsReady]).then(() => {});
  const codec = new EntryCodec(core, tags);
  const shared: Shared = { core, codec, tags, loads: new LoadCoordinator(core), ready };
  return new Cache(shared, options.namespace === undefined ? root : root.child(options.namespace));
}

interface Shared {
  core: CacheCore;
  codec: EntryCodec;
  tags: TagVersions;
  loads: LoadCoordinator;
  /** Bus subscriptions (L1, hot keys, tag versions) live. */
  ready: Promise<void>;
}

/**
 * Many cache nodes as one logical cache. Values are serialized here (JSON by default), keys go
 * through the namespace → long-key → validation pipeline, then the adapter routes them.
 * A stored `null` is a hit; `undefined` always means a miss and cannot be stored.
 */
export class Cache {
  private readonly core: CacheCore;

  /** @internal use `createCache` */
  constructor(
    private readonly shared: Shared,
    private readonly scope: KeyScope,
  ) {
    this.core = shared.core;
  }

  /** A view whose keys live under `<namespace>:<name>:`, sharing connections, stats and events. */
  namespace(name: string): Cache {
    return new Cache(this.shared, this.scope.child(name));
  }

  /**
   * @returns the value, or `undefined` on a miss (and, with `onBackendError: 'miss'`, when the backend failed)
   * @throws RingcacheError E_KEY_INVALID / E_KEY_TOO_LONG, E_SERIALIZE on an undecodable value,
   *   and with `onBackendError: 'throw'` E_TIMEOUT / E_NODE_UNAVAILABLE / E_OVERLOADED
   */
  get<T = unknown>(key: string, options?: CallOptions): Promise<T | undefined> {
    // A fixed prefix (every adapter but generation-scoped namespaces) builds the key without an
    // await, and the read is one promise chain: no async frame on the most frequent call.
    const fixed = this.scope.fixed;
    if (fixed === undefined) {
      return this.scope.pipeline().then((pipeline) => this.readValue<T>(pipeline.finalKey(key), options));
    }
    let final: string;
    try {
      final = fixed.finalKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readValue<T>(final, options);
  }

  /** @returns values in input order; `undefined` for each miss */
  getMany<T = unknown>(keys: readonly string[], options?: CallOptions): Promise<(T | undefined)[]> {
    const fixed = this.scope.fixed;
    if (fixed === undefined) {
      return this.scope
        .pipeline()
        .then((pipeline) => this.readValues<T>(keys, finalKeysOf(pipeline, keys), options));
    }
    let finals: string[];
    try {
      finals = finalKeysOf(fixed, keys);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.readValues<T>(keys, finals, options);
  }

  /** True when the key holds a value (a stored `null` included). */
  async has(key: string, options?: CallOptions): Promise<boolean> {
    return (await this.get(key, options)) !== undefined;
  }

  /**
   * @throws RingcacheError E_SERIALIZE, E_VALUE_TOO_LARGE, E_TTL_INVALID before any I/O; E_TIMEOUT
   *   (outcome unknown), E_NODE_UNAVAILABLE, E_OVERLOADED, E_BACKEND when the write was not applied
   */
  set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    const fixed = this.scope.fixed;
    if (fixed === undefined || options?.grace !== undefined || options?.tags !== undefined) {
      return this.setEnveloped(key, value, options);
    }
    // The plain path (most sets): no envelope, no await before the adapter call.
    let final: string | undefined;
    let entry: AdapterEntry;
    try {
      final = fixed.finalKey(key);
      entry = this.shared.codec.encodeSync(value, final, options?.ttl);
    } catch (error) {
      return this.refuseWrite(error, final);
    }
    return this.write('set', final, this.core.store.write([entry], options?.signal));
  }

  /**
   * Writes every entry. Every key and value is validated first: one invalid key (`E_KEY_INVALID`,
   * `E_KEY_TOO_LONG`), value (`E_SERIALIZE`, `E_VALUE_TOO_LARGE`) or TTL rejects the whole call
   * before any I/O, so nothing is written (DESIGN: validation before any I/O); as with `set`, the
   * key of an oversized value loses its previous value.
   * @throws PartialError when some entries were not written; per-key outcomes in input order
   */
  async setMany<T>(entries: readonly SetEntry<T>[], options?: CallOptions): Promise<void> {
    const pipeline = this.scope.fixed ?? (await this.scope.pipeline());
    const finals = entries.map((entry) => pipeline.finalKey(entry.key));
    let prepared: AdapterEntry[];
    try {
      prepared = entries.map((entry, index) =>
        this.shared.codec.encodeSync(entry.value, finals[index]!, entry.ttl),
      );
    } catch (error) {
      await this.dropOnOversize(error, RingcacheError.isInstance(error) && error.key ? [error.key] : []);
      throw error;
    }
    if (prepared.length === 0) return;
    const keys = entries.map((entry) => entry.key);
    await this.write(
      'setMany',
      undefined,
      withUserKeys(this.core.store.write(prepared, options?.signal), keys),
    );
  }

  /** @returns true when a value was removed */
  async delete(key: string, options?: CallOptions): Promise<boolean> {
    const final = this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
    const [removed] = await this.write('delete', final, this.core.store.remove([final], options?.signal));
    return removed === true;
  }

  /** @returns per key, in input order, whether a value was removed */
  async deleteMany(keys: readonly string[], options?: CallOptions): Promise<boolean[]> {
    const finals = await this.finalKeys(keys);
    if (finals.length === 0) return [];
    const pending = this.core.store.remove(finals, options?.signal);
    return this.write('deleteMany', undefined, withUserKeys(pending, keys));
  }

  /**
   * Returns the cached value, or runs `loader` once per key within this process (concurrent
   * callers share the load) and caches its result. When the backend fails the loader still runs
   * and its value is returned even if writing it back fails (`writeback:error` event). With
   * `grace`, a stale value is served when the loader fails or exceeds `softTimeout`; with
   * `lease`, one process in the whole cluster loads. A loader returning `undefined` caches nothing.
   */
  async getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    const final = this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
    const pending = this.shared.loads.getOrSet<T>({
      key,
      final,
      loader,
      options,
      read: () =>
        this.readEntry<T>(final, undefined).catch((error: unknown) => {
          this.reportFailure('get', final, error);
          throw error;
        }),
      store: async (value, loadMs) => {
        const entry = await this.shared.codec.encode(
          value,
          final,
          options,
          options?.earlyRefresh ? loadMs : undefined,
        );
        await this.write('set', final, this.core.store.write([entry], undefined));
      },
    });
    return options?.signal === undefined ? pending : raceAbort(pending, options.signal, final);
  }

  /** Every entry written with one of these tags becomes a miss, on every node and process. */
  async invalidateTags(tags: readonly string[], options?: CallOptions): Promise<void> {
    await this.write('invalidateTags', undefined, this.shared.tags.invalidate(tags, options?.signal));
  }

  /**
   * Stores the value only if the key holds none.
   * @returns true when this call stored it
   * @throws RingcacheError E_UNSUPPORTED when the adapter has no atomic `add`
   */
  async add<T>(key: string, value: T, options?: SetOptions): Promise<boolean> {
    const entry = this.shared.codec.encodeSync(value, await this.finalKey(key), options?.ttl);
    return this.atomic('add', entry.key, options?.signal, (atomic, signal) =>
      atomic.add(entry.key, entry.value, entry.ttl, { signal }),
    );
  }

  /**
   * Adds `by` to an integer (created at `by` when absent, with `ttl`); readable with `get` as a number.
   * @returns the new value
   */
  async increment(key: string, by = 1, options?: SetOptions): Promise<number> {
    if (!Number.isSafeInteger(by))
      throw new RingcacheError('E_CONFIG', `increment takes an integer, got ${by}`);
    const final = await this.finalKey(key);
    const ttl = effectiveTtl(options?.ttl, this.core.options);
    return this.atomic('increment', final, options?.signal, (atomic, signal) =>
      atomic.increment(final, by, ttl, { signal }),
    );
  }

  decrement(key: string, by = 1, options?: SetOptions): Promise<number> {
    return this.increment(key, -by, options);
  }

  /** Gives an existing key a new TTL. @returns false when the key does not exist */
  async touch(key: string, options: SetOptions): Promise<boolean> {
    const final = await this.finalKey(key);
    const ttl = effectiveTtl(options.ttl, this.core.options);
    return this.atomic('touch', final, options.signal, (atomic, signal) =>
      atomic.touch(final, ttl, { signal }),
    );
  }

  /** The remaining TTL in ms: `undefined` for a missing key, `0` for one that never expires. */
  async ttl(key: string, options?: CallOptions): Promise<number | undefined> {
    const final = await this.finalKey(key);
    return this.atomic('ttl', final, options?.signal, (atomic, signal) => {
      if (atomic.ttl === undefined)
        throw new UnsupportedError(`adapter '${this.core.adapter.name}' cannot report TTLs`);
      return atomic.ttl(final, { signal });
    });
  }

  /**
   * Removes this cache's keys on every node: the namespace's keys only when the cache has one,
   * otherwise everything the adapter holds.
   */
  async clear(options?: CallOptions): Promise<void> {
    await this.write('clear', undefined, this.scope.clear(options?.signal));
    const pipeline = this.scope.fixed ?? (await this.scope.pipeline());
    await this.core.store.forgetPrefix(pipeline.prefix === '' ? undefined : pipeline.prefix);
  }

  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): () => void {
    return this.core.events.on(event, listener);
  }

  /** Per-node counters, synchronous. */
  stats(): CacheStats {
    return this.core.stats();
  }

  /** The adapter's nodes and their health, synchronous. */
  nodes() {
    return this.core.adapter.nodes();
  }

  /** The adapter, for escape hatches (its `getClient()`, topology). */
  get adapter() {
    return this.core.adapter;
  }

  /**
   * The key as the engine stores it: namespace, generation (on engines without prefix clears)
   * and long-key hashing applied. For debugging and tools (`ringcache locate`).
   * @throws InvalidKeyError, KeyTooLongError
   */
  storedKey(key: string): Promise<string> {
    return this.finalKey(key);
  }

  /** Resolves once bus subscriptions (L1, hot keys, tag versions) are live. */
  ready(): Promise<void> {
    return this.shared.ready;
  }

  /** Closes the cache and its adapter; every view (namespace) of it is closed too. */
  async close(): Promise<void> {
    await this.shared.tags.close();
    return this.core.close();
  }

  private async readEntry<T>(final: string, signal: AbortSignal | undefined): Promise<Entry<T> | undefined> {
    const bytes = await this.core.store.read(final, signal);
    return bytes === undefined ? undefined : this.shared.codec.decode<T>(bytes, final);
  }

  private async finalKey(key: string): Promise<string> {
    return this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
  }

  private async finalKeys(keys: readonly string[]): Promise<string[]> {
    return finalKeysOf(this.scope.fixed ?? (await this.scope.pipeline()), keys);
  }

  private async atomic<T>(
    operation: string,
    final: string,
    signal: AbortSignal | undefined,
    run: (atomic: AtomicOperations, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const atomic = this.core.adapter.atomic;
    if (atomic === undefined) {
      throw new UnsupportedError(`adapter '${this.core.adapter.name}' has no atomic ${operation}`, {
        key: final,
      });
    }
    const node = this.core.nodeOf(final);
    const pending = this.core.call(operation, node, final, signal, () => run(atomic, signal));
    if (operation === 'ttl') return pending;
    // Atomic writes change the value: other processes' L1 must drop it.
    const result = await this.write(operation, final, pending);
    await this.core.store.forgetKeys([final]);
    return result;
  }

  /**
   * A write rejected as too large must not leave the key's previous value readable: the caller
   * meant to replace it. The old value is deleted (best effort) before the error is thrown.
   */
  private async dropOnOversize(error: unknown, finals: string[]): Promise<void> {
    if (!RingcacheError.hasCode(error, 'E_VALUE_TOO_LARGE') || finals.length === 0) return;
    await this.core.store.remove(finals, undefined).catch((failure: unknown) => {
      this.reportFailure('delete', finals[0], failure);
    });
  }

  /** Reports a failed write (counted, evented) and rethrows it: writes never fail silently. */
  private write<T>(operation: string, key: string | undefined, pending: Promise<T>): Promise<T> {
    return pending.catch((error: unknown) => {
      this.reportFailure(operation, key, error);
      throw error;
    });
  }

  /** A write refused before any I/O; too large a value also drops the key's previous value. */
  private async refuseWrite(error: unknown, final: string | undefined): Promise<never> {
    if (final !== undefined) await this.dropOnOversize(error, [final]);
    throw error;
  }

  /** `set` with grace or tags (an envelope, tag versions to look up), or a generation-scoped key. */
  private async setEnveloped<T>(key: string, value: T, options: SetOptions | undefined): Promise<void> {
    const final = await this.finalKey(key);
    let entry: AdapterEntry;
    try {
      entry = await this.shared.codec.encode(value, final, options);
    } catch (error) {
      return this.refuseWrite(error, final);
    }
    await this.write('set', final, this.core.store.write([entry], options?.signal));
  }

  /** Reads and decodes final keys; tagged entries (version checks) are the only ones awaited. */
  private readValues<T>(
    keys: readonly string[],
    finals: string[],
    options: CallOptions | undefined,
  ): Promise<(T | undefined)[]> {
    if (finals.length === 0) return Promise.resolve([]);
    return this.core.store.readMany(finals, options?.signal).then(
      (values) => this.decodeAll<T>(values, finals),
      async (error: unknown) => {
        if (!(error instanceof PartialError)) {
          this.readFailed('getMany', undefined, error);
          return finals.map(() => undefined);
        }
        const values = await this.decodeAll<T>(this.partialReads(error, finals), finals);
        if (this.core.options.onBackendError !== 'throw') return values;
        // The caller's keys and decoded values, not the engine's keys and bytes.
        throw relabel(error, keys, values);
      },
    );
  }

  private decodeAll<T>(
    values: (Uint8Array | undefined)[],
    finals: string[],
  ): (T | undefined)[] | Promise<(T | undefined)[]> {
    // Filled, not `new Array(n)`: a miss is a real `undefined` element (a hole would vanish from
    // `Object.keys`, `in` and `forEach`, and `map` would skip it).
    const results = new Array<T | undefined>(values.length).fill(undefined);
    let checks: Promise<void>[] | undefined;
    for (let index = 0; index < values.length; index++) {
      const bytes = values[index];
      if (bytes === undefined) continue;
      const decoded = this.shared.codec.decode<T>(bytes, finals[index]!);
      if (decoded instanceof Promise) {
        checks ??= [];
        checks.push(
          decoded.then(
            (entry) => {
              results[index] = freshValue(entry);
            },
            (error: unknown) => {
              results[index] = this.checkFailed('getMany', finals[index]!, error);
            },
          ),
        );
      } else results[index] = freshValue(decoded);
    }
    return checks === undefined ? results : Promise.all(checks).then(() => results);
  }

  /** Reads and decodes one final key; a stale (grace-only) entry reads as a miss. */
  private readValue<T>(final: string, options: CallOptions | undefined): Promise<T | undefined> {
    return this.core.store.read(final, options?.signal).then(
      (bytes) => {
        if (bytes === undefined) return undefined;
        const decoded = this.shared.codec.decode<T>(bytes, final);
        if (!(decoded instanceof Promise)) return freshValue(decoded);
        return decoded.then(freshValue, (error: unknown) => this.checkFailed('get', final, error));
      },
      (error: unknown) => this.readFailed('get', final, error),
    );
  }

  /**
   * A tagged entry's version check failed: that is a backend read failure (`onBackendError`
   * applies), even when the entry itself came from L1. An undecodable value is not.
   */
  private checkFailed(operation: string, key: string, error: unknown): undefined {
    if (RingcacheError.hasCode(error, 'E_SERIALIZE')) throw error;
    return this.readFailed(operation, key, error);
  }

  private readFailed(operation: string, key: string | undefined, error: unknown): undefined {
    this.reportFailure(operation, key, error);
    if (this.core.options.onBackendError === 'throw' || isCallerError(error)) throw error;
    return undefined;
  }

  /** The values of a PartialError's keys that were read, `undefined` for the failed ones (reported). */
  private partialReads(error: PartialError, finals: string[]): (Uint8Array | undefined)[] {
    const results = error.results as KeyOutcome<Uint8Array | undefined>[];
    for (const outcome of results) if (!outcome.ok) this.reportFailure('getMany', outcome.key, outcome.error);
    return finals.map((_, index) => {
      const outcome = results[index];
      return outcome?.ok ? outcome.value : undefined;
    });
  }

  private reportFailure(operation: string, key: string | undefined, error: unknown): void {
    if (isCallerError(error)) return;
    const node =
      (RingcacheError.isInstance(error) ? error.node : undefined) ?? (key && this.core.nodeOf(key));
    if (node) this.core.counters.for(node).errors++;
    this.core.events.emit('backend:error', { operation, key, node: node || undefined, error });
  }
}

function finalKeysOf(pipeline: KeyPipeline, keys: readonly string[]): string[] {
  const finals = new Array<string>(keys.length);
  for (let index = 0; index < keys.length; index++) finals[index] = pipeline.finalKey(keys[index]);
  return finals;
}

function freshValue<T>(entry: Entry<T> | undefined): T | undefined {
  return entry === undefined || entry.stale ? undefined : entry.value;
}

/** Errors that are the caller's doing (closed cache, aborted call) never count as backend failures. */
function isCallerError(error: unknown): boolean {
  return RingcacheError.hasCode(error, 'E_CLOSED') || RingcacheError.hasCode(error, 'E_ABORTED');
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, key: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError(undefined, { key, cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(undefined, { key, cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
