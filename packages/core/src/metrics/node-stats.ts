import type { NodeStatus } from '../adapter.js';
import type { HotKeyEntry } from '../hot-keys/hot-keys.js';
import type { LocalTierStats } from '../tiers/local-tier.js';
import { WindowedHistogram } from './latency-histogram.js';

/** Counters for one node, as `cache.stats()` reports them. */
export interface NodeStats {
  readonly id: string;
  readonly status: NodeStatus;
  /** Calls that reached (or were meant for) this node; a many-key call counts once per key. */
  readonly ops: number;
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
  readonly deletes: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Bytes of values this node returned (hits; L1 hits never reach a node and are not counted). */
  readonly bytesRead: number;
  /** Bytes of values sent to this node by sets (hot-key shards included). */
  readonly bytesWritten: number;
  /** Calls this node has not answered yet, those whose callers already got `E_TIMEOUT` included. */
  readonly pending: number;
  /** Call latency over the last 10–20 s, in microseconds (0 before any call). */
  readonly latency: { readonly p50: number; readonly p99: number };
}

export interface CacheStats {
  readonly adapter: string;
  readonly nodes: NodeStats[];
  readonly totals: Omit<NodeStats, 'id' | 'status' | 'latency'>;
  /** `hits / (hits + misses)` at the shared tier, or 0 before any read. */
  readonly hitRate: number;
  /** The local tier (L1), when configured. */
  readonly local?: LocalTierStats;
  /** The hottest keys of the last detection window, when hot-key detection is on. */
  readonly hotKeys?: HotKeyEntry[];
  /** Hot-key shard or marker writes and deletes that failed (`hotkey:shard-error` events). */
  readonly hotKeyShardErrors?: number;
  /** `getOrSet` outcomes: loader calls and errors, stale values served, lease waits. */
  readonly resilience?: {
    loaderCalls: number;
    loaderErrors: number;
    staleServed: number;
    leaseWaits: number;
  };
}

/** Mutable per-node counters behind the snapshot. */
export class NodeCounters {
  ops = 0;
  hits = 0;
  misses = 0;
  sets = 0;
  deletes = 0;
  errors = 0;
  timeouts = 0;
  bytesRead = 0;
  bytesWritten = 0;
  pending = 0;
  /** Recorded by the call path with its own timestamps, so recording reads no extra clock. */
  readonly latency = new WindowedHistogram();

  snapshot(id: string, status: NodeStatus): NodeStats {
    const { ops, hits, misses, sets, deletes, errors, timeouts, bytesRead, bytesWritten, pending } = this;
    const latency = { p50: this.latency.percentile(50), p99: this.latency.percentile(99) };
    return {
      id,
      status,
      ops,
      hits,
      misses,
      sets,
      deletes,
      errors,
      timeouts,
      bytesRead,
      bytesWritten,
      pending,
      latency,
    };
  }
}

/** The counters of every node, created on first use so topology changes need no bookkeeping. */
export class NodeCounterTable {
  private readonly table = new Map<string, NodeCounters>();

  for(node: string): NodeCounters {
    let counters = this.table.get(node);
    if (counters === undefined) {
      counters = new NodeCounters();
      this.table.set(node, counters);
    }
    return counters;
  }

  snapshot(nodes: readonly { id: string; status: NodeStatus }[], adapter: string): CacheStats {
    const perNode = nodes.map((node) => this.for(node.id).snapshot(node.id, node.status));
    const totals = {
      ops: 0,
      hits: 0,
      misses: 0,
      sets: 0,
      deletes: 0,
      errors: 0,
      timeouts: 0,
      bytesRead: 0,
      bytesWritten: 0,
      pending: 0,
    };
    for (const counters of this.table.values()) {
      for (const field of Object.keys(totals) as (keyof typeof totals)[]) totals[field] += counters[field];
    }
    const reads = totals.hits + totals.misses;
    return { adapter, nodes: perNode, totals, hitRate: reads === 0 ? 0 : totals.hits / reads };
  }
}
