import type { CacheAdapter } from '../adapter.js';
import { ConfigError, InvalidTtlError } from '../errors.js';
import type { HotKeyOptions } from '../hot-keys/hot-keys.js';
import type { CallTracer } from '../metrics/opentelemetry.js';
import type { LocalTierOptions } from '../tiers/local-tier.js';
import type { LongKeyPolicy } from './key-pipeline.js';
import type { CompressionOptions, Serializer, SerializerName } from './serializers.js';

export interface CacheOptions {
  /** The engine. Use `memoryAdapter()` for the embedded default. */
  adapter: CacheAdapter;
  /** Prefix for every key of this cache (`'app'` → `app:<key>`). */
  namespace?: string;
  /** Milliseconds; used when a call gives no `ttl`. `0` = no expiry. @default 0 */
  defaultTtl?: number;
  /**
   * Spreads each TTL by ± this fraction (0–1), so keys written together do not all expire in
   * the same instant and stampede the origin. @default 0
   */
  ttlJitter?: number;
  /** @default 'json' */
  serializer?: SerializerName | Serializer;
  /** Compress serialized values above a size threshold. @default off */
  compression?: CompressionOptions | boolean;
  /** Milliseconds each call may take before it rejects with `E_TIMEOUT`. @default 1000 */
  timeout?: number;
  /**
   * Calls one node may owe at once; more reject with `E_OVERLOADED`. A call that timed out still
   * counts until the node answers it, so a frozen node is sent at most this many. @default 10000
   */
  maxPending?: number;
  /**
   * What a read does when the backend fails: `'miss'` answers `undefined` (counted, and reported
   * through the `backend:error` event); `'throw'` rejects. Writes always reject.
   * @default 'miss'
   */
  onBackendError?: 'miss' | 'throw';
  /**
   * For adapters that cannot enumerate keys (memcached), namespaces are cleared by switching to a
   * new generation; other processes notice within this many milliseconds. @default 1000
   */
  namespaceGenerationTtl?: number;
  /** A per-process L1 in front of the adapter, invalidated over a bus. @default off */
  local?: LocalTierOptions;
  /** Hot-key detection and mitigation. @default off */
  hotKeys?: HotKeyOptions;
  /** Keys longer than the adapter allows: reject (`E_KEY_TOO_LONG`) or replace by a SHA-256. @default 'error' */
  longKeys?: LongKeyPolicy;
  /**
   * Traces every adapter call (a span per call and per node of a many-key call), e.g.
   * `await openTelemetryTracer()`. Without one, calls pay nothing for tracing. @default off
   */
  tracer?: CallTracer | undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SetOptions extends CallOptions {
  /** Milliseconds; `undefined` → the cache's `defaultTtl`; `0` → no expiry. */
  ttl?: number;
  /**
   * Keep the entry this many ms past its TTL as a stale fallback: `getOrSet` serves it when the
   * loader or the backend fails (`stale:served` event); `get` treats it as a miss.
   */
  grace?: number;
  /** Tags for `invalidateTags`. Tagged entries cost one extra multi-get per read (version check). */
  tags?: readonly string[];
}

export interface GetOrSetOptions extends SetOptions {
  /**
   * With a stale entry at hand: if the loader has not finished after this many ms, serve the
   * stale value now; the loader keeps running and refreshes the entry.
   */
  softTimeout?: number;
  /** Reject with `E_TIMEOUT` if the loader has not finished after this many ms (it keeps running). */
  hardTimeout?: number;
  /**
   * Probabilistic early refresh (XFetch): a fresh entry is refreshed in the background slightly
   * before it expires, more likely as expiry nears and the slower its loader. `true` = beta 1.
   */
  earlyRefresh?: boolean | number;
  /**
   * Cross-process stampede protection: a short lease per key in the engine (`add`); its holder
   * runs the loader, others serve stale or wait for the value. A lease outliving its holder expires.
   */
  lease?: boolean | { ttl?: number; wait?: number };
}

export interface SetEntry<T = unknown> {
  key: string;
  value: T;
  ttl?: number;
}

export interface LoaderContext {
  /**
   * The user key being loaded. Loads are shared by every concurrent caller of the key, so one
   * caller's abort signal does not reach the loader.
   */
  readonly key: string;
}

export type Loader<T> = (context: LoaderContext) => T | Promise<T>;

export interface ResolvedOptions {
  readonly defaultTtl: number;
  readonly ttlJitter: number;
  readonly timeout: number;
  readonly maxPending: number;
  readonly onBackendError: 'miss' | 'throw';
  readonly longKeys: LongKeyPolicy;
  readonly generationTtl: number;
  readonly tracer: CallTracer | undefined;
}

/** @throws ConfigError on any out-of-range option */
export function resolveOptions(options: CacheOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null || typeof options.adapter?.get !== 'function') {
    throw new ConfigError('createCache needs { adapter }');
  }
  if (options.adapter.specificationVersion !== 1) {
    throw new ConfigError(
      `adapter '${options.adapter.name}' implements specification ${String(options.adapter.specificationVersion)}; this core supports 1`,
    );
  }
  const resolved: ResolvedOptions = {
    defaultTtl: options.defaultTtl ?? 0,
    ttlJitter: options.ttlJitter ?? 0,
    timeout: options.timeout ?? 1000,
    maxPending: options.maxPending ?? 10_000,
    onBackendError: options.onBackendError ?? 'miss',
    longKeys: options.longKeys ?? 'error',
    generationTtl: options.namespaceGenerationTtl ?? 1000,
    tracer: options.tracer,
  };
  checkTtl(resolved.defaultTtl, 'defaultTtl', ConfigError);
  if (!(resolved.ttlJitter >= 0 && resolved.ttlJitter < 1))
    throw new ConfigError('ttlJitter must be in [0, 1)');
  if (!(Number.isFinite(resolved.timeout) && resolved.timeout > 0))
    throw new ConfigError('timeout must be > 0 ms');
  if (!(Number.isInteger(resolved.maxPending) && resolved.maxPending > 0)) {
    throw new ConfigError('maxPending must be a positive integer');
  }
  if (resolved.onBackendError !== 'miss' && resolved.onBackendError !== 'throw') {
    throw new ConfigError(`onBackendError must be 'miss' or 'throw'`);
  }
  if (!(Number.isFinite(resolved.generationTtl) && resolved.generationTtl >= 0)) {
    throw new ConfigError('namespaceGenerationTtl must be ≥ 0 ms');
  }
  if (resolved.longKeys !== 'error' && resolved.longKeys !== 'hash')
    throw new ConfigError(`longKeys must be 'error' or 'hash'`);
  if (
    options.namespace !== undefined &&
    (typeof options.namespace !== 'string' || options.namespace === '')
  ) {
    throw new ConfigError('namespace must be a non-empty string');
  }
  return resolved;
}

/** A TTL is a finite number of milliseconds ≥ 0. */
export function checkTtl(
  ttl: unknown,
  what: string,
  ErrorClass: typeof InvalidTtlError | typeof ConfigError,
): void {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new ErrorClass(`${what} must be a finite number of milliseconds ≥ 0, got ${String(ttl)}`);
  }
}

/** The TTL a write sends: the default when absent, jittered, whole milliseconds. */
export function effectiveTtl(ttl: number | undefined, options: ResolvedOptions): number {
  if (ttl === undefined) ttl = options.defaultTtl;
  else checkTtl(ttl, 'ttl', InvalidTtlError);
  if (ttl === 0) return 0;
  const jittered = options.ttlJitter > 0 ? ttl * (1 + (Math.random() * 2 - 1) * options.ttlJitter) : ttl;
  return Math.max(1, Math.ceil(jittered));
}
