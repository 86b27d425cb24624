import type { Partitioner } from './ring/partitioner.js';

/**
 * The contract every engine implements, version 1. Adapters move bytes: the facade
 * (`createCache`) does serialization, namespaces, validation, TTL defaults and jitter,
 * single-flight, tiers, hot keys and metrics once, so an adapter only talks to its engine.
 *
 * Keys reaching an adapter are final (namespaced, hashed if long, validated against
 * `capabilities`); TTLs are whole milliseconds, `0` meaning no expiry.
 */
export interface CacheAdapter {
  /** The contract version this adapter implements. */
  readonly specificationVersion: 1;
  /** A short engine name for stats and logs (`'memory'`, `'redis-cluster'`, ...). */
  readonly name: string;
  /** What the engine allows (key and value sizes, characters, TTL resolution) and how it routes. */
  readonly capabilities: AdapterCapabilities;

  /**
   * @returns the stored bytes, or `undefined` on a miss or an expired entry
   * @throws RingcacheError `E_NODE_UNAVAILABLE` when the owning node cannot be reached
   */
  get(key: string, options?: AdapterCallOptions): Promise<Uint8Array | undefined>;
  /**
   * Reads many keys that may live on different nodes; never fails on cross-node keys.
   * @returns values in input order, `undefined` for a miss
   * @throws PartialError (`E_PARTIAL`) when some keys could not be read; it carries per-key results
   */
  getMany(keys: readonly string[], options?: AdapterCallOptions): Promise<(Uint8Array | undefined)[]>;
  /**
   * Stores a value. When the write cannot be applied the promise rejects: nothing is lost silently.
   * @param ttl milliseconds, `0` = no expiry; the adapter rounds up to `ttlGranularityMs`
   * @throws RingcacheError `E_NODE_UNAVAILABLE`, `E_BACKEND`, `E_VALUE_TOO_LARGE`, `E_CLOSED`
   */
  set(key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions): Promise<void>;
  /** @throws PartialError when some entries could not be written */
  setMany(entries: readonly AdapterEntry[], options?: AdapterCallOptions): Promise<void>;
  /**
   * @returns true when a value was removed
   * @throws RingcacheError `E_NODE_UNAVAILABLE`, `E_BACKEND`, `E_CLOSED`
   */
  delete(key: string, options?: AdapterCallOptions): Promise<boolean>;
  /**
   * @returns per key, in input order, whether a value was removed
   * @throws PartialError when some keys could not be deleted
   */
  deleteMany(keys: readonly string[], options?: AdapterCallOptions): Promise<boolean[]>;
  /**
   * Removes every key starting with `prefix` on EVERY node, or everything the adapter owns when
   * `prefix` is undefined. Adapters that cannot enumerate keys declare `prefixClear: false`; the
   * facade then clears namespaces by bumping a generation counter instead.
   * @throws RingcacheError `E_NODE_UNAVAILABLE` when a node could not be cleared; `E_CLOSED`
   */
  clear(prefix?: string, options?: AdapterCallOptions): Promise<void>;

  /**
   * Optional atomic operations, used by the facade's `add`, `increment`, `touch`, `ttl` and
   * cross-process leases. An adapter without one makes those calls reject with `E_UNSUPPORTED`.
   */
  readonly atomic?: AtomicOperations;

  /** The nodes and their health, now. Synchronous: a snapshot, no I/O. */
  nodes(): AdapterNode[];
  /** Where keys live now, as a Partitioner. Engine-routed adapters mirror the engine's own map. */
  topology(): Partitioner;
  /**
   * Subscribes to adapter events (topology changes, node ejection and re-admission, client
   * errors). Listeners must not throw; the returned function unsubscribes.
   */
  subscribe(listener: (event: AdapterEvent) => void): () => void;

  /**
   * Test hooks the conformance suite uses to take a node away and bring it back. Optional:
   * adapters over engines they do not run (a managed cluster) leave it out.
   */
  readonly faults?: AdapterFaults;

  /**
   * Closes connections. Later calls reject with `E_CLOSED`. Idempotent.
   * @throws when the engine client fails to close; later calls still reject with `E_CLOSED`
   */
  close(): Promise<void>;
}

export interface AtomicOperations {
  /**
   * Stores the value only if the key holds none (Redis `SET NX PX`, memcached `add`).
   * @returns true when this call stored it
   */
  add(key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions): Promise<boolean>;
  /**
   * Adds `delta` to an integer stored as decimal text, creating it at `delta` when absent (with
   * `ttl`, ms, applied only on creation).
   * @returns the new value
   * @throws RingcacheError `E_BACKEND` when the stored value is not an integer
   */
  increment(key: string, delta: number, ttl: number, options?: AdapterCallOptions): Promise<number>;
  /** Sets a new TTL on an existing key. @returns false when the key does not exist */
  touch(key: string, ttl: number, options?: AdapterCallOptions): Promise<boolean>;
  /**
   * The remaining TTL in ms: `undefined` when the key does not exist, `0` when it never expires.
   * Engines that cannot tell (memcached) leave this out.
   */
  ttl?(key: string, options?: AdapterCallOptions): Promise<number | undefined>;
  /**
   * Deletes the key only if it holds exactly `value`, as one atomic step on the engine (Redis: a
   * Lua GET-compare-DEL; Hazelcast: `IMap.remove(key, value)`; memcached: `gets`, then a `cas`
   * that expires the item, so it fails if anything wrote the key in between). Leases release
   * with it, so a lease that expired and went to another holder is never deleted by the old one.
   * Without it the facade falls back to a GET then a DELETE (a small window, documented).
   * @returns true when this call deleted it
   */
  deleteIfEquals?(key: string, value: Uint8Array, options?: AdapterCallOptions): Promise<boolean>;
}

/**
 * What the facade must know about the engine to validate and route before any I/O. There is no
 * `bus` flag: an invalidation bus is its own object (`redisBus`, `hazelcastBus`, `memoryBus`)
 * given to the cache's `local.bus`, so a flag on the adapter would have nothing to act on.
 */
export interface AdapterCapabilities {
  /**
   * `'client'`: the adapter routes with a core `Router` (memory, memcached).
   * `'engine'`: the engine routes (Redis Cluster slots, Hazelcast partitions).
   */
  readonly routing: 'client' | 'engine';
  /** The engine answers a many-key read in one round trip per node. */
  readonly nativeMultiGet: boolean;
  /** `clear(prefix)` works (the engine can enumerate keys). */
  readonly prefixClear: boolean;
  /** Largest key in UTF-8 bytes. @default Infinity when omitted by the facade's view */
  readonly maxKeyBytes: number;
  /** Largest value in bytes the engine stores. */
  readonly maxValueBytes: number;
  /** TTL resolution: TTLs are rounded up to a multiple of this. memcached: 1000. */
  readonly ttlGranularityMs: number;
  /**
   * Which characters keys may hold: `'any'`, or `'printable'` for engines whose text protocol
   * forbids whitespace and control characters (memcached).
   */
  readonly keyCharacters: 'any' | 'printable';
}

export interface AdapterCallOptions {
  /** Aborts the wait; the engine may still apply a write already sent. */
  readonly signal?: AbortSignal | undefined;
}

export interface AdapterEntry {
  /** The final key (namespaced, validated). */
  readonly key: string;
  /** The bytes to store; the adapter may keep a reference until the call settles, not longer. */
  readonly value: Uint8Array;
  /** Milliseconds, `0` = no expiry. */
  readonly ttl: number;
}

/**
 * `'up'`: serving. `'down'`: unreachable (the engine or its client says so). `'ejected'`: taken
 * out of routing by the core health checks after repeated failures, re-admitted after a retry.
 */
export type NodeStatus = 'up' | 'down' | 'ejected';

export interface AdapterNode {
  /** `host:port`, the id partitioners return. */
  readonly id: string;
  /** How to reach it, for humans and dashboards. */
  readonly address: string;
  /** Its health now; see `NodeStatus`. */
  readonly status: NodeStatus;
}

/**
 * What an adapter reports outside calls: a new key placement (`topology:change`), a node taken
 * out of or back into routing, and client errors that no call saw (a dropped connection).
 */
export type AdapterEvent =
  | { readonly type: 'topology:change'; readonly topology: Partitioner }
  | {
      readonly type: 'node:eject';
      readonly node: string;
      readonly reason: unknown;
      /** `'hard'`: refused or reset connections; `'soft'`: timeouts. Absent when the engine itself dropped the node. */
      readonly kind?: 'hard' | 'soft' | undefined;
    }
  | { readonly type: 'node:readmit'; readonly node: string }
  | { readonly type: 'client:error'; readonly node: string | undefined; readonly error: unknown };

export interface AdapterFaults {
  /** Makes the node unreachable (stops the process, or simulates it for in-process nodes). */
  stopNode(id: string): Promise<void>;
  /** Brings a stopped node back. */
  startNode(id: string): Promise<void>;
}
