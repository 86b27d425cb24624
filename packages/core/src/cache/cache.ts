import type { AdapterEntry } from '../adapter.js';
import {
  AbortedError,
  type KeyOutcome,
  PartialError,
  RingcacheError,
  SerializeError,
  ValueTooLargeError,
} from '../errors.js';
import type { CacheStats } from '../metrics/node-stats.js';
import { CacheCore } from './cache-core.js';
import type { CacheEventName, CacheListener } from './events.js';
import { KeyPipeline } from './key-pipeline.js';
import { type KeyScope, rootScope } from './key-scope.js';
import {
  type CacheOptions,
  type CallOptions,
  effectiveTtl,
  type Loader,
  resolveOptions,
  type SetEntry,
  type SetOptions,
} from './options.js';
import { resolveSerializer, withCompression } from './serializers.js';

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
  const root = rootScope(core, new KeyPipeline('', options.adapter.capabilities, resolved.longKeys));
  return new Cache(core, options.namespace === undefined ? root : root.child(options.namespace));
}

/**
 * Many cache nodes as one logical cache. Values are serialized here (JSON by default), keys go
 * through the namespace → long-key → validation pipeline, then the adapter routes them.
 * A stored `null` is a hit; `undefined` always means a miss and cannot be stored.
 */
export class Cache {
  /** @internal use `createCache` */
  constructor(
    private readonly core: CacheCore,
    private readonly scope: KeyScope,
  ) {}

  /** A view whose keys live under `<namespace>:<name>:`, sharing connections, stats and events. */
  namespace(name: string): Cache {
    return new Cache(this.core, this.scope.child(name));
  }

  /**
   * @returns the value, or `undefined` on a miss (and, with `onBackendError: 'miss'`, when the backend failed)
   * @throws RingcacheError E_KEY_INVALID / E_KEY_TOO_LONG, E_SERIALIZE on an undecodable value,
   *   and with `onBackendError: 'throw'` E_TIMEOUT / E_NODE_UNAVAILABLE / E_OVERLOADED
   */
  async get<T = unknown>(key: string, options?: CallOptions): Promise<T | undefined> {
    const final = this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.core.store.read(final, options?.signal);
    } catch (error) {
      return this.readFailed('get', final, error);
    }
    return bytes === undefined ? undefined : this.decode<T>(bytes, final);
  }

  /** @returns values in input order; `undefined` for each miss */
  async getMany<T = unknown>(keys: readonly string[], options?: CallOptions): Promise<(T | undefined)[]> {
    const finals = await this.finalKeys(keys);
    if (finals.length === 0) return [];
    let values: (Uint8Array | undefined)[];
    try {
      values = await this.core.store.readMany(finals, options?.signal);
    } catch (error) {
      if (!(error instanceof PartialError)) {
        this.readFailed('getMany', undefined, error);
        return finals.map(() => undefined);
      }
      values = this.partialReads(error, finals);
    }
    return values.map((bytes, index) =>
      bytes === undefined ? undefined : this.decode<T>(bytes, finals[index]!),
    );
  }

  /** True when the key holds a value (a stored `null` included). */
  async has(key: string, options?: CallOptions): Promise<boolean> {
    return (await this.get(key, options)) !== undefined;
  }

  /**
   * @throws RingcacheError E_SERIALIZE, E_VALUE_TOO_LARGE, E_TTL_INVALID before any I/O; E_TIMEOUT
   *   (outcome unknown), E_NODE_UNAVAILABLE, E_OVERLOADED, E_BACKEND when the write was not applied
   */
  async set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    const final = this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
    const entry = {
      key: final,
      value: this.encode(value, final),
      ttl: effectiveTtl(options?.ttl, this.core.options),
    };
    await this.write('set', final, this.core.store.write([entry], options?.signal));
  }

  /** @throws PartialError when some entries were not written; per-key outcomes in input order */
  async setMany<T>(entries: readonly SetEntry<T>[], options?: CallOptions): Promise<void> {
    const pipeline = this.scope.fixed ?? (await this.scope.pipeline());
    const prepared: AdapterEntry[] = entries.map((entry) => {
      const final = pipeline.finalKey(entry.key);
      return {
        key: final,
        value: this.encode(entry.value, final),
        ttl: effectiveTtl(entry.ttl, this.core.options),
      };
    });
    if (prepared.length === 0) return;
    await this.write('setMany', undefined, this.core.store.write(prepared, options?.signal));
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
    return this.write('deleteMany', undefined, this.core.store.remove(finals, options?.signal));
  }

  /**
   * Returns the cached value, or runs `loader` once per key within this process (concurrent
   * callers share the load) and caches its result. When the backend fails the loader still runs
   * and its value is returned even if writing it back fails (`writeback:error` event). A loader
   * that returns `undefined` caches nothing.
   */
  async getOrSet<T>(key: string, loader: Loader<T>, options?: SetOptions): Promise<T> {
    const final = this.scope.fixed?.finalKey(key) ?? (await this.scope.pipeline()).finalKey(key);
    let flight = this.core.flights.get(final) as Promise<T> | undefined;
    if (flight === undefined) {
      flight = this.load(key, final, loader, options);
      this.core.flights.set(final, flight);
      const forget = () => this.core.flights.delete(final);
      flight.then(forget, forget);
    }
    return options?.signal === undefined ? flight : raceAbort(flight, options.signal, final);
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

  /** Closes the cache and its adapter; every view (namespace) of it is closed too. */
  close(): Promise<void> {
    return this.core.close();
  }

  private async finalKeys(keys: readonly string[]): Promise<string[]> {
    const pipeline = this.scope.fixed ?? (await this.scope.pipeline());
    return keys.map((key) => pipeline.finalKey(key));
  }

  private async load<T>(
    key: string,
    final: string,
    loader: Loader<T>,
    options: SetOptions | undefined,
  ): Promise<T> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.core.store.read(final, undefined);
    } catch (error) {
      this.reportFailure('get', final, error);
    }
    if (bytes !== undefined) return this.decode<T>(bytes, final);
    const value = await loader({ key });
    if (value === undefined) return value;
    try {
      await this.set(key, value, options?.ttl === undefined ? undefined : { ttl: options.ttl });
    } catch (error) {
      this.core.events.emit('writeback:error', { key: final, error });
    }
    return value;
  }

  /** Reports a failed write (counted, evented) and rethrows it: writes never fail silently. */
  private async write<T>(operation: string, key: string | undefined, pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      this.reportFailure(operation, key, error);
      throw error;
    }
  }

  private readFailed(operation: string, key: string | undefined, error: unknown): undefined {
    this.reportFailure(operation, key, error);
    if (this.core.options.onBackendError === 'throw' || isCallerError(error)) throw error;
    return undefined;
  }

  /** With `'miss'`, failed keys of a PartialError become misses; with `'throw'` it propagates. */
  private partialReads(error: PartialError, finals: string[]): (Uint8Array | undefined)[] {
    const results = error.results as KeyOutcome<Uint8Array | undefined>[];
    for (const outcome of results) if (!outcome.ok) this.reportFailure('getMany', outcome.key, outcome.error);
    if (this.core.options.onBackendError === 'throw') throw error;
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

  private encode(value: unknown, final: string): Uint8Array {
    if (value === undefined)
      throw new SerializeError('undefined cannot be stored; use delete()', { key: final });
    let bytes: Uint8Array;
    try {
      bytes = this.core.serializer.serialize(value);
    } catch (error) {
      throw RingcacheError.isInstance(error)
        ? error
        : new SerializeError(String(error), { key: final, cause: error });
    }
    const limit = this.core.adapter.capabilities.maxValueBytes;
    if (bytes.byteLength > limit) {
      throw new ValueTooLargeError(`value is ${bytes.byteLength} bytes; the adapter allows ${limit}`, {
        key: final,
      });
    }
    return bytes;
  }

  private decode<T>(bytes: Uint8Array, final: string): T {
    try {
      return this.core.serializer.deserialize(bytes) as T;
    } catch (error) {
      throw new SerializeError(
        `the stored value of ${final} cannot be decoded by '${this.core.serializer.name}'`,
        {
          key: final,
          cause: error,
        },
      );
    }
  }
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
