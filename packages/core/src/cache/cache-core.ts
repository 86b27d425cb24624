import type { AdapterEvent, CacheAdapter } from '../adapter.js';
import { AbortedError, ClosedError, OverloadedError, RingcacheError, TimeoutError } from '../errors.js';
import { type HotKeyEnvironment, type HotKeyOptions, HotKeys } from '../hot-keys/hot-keys.js';
import { type CacheStats, type NodeCounters, NodeCounterTable } from '../metrics/node-stats.js';
import type { CallOutcome } from '../metrics/opentelemetry.js';
import type { Partitioner } from '../ring/partitioner.js';
import { LocalTier, type LocalTierOptions } from '../tiers/local-tier.js';
import { type Deadline, DeadlineQueue } from './deadlines.js';
import { CacheEventBus } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { Serializer } from './serializers.js';
import { shardEngine } from './shard-engine.js';
import { TieredStore } from './tiered-store.js';

/**
 * The state every namespace view of one cache shares: the adapter, options, counters, events,
 * deadlines and in-flight loads. `Cache` is the user-facing view over it.
 */
export class CacheCore {
  readonly events = new CacheEventBus();
  readonly counters = new NodeCounterTable();
  /** In-flight `getOrSet` loads by final key: single-flight within the process. */
  readonly flights = new Map<string, Promise<unknown>>();
  /** `getOrSet` outcomes, for stats. */
  readonly resilience = { loaderCalls: 0, loaderErrors: 0, staleServed: 0, leaseWaits: 0 };
  readonly store: TieredStore;
  readonly local: LocalTier | undefined;
  readonly hotKeys: HotKeys | undefined;
  private readonly hotTier: LocalTier | undefined;
  /** @internal the timer of every pending call, shared with `Flight` */
  readonly deadlines: DeadlineQueue;
  private topology: Partitioner;
  private readonly unsubscribe: () => void;
  /** Resolves once bus subscriptions are live; L1 stays bypassed until then. */
  readonly ready: Promise<void>;
  closed = false;

  constructor(
    readonly adapter: CacheAdapter,
    readonly options: ResolvedOptions,
    readonly serializer: Serializer,
    tiers: { local?: LocalTierOptions | undefined; hotKeys?: HotKeyOptions | undefined } = {},
  ) {
    this.deadlines = new DeadlineQueue(options.timeout);
    this.topology = adapter.topology();
    this.unsubscribe = adapter.subscribe((event) => this.onAdapterEvent(event));
    this.local = tiers.local === undefined ? undefined : new LocalTier(tiers.local);
    const hotKeys = tiers.hotKeys;
    if (hotKeys !== undefined) {
      // Hot keys use the L1 when there is one; otherwise a small tier of their own, which also
      // carries split announcements when `hotKeys.bus` is given.
      this.hotTier =
        this.local ??
        new LocalTier({
          ttl: hotKeys.localTtl ?? 1000,
          maxEntries: 1000,
          ...(hotKeys.bus === undefined ? {} : { bus: hotKeys.bus, channel: hotKeys.channel }),
        });
      this.hotKeys = new HotKeys(hotKeys, this.hotKeyEnvironment(), this.hotTier);
    }
    const messenger = this.hotTier ?? this.local;
    if (messenger !== undefined) {
      messenger.onBusError = (error) => this.events.emit('bus:error', { error });
      messenger.onForeignMessage = (message) => this.hotKeys?.receive(message);
    }
    this.store = new TieredStore(this, this.local, this.hotKeys, this.hotTier);
    this.ready = messenger?.start() ?? Promise.resolve();
    // A bus that fails to subscribe leaves L1 bypassed; the error is an event, not a crash.
    this.ready.catch((error: unknown) => this.events.emit('bus:error', { error }));
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
   * adapter's promise is always observed, so a late rejection is never unhandled. `observe` sees
   * the value of a call that settles in time, before the caller does (counting without another
   * promise in the chain).
   */
  call<T>(
    operation: string,
    node: string | undefined,
    key: string | undefined,
    signal: AbortSignal | undefined,
    start: () => Promise<T>,
    observe?: (value: T) => void,
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
    // Latency is sampled (one call in four) and only for calls with a node: two clock reads per
    // call were ~5–9% of the facade's cost, and percentiles need samples, not every call.
    const started = counters !== undefined && (counters.ops & 3) === 0 ? performance.now() : -1;
    // Without a tracer this is one field read: no span, no closure.
    const tracer = this.options.tracer;
    const end = tracer === undefined ? undefined : tracer.startCall(operation, node);
    const flight = new Flight<T>(this, operation, node, key, signal, counters, started, observe, end);
    const result = new Promise<T>((resolve, reject) => {
      flight.resolve = resolve;
      flight.reject = reject;
    });
    this.deadlines.add(flight);
    if (signal !== undefined) flight.listen(signal);
    let pending: Promise<T>;
    try {
      pending = start();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => flight.fulfil(value),
      (error: unknown) => flight.fail(error),
    );
    return result;
  }

  stats(): CacheStats {
    const stats = this.counters.snapshot(this.adapter.nodes(), this.adapter.name);
    return {
      ...stats,
      ...(this.local === undefined ? {} : { local: this.local.stats() }),
      hotKeys: this.hotKeys?.top() ?? [],
      ...(this.hotKeys === undefined ? {} : { hotKeyShardErrors: this.hotKeys.shardErrors }),
      resilience: { ...this.resilience },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.close();
    this.unsubscribe();
    this.hotKeys?.close();
    await this.local?.close();
    if (this.hotTier !== this.local) await this.hotTier?.close();
    try {
      await this.adapter.close();
    } finally {
      this.events.clear();
    }
  }

  private hotKeyEnvironment(): HotKeyEnvironment {
    const engineRouted = this.adapter.capabilities.routing === 'engine';
    const maxKeyBytes = this.adapter.capabilities.maxKeyBytes;
    return {
      nodeOf: (key) => this.nodeOf(key),
      nodeCount: () => this.topology.nodes.length,
      // A Redis {hash tag} pins every shard to the key's slot: splitting cannot spread it.
      canSplit: (key) =>
        !(engineRouted && /\{[^}]+\}/.test(key)) && Buffer.byteLength(key) + 8 <= maxKeyBytes,
      ...shardEngine(this),
      emit: (event, entry) =>
        this.events.emit(event === 'promote' ? 'hotkey:promote' : 'hotkey:demote', entry),
    };
  }

  private onAdapterEvent(event: AdapterEvent): void {
    switch (event.type) {
      case 'topology:change':
        this.topology = event.topology;
        this.events.emit('topology:change', { topology: event.topology });
        return;
      case 'node:eject':
        this.events.emit('node:eject', { node: event.node, reason: event.reason, kind: event.kind });
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

/**
 * One adapter call in flight: its deadline, its node's counters and the caller's promise. One
 * object per call rather than a closure per outcome (settled, failed, expired, aborted): this
 * runs on every operation, and fewer allocations per call measured faster under load.
 */
class Flight<T> implements Deadline {
  at = 0;
  pending = false;
  resolve: ((value: T) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  private onAbort: (() => void) | undefined = undefined;
  /** Answered by the cache (timeout, abort) but not by the node yet: still counted as pending. */
  private owed = false;

  constructor(
    private readonly core: CacheCore,
    private readonly operation: string,
    private readonly node: string | undefined,
    private readonly key: string | undefined,
    private signal: AbortSignal | undefined,
    private readonly counters: NodeCounters | undefined,
    /** `performance.now()` when a sampled call started; -1 when this call is not timed. */
    private readonly started: number,
    private observe: ((value: T) => void) | undefined,
    /** Ends this call's span, when the cache has a tracer. */
    private end: ((error?: unknown, outcome?: CallOutcome) => void) | undefined,
  ) {}

  listen(signal: AbortSignal): void {
    this.onAbort = () => this.abort();
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  fulfil(value: T): void {
    if (!this.pending) {
      this.answered();
      return;
    }
    const { resolve, observe, end } = this;
    this.finish(true);
    if (end !== undefined)
      end(undefined, this.operation === 'get' ? (value === undefined ? 'miss' : 'hit') : 'ok');
    observe?.(value);
    resolve?.(value);
  }

  fail(error: unknown): void {
    if (!this.pending) {
      this.answered();
      return;
    }
    const { reject, end } = this;
    this.finish(true);
    const { operation, node, key } = this;
    const failure = RingcacheError.isInstance(error) ? error : backendError(operation, error, node, key);
    end?.(failure, 'error');
    reject?.(failure);
  }

  /** The cache's timeout passed: the call rejects with E_TIMEOUT (the adapter's promise is still observed). */
  expire(): void {
    const { operation, node, key, reject } = this;
    this.done(true, true);
    if (this.counters !== undefined) this.counters.timeouts++;
    this.core.events.emit('timeout', { operation, key, node });
    const timeout = new TimeoutError(`${operation} did not settle within ${this.core.options.timeout} ms`, {
      node,
      key,
    });
    this.end?.(timeout, 'timeout');
    reject?.(timeout);
  }

  release(): void {
    this.resolve = undefined;
    this.reject = undefined;
    this.observe = undefined;
    this.end = undefined;
  }

  private abort(): void {
    if (!this.pending) return;
    const { key, node, signal, reject, end } = this;
    // An abort is the caller's choice, not the node's latency.
    this.core.deadlines.settle(this);
    this.done(false, true);
    const aborted = new AbortedError(undefined, { key, node, cause: signal?.reason });
    end?.(aborted, 'aborted');
    reject?.(aborted);
  }

  /** The node answered a call the cache had already answered: it no longer owes it. */
  private answered(): void {
    if (!this.owed) return;
    this.owed = false;
    this.counters!.pending--;
  }

  /** Settles the deadline (which releases the promise functions) and does the bookkeeping. */
  private finish(measured: boolean): void {
    this.core.deadlines.settle(this);
    this.done(measured);
  }

  /**
   * `owed`: the caller got its answer (E_TIMEOUT, an abort) but the adapter's call still waits on
   * the node, so it keeps its place in `pending` until the node answers (`answered`). `maxPending`
   * then bounds what a frozen node is owed, not just what callers still wait for: without this,
   * every timed-out call left a command queued in the client (a frozen Hazelcast member held
   * 13,790 invocations, +23 MB of heap, after 30 s at 500 calls/s).
   */
  private done(measured: boolean, owed = false): void {
    const counters = this.counters;
    if (counters !== undefined) {
      if (owed) this.owed = true;
      else counters.pending--;
      if (measured && this.started >= 0) {
        const now = performance.now();
        counters.latency.record((now - this.started) * 1000, now);
      }
    }
    if (this.onAbort !== undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
      this.signal = undefined;
    }
  }
}
