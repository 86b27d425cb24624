import type { HotKeyEntry, ShardError } from '../hot-keys/hot-keys.js';
import type { Partitioner } from '../ring/partitioner.js';

/** Every event a cache emits, with its payload. */
export interface CacheEvents {
  /** A read failed at the backend and was answered as a miss (`onBackendError: 'miss'`), or any call failed. */
  'backend:error': { operation: string; key: string | undefined; node: string | undefined; error: unknown };
  /** A call did not settle within the cache's timeout. */
  timeout: { operation: string; key: string | undefined; node: string | undefined };
  /** `getOrSet` returned the loader's value but could not write it back. */
  'writeback:error': { key: string; error: unknown };
  /** `kind`: `'hard'` (refused or reset connections) or `'soft'` (timeouts); absent when the engine dropped the node. */
  'node:eject': { node: string; reason: unknown; kind?: 'hard' | 'soft' | undefined };
  'node:readmit': { node: string };
  'topology:change': { topology: Partitioner };
  /** An engine client reported an error outside any call (a dropped connection). */
  'client:error': { node: string | undefined; error: unknown };
  /** The invalidation bus could not publish or subscribe; L1 staleness is bounded by its TTL. */
  'bus:error': { error: unknown };
  /** `getOrSet` answered with a stale value (grace) because the loader or backend failed or was slow. */
  'stale:served': { key: string; error: unknown };
  /** A key became hot and its mitigation started. */
  'hotkey:promote': HotKeyEntry;
  /** A hot key cooled down and its mitigation ended. */
  'hotkey:demote': HotKeyEntry;
  /**
   * A split key's shard or marker could not be written or deleted (also counted in
   * `stats().hotKeyShardErrors`). A failed fan-out also fails the write; otherwise a shard may
   * serve an old value until `splitTtl`.
   */
  'hotkey:shard-error': ShardError;
}

export type CacheEventName = keyof CacheEvents;
export type CacheListener<E extends CacheEventName> = (payload: CacheEvents[E]) => void;

/**
 * A typed listener registry. Deliberately not an EventEmitter: an `'error'` event with no
 * listener would crash the process. A throwing listener is isolated from the others.
 */
export class CacheEventBus {
  private readonly listeners = new Map<CacheEventName, Set<(payload: never) => void>>();

  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Cheap check so the hot path builds payloads only when someone listens. */
  has(event: CacheEventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as CacheListener<E>)(payload);
      } catch {
        // Listeners are observers; one failing must not fail the call or the others.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
