import { LRUCache } from 'lru-cache';
import type {
  AdapterCallOptions,
  AdapterCapabilities,
  AdapterEntry,
  AdapterEvent,
  AdapterNode,
  AtomicOperations,
  CacheAdapter,
} from '../adapter.js';
import { ClosedError, ConfigError, NodeUnavailableError, RingcacheError } from '../errors.js';
import type { HealthOptions } from '../health/node-health.js';
import type { NodeSpec } from '../node-spec.js';
import { hashRing } from '../ring/hash-ring.js';
import type { Partitioner } from '../ring/partitioner.js';
import { type FailoverPolicy, Router } from '../routing/router.js';

export interface MemoryAdapterOptions {
  /**
   * The in-process nodes: a count (ids `memory:1` … `memory:N`) or node specs.
   * @default 3
   */
  nodes?: number | readonly NodeSpec[];
  /** Builds the partitioner over the nodes. @default hashRing */
  partitioner?: (nodes: readonly NodeSpec[]) => Partitioner;
  /** LRU bound per node, in entries. @default 100_000 */
  maxEntriesPerNode?: number;
  /** LRU bound per node, in bytes of keys and values. @default 64 MiB */
  maxBytesPerNode?: number;
  /** Largest value accepted. @default 16 MiB */
  maxValueBytes?: number;
  health?: HealthOptions;
  /** @default 'next-node' */
  failover?: FailoverPolicy;
}

interface MemoryNode {
  store: LRUCache<string, Uint8Array>;
  /** Set by `faults.stopNode`: calls fail as if the process were gone. */
  down: boolean;
}

/**
 * The embedded default engine: N in-process nodes placed on the core ring through the core
 * Router, so routing, per-node stats, hot keys and node failures are all visible with no server.
 * Values are copied in and out, so callers can never mutate what is stored.
 */
export function memoryAdapter(options: MemoryAdapterOptions = {}): CacheAdapter {
  return new MemoryAdapter(options);
}

class MemoryAdapter implements CacheAdapter {
  readonly specificationVersion = 1;
  readonly name = 'memory';
  readonly capabilities: AdapterCapabilities;
  readonly faults;
  readonly atomic: AtomicOperations;
  private readonly router: Router;
  private readonly stores = new Map<string, MemoryNode>();
  private closed = false;

  constructor(options: MemoryAdapterOptions) {
    const specs = nodeSpecs(options.nodes ?? 3);
    const maxEntries = options.maxEntriesPerNode ?? 100_000;
    const maxBytes = options.maxBytesPerNode ?? 64 * 1024 * 1024;
    this.capabilities = {
      routing: 'client',
      nativeMultiGet: true,
      prefixClear: true,
      maxKeyBytes: 65_536,
      maxValueBytes: options.maxValueBytes ?? 16 * 1024 * 1024,
      ttlGranularityMs: 1,
      keyCharacters: 'any',
    };
    this.router = new Router({
      partitioner: (options.partitioner ?? hashRing)(specs),
      ...(options.health === undefined ? {} : { health: options.health }),
      ...(options.failover === undefined ? {} : { failover: options.failover }),
      classify: (error) => (NodeUnavailableError.isInstance(error) ? 'hard' : undefined),
    });
    for (const node of this.router.partitioner.nodes) {
      this.stores.set(node.id, {
        down: false,
        store: new LRUCache<string, Uint8Array>({
          max: maxEntries,
          maxSize: maxBytes,
          sizeCalculation: (value, key) => value.byteLength + key.length * 2 + 64,
        }),
      });
    }
    this.atomic = {
      add: async (key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions) =>
        this.onNode(this.route(key), options, (store) => {
          if (store.has(key)) return false;
          write(store, key, value, ttl);
          return true;
        }),
      increment: async (key: string, delta: number, ttl: number, options?: AdapterCallOptions) =>
        this.onNode(this.route(key), options, (store) => {
          const current = store.get(key);
          const next = (current === undefined ? 0 : parseInteger(current, key)) + delta;
          const bytes = encoder.encode(String(next));
          // An existing key keeps its expiry, like Redis INCRBY and memcached incr.
          if (current === undefined) write(store, key, bytes, ttl);
          else store.set(key, bytes, { noUpdateTTL: true });
          return next;
        }),
      touch: async (key: string, ttl: number, options?: AdapterCallOptions) =>
        this.onNode(this.route(key), options, (store) => {
          const current = store.get(key);
          if (current === undefined) return false;
          write(store, key, current, ttl);
          return true;
        }),
      ttl: async (key: string, options?: AdapterCallOptions) =>
        this.onNode(this.route(key), options, (store) => {
          if (!store.has(key)) return undefined;
          const remaining = store.getRemainingTTL(key);
          return Number.isFinite(remaining) ? Math.max(1, Math.ceil(remaining)) : 0;
        }),
      deleteIfEquals: async (key: string, value: Uint8Array, options?: AdapterCallOptions) =>
        this.onNode(this.route(key), options, (store) => {
          const current = store.get(key);
          if (current === undefined || !Buffer.from(current).equals(value)) return false;
          return store.delete(key);
        }),
    };
    this.faults = {
      stopNode: async (id: string) => {
        const node = this.node(id);
        node.down = true;
        node.store.clear(); // a stopped process loses its memory
      },
      startNode: async (id: string) => {
        this.node(id).down = false;
      },
    };
  }

  async get(key: string, options?: AdapterCallOptions): Promise<Uint8Array | undefined> {
    return this.onNode(this.route(key), options, (store) => copy(store.get(key)));
  }

  async getMany(keys: readonly string[], options?: AdapterCallOptions): Promise<(Uint8Array | undefined)[]> {
    this.assertOpen();
    return this.router.runGrouped(keys, identity, (node, group) =>
      this.onNode(node, options, (store) => group.map((key) => copy(store.get(key)))),
    );
  }

  async set(key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions): Promise<void> {
    return this.onNode(this.route(key), options, (store) => write(store, key, value, ttl));
  }

  async setMany(entries: readonly AdapterEntry[], options?: AdapterCallOptions): Promise<void> {
    this.assertOpen();
    await this.router.runGrouped(entries, entryKey, (node, group) =>
      this.onNode(node, options, (store) =>
        group.map((entry) => write(store, entry.key, entry.value, entry.ttl)),
      ),
    );
  }

  async delete(key: string, options?: AdapterCallOptions): Promise<boolean> {
    return this.onNode(this.route(key), options, (store) => store.delete(key));
  }

  async deleteMany(keys: readonly string[], options?: AdapterCallOptions): Promise<boolean[]> {
    this.assertOpen();
    return this.router.runGrouped(keys, identity, (node, group) =>
      this.onNode(node, options, (store) => group.map((key) => store.delete(key))),
    );
  }

  async clear(prefix?: string, options?: AdapterCallOptions): Promise<void> {
    this.assertOpen();
    // Reaches every node, down ones included: a clear must not leave a node to come back stale.
    await Promise.all(
      [...this.stores.keys()].map((id) =>
        this.onNode(id, options, (store) => {
          if (prefix === undefined) return store.clear();
          for (const key of [...store.keys()]) if (key.startsWith(prefix)) store.delete(key);
        }),
      ),
    );
  }

  nodes(): AdapterNode[] {
    return this.router
      .nodes()
      .map((node) => (this.stores.get(node.id)?.down ? { ...node, status: 'down' } : node));
  }

  topology(): Partitioner {
    return this.router.topology();
  }

  subscribe(listener: (event: AdapterEvent) => void): () => void {
    return this.router.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.close();
    for (const node of this.stores.values()) node.store.clear();
  }

  private route(key: string): string {
    this.assertOpen();
    return this.router.route(key);
  }

  /** Runs an operation on one node as the engine would: asynchronously, failing when it is down. */
  private onNode<T>(
    id: string,
    options: AdapterCallOptions | undefined,
    operation: (store: LRUCache<string, Uint8Array>) => T,
  ) {
    return this.router.run(id, async () => {
      options?.signal?.throwIfAborted();
      const node = this.node(id);
      if (node.down) throw new NodeUnavailableError(`memory node ${id} is stopped`, { node: id });
      return operation(node.store);
    });
  }

  private node(id: string): MemoryNode {
    const node = this.stores.get(id);
    if (node === undefined) throw new ConfigError(`unknown memory node ${id}`);
    return node;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('the memory adapter is closed');
  }
}

function nodeSpecs(nodes: number | readonly NodeSpec[]): readonly NodeSpec[] {
  if (typeof nodes !== 'number') return nodes;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 1024) {
    throw new ConfigError(`nodes must be an integer from 1 to 1024, got ${String(nodes)}`);
  }
  return Array.from({ length: nodes }, (_, index) => `memory:${index + 1}`);
}

function write(store: LRUCache<string, Uint8Array>, key: string, value: Uint8Array, ttl: number): void {
  store.set(key, value.slice(), ttl > 0 ? { ttl } : {});
}

function copy(value: Uint8Array | undefined): Uint8Array | undefined {
  return value?.slice();
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseInteger(bytes: Uint8Array, key: string): number {
  const text = decoder.decode(bytes);
  if (!/^-?\d+$/.test(text))
    throw new RingcacheError('E_BACKEND', `${key} does not hold an integer`, { key });
  return Number(text);
}

const identity = (key: string) => key;
const entryKey = (entry: AdapterEntry) => entry.key;
