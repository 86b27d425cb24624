import type { AdapterEvent, CacheAdapter } from '../adapter.js';
import { AbortedError, ClosedError, OverloadedError, RingcacheError, TimeoutError } from '../errors.js';
import { type CacheStats, NodeCounterTable } from '../metrics/node-stats.js';
import type { Partitioner } from '../ring/partitioner.js';
import { DeadlineQueue } from './deadlines.js';
import { CacheEventBus } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { Serializer } from './serializers.js';

/**
 * The state every namespace view of one cache shares: the adapter, options, counters, events,
 * deadlines and in-flight loads. `Cache` is the user-facing view over it.
 */
export class CacheCore {
  readonly events = new CacheEventBus();
  readonly counters = new NodeCounterTable();
  /** In-flight `getOrSet` loads by final key: single-flight within the process. */
  readonly flights = new Map<string, Promise<unknown>>();
  private readonly deadlines: DeadlineQueue;
  private topology: Partitioner;
  private readonly unsubscribe: () => void;
  closed = false;

  constructor(
    readonly adapter: CacheAdapter,
    readonly options: ResolvedOptions,
    readonly serializer: Serializer,
  ) {
    this.deadlines = new DeadlineQueue(options.timeout);
    this.topology = adapter.topology();
    this.unsubscribe = adapter.subscribe((event) => this.onAdapterEvent(event));
  }

  /** The node that owns a final key now, for per-node stats; undefined when none can. */
  nodeOf(key: string): string | undefined {
    try {
      return this.topology.locate(key);
    } catch {
      return undefined;
    }
  }

  /**
   * Runs one adapter call under the cache's timeout, `maxPending` bound and abort signal. The
   * adapter's promise is always observed, so a late rejection is never unhandled.
   */
  call<T>(
    operation: string,
    node: string | undefined,
    key: string | undefined,
    signal: AbortSignal | undefined,
    start: () => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (signal?.aborted) return Promise.reject(new AbortedError(undefined, { key, cause: signal.reason }));
    const counters = node === undefined ? undefined : this.counters.for(node);
    if (counters !== undefined) {
      if (counters.pending >= this.options.maxPending) {
        return Promise.reject(
          new OverloadedError(`${counters.pending} calls already pending on ${node}`, { node, key }),
        );
      }
      counters.pending++;
    }
    return new Promise<T>((resolve, reject) => {
      const finish = () => {
        if (counters !== undefined) counters.pending--;
        signal?.removeEventListener('abort', onAbort);
      };
      const deadline = this.deadlines.add(() => {
        finish();
        if (counters !== undefined) counters.timeouts++;
        this.events.emit('timeout', { operation, key, node });
        reject(
          new TimeoutError(`${operation} did not settle within ${this.options.timeout} ms`, { node, key }),
        );
      });
      const onAbort = () => {
        if (!deadline.pending) return;
        deadline.pending = false;
        finish();
        reject(new AbortedError(undefined, { key, node, cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let pending: Promise<T>;
      try {
        pending = start();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (!deadline.pending) return;
          deadline.pending = false;
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (!deadline.pending) return;
          deadline.pending = false;
          finish();
          reject(RingcacheError.isInstance(error) ? error : backendError(operation, error, node, key));
        },
      );
    });
  }

  stats(): CacheStats {
    return this.counters.snapshot(this.adapter.nodes(), this.adapter.name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.close();
    this.unsubscribe();
    try {
      await this.adapter.close();
    } finally {
      this.events.clear();
    }
  }

  private onAdapterEvent(event: AdapterEvent): void {
    switch (event.type) {
      case 'topology:change':
        this.topology = event.topology;
        this.events.emit('topology:change', { topology: event.topology });
        return;
      case 'node:eject':
        this.events.emit('node:eject', { node: event.node, reason: event.reason });
        return;
      case 'node:readmit':
        this.events.emit('node:readmit', { node: event.node });
        return;
      case 'client:error':
        this.events.emit('client:error', { node: event.node, error: event.error });
        return;
    }
  }
}

/** Wraps an engine's own error (a Redis error reply, a socket error) with a stable code. */
function backendError(operation: string, error: unknown, node: string | undefined, key: string | undefined) {
  const message = error instanceof Error ? error.message : String(error);
  return new RingcacheError('E_BACKEND', `${operation} failed: ${message}`, { cause: error, node, key });
}
