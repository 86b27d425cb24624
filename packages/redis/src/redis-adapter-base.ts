import type { EventEmitter } from 'node:events';
import {
  AbortedError,
  type AdapterCallOptions,
  type AdapterCapabilities,
  type AdapterEntry,
  type AdapterEvent,
  type AdapterFaults,
  type AdapterNode,
  type AtomicOperations,
  type CacheAdapter,
  ClosedError,
  type KeyGroup,
  type Partitioner,
  type RingcacheError,
} from '@ringcache/core';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { atomicOperations } from './atomic-operations.js';
import { commandValue, orUndefined, quitWithin } from './clients.js';
import { type DirectConnection, ReplyError } from './direct-connection.js';
import { toRingcacheError } from './errors.js';
import { prefixPattern } from './glob.js';
import { settleMany } from './many-outcomes.js';
import { type RedisAdapterBaseOptions, type ResolvedLimits, resolveLimits } from './options.js';
import { TickWriteCoalescer } from './write-coalescing.js';

/** A master `clear()` scans, with the connection to it. */
export interface ScanTarget {
  readonly id: string;
  readonly redis: Redis;
}

/**
 * What the cluster and the standalone adapter share: every data call, `clear()`, events and
 * closing. Subclasses say when a call must fail fast (`refuse`), how keys group into multi-key
 * commands, and which masters `clear()` scans.
 *
 * Keys: the caller's key gets the adapter's `keyPrefix` here; ioredis then adds its own
 * `keyPrefix` when the client has one. `enginePrefix` is both, what the server and the slot map see.
 */
export abstract class RedisAdapterBase<C extends Redis | Cluster> implements CacheAdapter {
  readonly specificationVersion = 1;
  abstract readonly name: string;
  readonly capabilities: AdapterCapabilities;
  readonly faults: AdapterFaults | undefined;
  /** `add` (SET NX PX), `increment` (INCRBY), `touch` (PEXPIRE), `ttl` (PTTL): see atomic-operations.ts. */
  readonly atomic: AtomicOperations;
  protected readonly limits: ResolvedLimits;
  /** The adapter's own prefix, added to every key before ioredis sees it. */
  protected readonly prefix: string;
  /** ioredis' own `keyPrefix` (a client you passed may have one); ioredis adds it when sending. */
  protected readonly clientPrefix: string;
  /** `clientPrefix + prefix`: what every stored key of this adapter starts with. */
  protected readonly enginePrefix: string;
  protected closed = false;
  private readonly listeners = new Set<(event: AdapterEvent) => void>();
  private readonly detachers: (() => void)[] = [];
  /** Holds each tick's commands for one write per connection (see write-coalescing.ts). */
  private readonly writes: TickWriteCoalescer;

  protected constructor(
    protected readonly client: C,
    /** True when the adapter created the client, so `close()` quits it. */
    protected readonly ownsClient: boolean,
    options: RedisAdapterBaseOptions,
  ) {
    this.limits = resolveLimits(options);
    this.prefix = this.limits.keyPrefix;
    this.clientPrefix = client.options.keyPrefix ?? '';
    this.enginePrefix = this.clientPrefix + this.prefix;
    this.faults = options.faults;
    this.writes = new TickWriteCoalescer(() => this.sockets());
    this.capabilities = {
      routing: 'engine',
      nativeMultiGet: true,
      prefixClear: true,
      maxKeyBytes: this.limits.maxKeyBytes - Buffer.byteLength(this.enginePrefix),
      maxValueBytes: this.limits.maxValueBytes,
      ttlGranularityMs: 1,
      keyCharacters: 'any',
    };
    this.atomic = atomicOperations({
      client,
      prefix: this.prefix,
      refuse: (key, write, call) => this.refuse(key, write) ?? aborted(call, key),
      failure: this.failure,
    });
  }

  /** The ioredis client, for escape hatches (Lua scripts, WAIT, INFO). Do not close it while the adapter is open. */
  getClient(): C {
    return this.client;
  }

  /** The client's connections now, whose writes each tick coalesces. */
  protected abstract sockets(): readonly Redis[];
  /** Why a call for `key` must fail now without being sent (closed, node down), or undefined. */
  protected abstract refuse(key: string, write: boolean): RingcacheError | undefined;
  /** True when `refuse` would accept every key (connected, every master up): many-key calls skip it. */
  protected abstract allUp(): boolean;
  /** The node serving `key` now, for error reports; undefined when unknown. */
  protected abstract nodeOf(key: string): string | undefined;
  /**
   * True when `key` may share a slot with other keys of a many-key call, so grouping it into an
   * MGET can pay: a key holding `{` (a possible hash tag), or any key on a single Redis.
   */
  protected abstract mayShareSlot(key: string): boolean;
  /**
   * Splits keys as sent to ioredis (adapter prefix added) into groups one multi-key command may
   * carry: one slot in a cluster, all of them on a single Redis.
   */
  protected abstract groupKeys(commandKeys: readonly string[]): KeyGroup<unknown>[];
  /**
   * The adapter's own connection to the node serving `key` now, for GET, SET and UNLINK (see
   * direct-connection.ts), or undefined: the call then goes through ioredis.
   */
  protected directFor(_key: string): DirectConnection | undefined {
    return undefined;
  }
  /** The masters `clear()` must scan. @throws NodeUnavailableError when one cannot be reached */
  protected abstract scanTargets(): ScanTarget[];
  /** Deletes keys found by SCAN on `target` (full stored keys, ioredis' prefix included). */
  protected abstract unlinkScanned(target: ScanTarget, keys: Buffer[]): Promise<void>;
  abstract nodes(): AdapterNode[];
  abstract topology(): Partitioner;

  // Single-key calls chain one handler pair on ioredis' promise: the redirection check runs only
  // on failure (see `retryAlone`), so a call that succeeds allocates no other promise.
  get(key: string, options?: AdapterCallOptions): Promise<Uint8Array | undefined> {
    const refused = this.refuse(key, false) ?? aborted(options, key);
    if (refused !== undefined) return Promise.reject(refused);
    const k = this.prefix + key;
    const direct = this.directFor(key);
    if (direct === undefined) return this.getThroughClient(key, k);
    return direct
      .get(this.clientPrefix + k)
      .then(undefinedIfNull, (error: unknown) =>
        error instanceof ReplyError
          ? this.retryAlone(error, key, (pipeline) => pipeline.getBuffer(k), orUndefined)
          : this.getThroughClient(key, k),
      );
  }

  /** GET through ioredis; also a direct read's second try when its connection failed (reads repeat safely). */
  private getThroughClient(key: string, k: string): Promise<Uint8Array | undefined> {
    this.writes.hold();
    return this.client
      .getBuffer(k)
      .then(orUndefined, (error: unknown) =>
        this.retryAlone(error, key, (pipeline) => pipeline.getBuffer(k), orUndefined),
      );
  }

  set(key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions): Promise<void> {
    const refused = this.refuse(key, true) ?? aborted(options, key);
    if (refused !== undefined) return Promise.reject(refused);
    const k = this.prefix + key;
    const px = Math.ceil(ttl);
    const direct = this.directFor(key);
    if (direct !== undefined) {
      return direct
        .set(this.clientPrefix + k, value, ttl > 0 ? px : 0)
        .then(nothing, (error: unknown) =>
          this.retryAlone(error, key, (pipeline) => this.resendSet(pipeline, k, value, ttl), nothing),
        );
    }
    const v = commandValue(value);
    this.writes.hold();
    return (ttl > 0 ? this.client.set(k, v, 'PX', px) : this.client.set(k, v)).then(
      nothing,
      (error: unknown) =>
        this.retryAlone(error, key, (pipeline) => this.resendSet(pipeline, k, value, ttl), nothing),
    );
  }

  delete(key: string, options?: AdapterCallOptions): Promise<boolean> {
    const refused = this.refuse(key, true) ?? aborted(options, key);
    if (refused !== undefined) return Promise.reject(refused);
    const k = this.prefix + key;
    const direct = this.directFor(key);
    if (direct === undefined) this.writes.hold();
    return (direct === undefined ? this.client.unlink(k) : direct.unlink(this.clientPrefix + k)).then(
      isPositive,
      (error: unknown) => this.retryAlone(error, key, (pipeline) => pipeline.unlink(k), isPositive),
    );
  }

  /**
   * Keys that may share a slot (see `mayShareSlot`) are grouped by slot and read with one MGET
   * per group; the others go out as one GET each, which the tick's write coalescing batches per node
   * anyway. Grouping costs a CRC16 per key and only pays when keys share slots: measured on a
   * 3-master cluster, 100 keys per call, MGET per slot vs GET per key was 0.92–1.08× with keys
   * spread over slots and 5–8× faster with keys sharing a hash tag.
   */
  getMany(keys: readonly string[], options?: AdapterCallOptions): Promise<(Uint8Array | undefined)[]> {
    const refused = this.callable(options);
    if (refused !== undefined) return Promise.reject(refused);
    this.writes.hold();
    const replies = new Array<Promise<Uint8Array | null>>(keys.length);
    const grouped: number[] = [];
    const check = !this.allUp();
    for (let position = 0; position < keys.length; position++) {
      const key = keys[position]!;
      if (this.mayShareSlot(key)) grouped.push(position);
      else if (check) replies[position] = this.send(true, key, false, () => this.getBuffer(key));
      else replies[position] = this.getBuffer(key);
    }
    if (grouped.length > 0) this.readGroups(keys, grouped, replies, check);
    return settleMany(keys, replies, orUndefined, this.failure);
  }

  setMany(entries: readonly AdapterEntry[], options?: AdapterCallOptions): Promise<void> {
    const refused = this.callable(options);
    if (refused !== undefined) return Promise.reject(refused);
    this.writes.hold();
    const check = !this.allUp();
    const replies = entries.map((entry) =>
      check
        ? this.send(true, entry.key, true, () => this.write(entry.key, entry.value, entry.ttl))
        : this.write(entry.key, entry.value, entry.ttl),
    );
    return settleMany(
      entries.map((entry) => entry.key),
      replies,
      nothing,
      this.failure,
    ).then(nothing);
  }

  /** One UNLINK per key: Redis answers a multi-key UNLINK with a count, and callers want each key's answer. */
  deleteMany(keys: readonly string[], options?: AdapterCallOptions): Promise<boolean[]> {
    const refused = this.callable(options);
    if (refused !== undefined) return Promise.reject(refused);
    this.writes.hold();
    const check = !this.allUp();
    const replies = keys.map((key) =>
      check ? this.send(true, key, true, () => this.unlink(key)) : this.unlink(key),
    );
    return settleMany(keys, replies, isPositive, this.failure);
  }

  /**
   * SCANs every master for `keyPrefix + prefix*` (glob characters escaped) and UNLINKs what it
   * finds, batch by batch; or, for `clear()` with `flushAllOnClear`, FLUSHALL ASYNC on every
   * master. Every master is attempted; the first failure is thrown after all have finished.
   */
  async clear(prefix?: string, options?: AdapterCallOptions): Promise<void> {
    this.assertCallable(options);
    const targets = this.scanTargets();
    const flush = prefix === undefined && this.limits.flushAllOnClear;
    const pattern = prefixPattern(this.enginePrefix + (prefix ?? ''));
    const outcomes = await Promise.allSettled(
      targets.map((target) =>
        flush ? target.redis.flushall('ASYNC') : this.clearNode(target, pattern, options?.signal),
      ),
    );
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'rejected')
        throw toRingcacheError(outcome.reason, targets[index]!.id, undefined);
    }
  }

  subscribe(listener: (event: AdapterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops the adapter: later calls reject with E_CLOSED. A client the adapter created is quit
   * (pending replies are awaited, at most `graceMs`, then the sockets are dropped); a client
   * you passed is left open, only the adapter's listeners are removed.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    try {
      if (this.ownsClient) await quitWithin(this.client, graceMs);
    } finally {
      // A client we created keeps a silent 'error' listener: ioredis prints unhandled ones.
      for (const detach of this.detachers) detach();
      if (this.ownsClient) this.client.on('error', nothing);
      this.listeners.clear();
    }
  }

  /** Subclass clean-up at close (timers), before the client is quit. */
  protected onClose(): void {}

  protected emit(event: AdapterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // The contract says listeners must not throw; one that does must not break the adapter.
      }
    }
  }

  /** Adds a listener to an ioredis emitter and remembers how to remove it at close. */
  protected listen<A extends unknown[]>(
    emitter: EventEmitter,
    event: string,
    listener: (...args: A) => void,
  ): void {
    const untyped = listener as (...args: unknown[]) => void;
    emitter.on(event, untyped);
    this.detachers.push(() => emitter.off(event, untyped));
  }

  protected closedError(): ClosedError {
    return new ClosedError(`the ${this.name} adapter is closed`);
  }

  private write(key: string, value: Uint8Array, ttl: number): Promise<unknown> {
    const k = this.prefix + key;
    const direct = this.directFor(key);
    if (direct !== undefined) {
      return this.redirectable(
        direct.set(this.clientPrefix + k, value, ttl > 0 ? Math.ceil(ttl) : 0),
        (pipeline) => this.resendSet(pipeline, k, value, ttl),
      );
    }
    const bytes = commandValue(value);
    const sent = ttl > 0 ? this.client.set(k, bytes, 'PX', Math.ceil(ttl)) : this.client.set(k, bytes);
    return this.redirectable(sent, (pipeline) => this.resendSet(pipeline, k, value, ttl));
  }

  private getBuffer(key: string): Promise<Uint8Array | null> {
    const k = this.prefix + key;
    const resend = (pipeline: ChainableCommander) => pipeline.getBuffer(k);
    const direct = this.directFor(key);
    if (direct === undefined) return this.redirectable(this.client.getBuffer(k), resend);
    // As in `get`: a read whose direct connection failed is repeated through ioredis.
    return direct
      .get(this.clientPrefix + k)
      .catch((error: unknown) =>
        error instanceof ReplyError
          ? this.resendIfRedirected<Uint8Array | null>(error, resend)
          : this.redirectable(this.client.getBuffer(k), resend),
      );
  }

  private unlink(key: string): Promise<number> {
    const k = this.prefix + key;
    const direct = this.directFor(key);
    const sent = direct === undefined ? this.client.unlink(k) : direct.unlink(this.clientPrefix + k);
    return this.redirectable(sent, (pipeline) => pipeline.unlink(k));
  }

  /** A SET sent again alone through ioredis after a redirection (see `redirectable`). */
  private resendSet(
    pipeline: ChainableCommander,
    k: string,
    value: Uint8Array,
    ttl: number,
  ): ChainableCommander {
    const v = commandValue(value);
    return ttl > 0 ? pipeline.set(k, v, 'PX', Math.ceil(ttl)) : pipeline.set(k, v);
  }

  /**
   * ioredis follows MOVED and ASK for a command sent alone, but not inside an auto-pipeline that
   * mixes other callers' commands (it retries a pipeline only when every command failed alike),
   * so during a resharding such replies would reach callers. Those commands are re-sent alone,
   * in a one-command pipeline, which ioredis does redirect (ASKING included). TRYAGAIN (a
   * multi-key read of a slot being migrated) is retried after a short pause.
   */
  private redirectable<R>(
    sent: Promise<R>,
    resend: (pipeline: ChainableCommander) => ChainableCommander,
  ): Promise<R> {
    return sent.catch((error: unknown) => this.resendIfRedirected<R>(error, resend));
  }

  /** `resend` alone when `error` is a redirection (see `redirectable`); otherwise rejects with it. */
  private resendIfRedirected<R>(
    error: unknown,
    resend: (pipeline: ChainableCommander) => ChainableCommander,
  ): Promise<R> {
    if (!isRedirection(error)) return Promise.reject(error);
    return this.resend<R>(resend, error, REDIRECT_ATTEMPTS);
  }

  /**
   * The failure path of a single-key call: a redirection ioredis did not follow is re-sent alone
   * (as in `redirectable`), any other error is typed for the caller.
   */
  private retryAlone<R, V>(
    error: unknown,
    key: string,
    resend: (pipeline: ChainableCommander) => ChainableCommander,
    map: (reply: R) => V,
  ): Promise<V> {
    if (!isRedirection(error)) return Promise.reject(toRingcacheError(error, this.nodeOf(key), key));
    return this.resend<R>(resend, error, REDIRECT_ATTEMPTS).then(map, (failure: unknown) =>
      this.fail(failure, key),
    );
  }

  private async resend<R>(
    build: (pipeline: ChainableCommander) => ChainableCommander,
    previous: unknown,
    attempts: number,
  ): Promise<R> {
    if ((previous as Error).message.startsWith('TRYAGAIN'))
      await new Promise((resolve) => setTimeout(resolve, 25));
    const replies = await build(this.client.pipeline()).exec();
    const [error, result] = replies?.[0] ?? [previous as Error, undefined];
    if (error) {
      if (attempts > 1 && isRedirection(error)) return this.resend(build, error, attempts - 1);
      throw error;
    }
    return result as R;
  }

  /** Sends a command for `key`, unless `refuse` (checked only when some node is not up) says no. */
  private send<R>(check: boolean, key: string, write: boolean, command: () => Promise<R>): Promise<R> {
    const refused = check ? this.refuse(key, write) : undefined;
    return refused === undefined ? command() : Promise.reject(refused);
  }

  /** Fills `replies` at `positions` with one MGET per slot group (a GET for a group of one). */
  private readGroups(
    keys: readonly string[],
    positions: readonly number[],
    replies: Promise<Uint8Array | null>[],
    check: boolean,
  ): void {
    const commandKeys = positions.map((position) => this.prefix + keys[position]!);
    for (const group of this.groupKeys(commandKeys)) {
      const first = keys[positions[group.positions[0]!]!]!;
      if (group.keys.length === 1) {
        const only = group.keys[0]!;
        replies[positions[group.positions[0]!]!] = this.send(check, first, false, () =>
          this.redirectable(this.client.getBuffer(only), (pipeline) => pipeline.getBuffer(only)),
        );
        continue;
      }
      const values = this.send(check, first, false, () =>
        this.redirectable(this.client.mgetBuffer(group.keys), (pipeline) => pipeline.mgetBuffer(group.keys)),
      );
      values.catch(nothing); // observed below, per key
      for (const [index, position] of group.positions.entries()) {
        replies[positions[position]!] = values.then((all) => all[index] ?? null);
      }
    }
  }

  private async clearNode(
    target: ScanTarget,
    pattern: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let cursor = '0';
    do {
      if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
      const [next, keys] = await target.redis.scanBuffer(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        this.limits.scanCount,
      );
      cursor = next.toString();
      if (keys.length > 0) await this.unlinkScanned(target, keys);
    } while (cursor !== '0');
  }

  /** Why a many-key call cannot start (closed, aborted), or undefined. */
  private callable(options: AdapterCallOptions | undefined): RingcacheError | undefined {
    return this.closed ? this.closedError() : aborted(options, undefined);
  }

  private assertCallable(options: AdapterCallOptions | undefined): void {
    const refused = this.callable(options);
    if (refused !== undefined) throw refused;
  }

  private fail(error: unknown, key: string): never {
    throw toRingcacheError(error, this.nodeOf(key), key);
  }

  /** A key's failure in a many-key call, typed. */
  private readonly failure = (error: unknown, key: string): RingcacheError =>
    toRingcacheError(error, this.nodeOf(key), key);
}

const REDIRECT_ATTEMPTS = 5;

/**
 * Replies that mean "ask again, alone": a redirection ioredis did not follow, or its own refusal
 * to send an auto-pipeline whose keys a slot-map refresh spread over several nodes meanwhile.
 */
function isRedirection(error: unknown): error is Error {
  return (
    error instanceof Error &&
    (/^(MOVED|ASK|TRYAGAIN) /.test(error.message) ||
      error.message.startsWith('All keys in the pipeline should belong to the same slots allocation group'))
  );
}

/** A direct connection's GET reply: already a plain Uint8Array view, or null for a miss. */
function undefinedIfNull(value: Uint8Array | null): Uint8Array | undefined {
  return value ?? undefined;
}

function aborted(options: AdapterCallOptions | undefined, key: string | undefined): AbortedError | undefined {
  const signal = options?.signal;
  return signal?.aborted ? new AbortedError(undefined, { key, cause: signal.reason }) : undefined;
}

function isPositive(count: number): boolean {
  return count > 0;
}

function nothing(): undefined {
  return undefined;
}
