import {
  type AdapterCallOptions,
  type AdapterCapabilities,
  type AdapterEntry,
  type AdapterEvent,
  type AdapterFaults,
  type AdapterNode,
  type AtomicOperations,
  type CacheAdapter,
  ClosedError,
  type FailureKind,
  NodeUnavailableError,
  type Partitioner,
  Router,
  UnsupportedError,
  ValueTooLargeError,
} from '@ringcache/core';
import { atomicOperations } from './atomic-operations.js';
import { exptimeOf, failoverTtlOf } from './expiry.js';
import { type MemcachedAdapterOptions, type ResolvedMemcachedOptions, resolveOptions } from './options.js';
import { connectionFailureKind, MemcachedConnection, type RequestOptions } from './protocol/connection.js';
import type { Reply, Request } from './protocol/types.js';
import { isTooLarge, tooLargeError, unexpectedReply } from './replies.js';
import { settleEach } from './settle-each.js';
import { warnIfPlaintext } from './transport-warning.js';

/** A memcached pool adapter; `getClient()` gives the per-server connections. */
export interface MemcachedAdapter extends CacheAdapter {
  /** The connection to each server, by node id: escape hatch for commands the adapter does not use. */
  getClient(): ReadonlyMap<string, MemcachedConnection>;
}

/** memcached answers at most this many keys per `get` line here; larger groups are split. */
const MAX_KEYS_PER_GET = 256;

/**
 * A memcached pool as one cache: routing by the core Router (the default ring, or ketama placed
 * exactly like twemproxy), one pipelined connection per server, node health with ejection and a
 * probed, flushed re-admission.
 *
 * Values are stored with `flags` 0 (raw bytes) unless `flags` says otherwise, so what the
 * `string` serializer writes is readable as a string by any other memcached client.
 * @throws ConfigError on invalid options
 */
export function memcachedAdapter(options: MemcachedAdapterOptions): MemcachedAdapter {
  return new MemcachedPoolAdapter(options);
}

class MemcachedPoolAdapter implements MemcachedAdapter {
  readonly specificationVersion = 1;
  readonly name = 'memcached';
  readonly capabilities: AdapterCapabilities;
  readonly faults: AdapterFaults | undefined;
  readonly atomic: AtomicOperations;
  private readonly settings: ResolvedMemcachedOptions;
  private readonly router: Router;
  private readonly connections = new Map<string, MemcachedConnection>();
  /** Connection failures already counted: one failure fails every request it had in flight. */
  private readonly counted = new WeakSet<object>();
  private closed = false;

  constructor(options: MemcachedAdapterOptions) {
    this.settings = resolveOptions(options);
    const settings = this.settings;
    this.faults = options.faults;
    this.capabilities = {
      routing: 'client',
      nativeMultiGet: true,
      prefixClear: false,
      maxKeyBytes: 250,
      maxValueBytes: settings.maxValueBytes,
      ttlGranularityMs: 1000,
      keyCharacters: 'printable',
    };
    this.router = new Router({
      partitioner: settings.partitioner,
      failover: settings.failover,
      classify: (error) => this.classify(error),
      health: {
        ...(settings.failureLimit === undefined ? {} : { failureLimit: settings.failureLimit }),
        ...(settings.retryTimeout === undefined ? {} : { retryTimeout: settings.retryTimeout }),
        probe: (node) => this.probe(node),
        beforeReadmit: settings.flushOnReadmit ? (node) => this.flushNode(node, true) : undefined,
      },
    });
    for (const node of settings.partitioner.nodes) {
      const host = node.host.startsWith('[') ? node.host.slice(1, -1) : node.host;
      warnIfPlaintext(host, options.tls, options.logger);
      this.connections.set(
        node.id,
        new MemcachedConnection({
          host,
          port: node.port,
          name: node.id,
          timeout: settings.timeout,
          connectTimeout: settings.connectTimeout,
          maxPending: settings.maxPending,
          ...(options.tls === undefined ? {} : { tls: options.tls }),
          onFailure: (error) => this.router.emit({ type: 'client:error', node: node.id, error }),
        }),
      );
    }
    this.atomic = atomicOperations({
      route: (key) => this.route(key),
      send: (node, request, options) => this.send(node, request, options, identity),
      exptime: (key, node, ttl) => this.exptime(key, node, ttl),
      flags: settings.flags,
      checkSize: (key, node, value) => this.checkSize(key, node, value),
    });
  }

  get(key: string, options?: AdapterCallOptions): Promise<Uint8Array | undefined> {
    let node: string;
    try {
      node = this.route(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(node, { command: 'get', keys: [key] }, options, (reply) => {
      if (reply?.type !== 'values') throw unexpectedReply('get', reply, node, key);
      return reply.items[0]?.value;
    });
  }

  async getMany(keys: readonly string[], options?: AdapterCallOptions): Promise<(Uint8Array | undefined)[]> {
    this.assertOpen();
    return this.router.runGrouped(keys, identity, (node, group) => this.getGroup(node, group, options));
  }

  async set(key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions): Promise<void> {
    const node = this.route(key);
    this.checkSize(key, node, value);
    const exptime = this.exptime(key, node, ttl);
    const request = { command: 'set', key, flags: this.settings.flags, exptime, value } as const;
    return this.send(node, request, options, (reply) => this.stored(node, key, value, reply));
  }

  async setMany(entries: readonly AdapterEntry[], options?: AdapterCallOptions): Promise<void> {
    this.assertOpen();
    // memcached has no many-key write: each set is its own request, pipelined on the server's
    // connection (one socket write for all of them), with its own outcome.
    await settleEach(entries, entryKey, (entry) => this.set(entry.key, entry.value, entry.ttl, options));
  }

  async delete(key: string, options?: AdapterCallOptions): Promise<boolean> {
    const node = this.route(key);
    return this.send(node, { command: 'delete', key }, options, (reply) => {
      if (reply?.type === 'status' && reply.status === 'DELETED') return true;
      if (reply?.type === 'status' && reply.status === 'NOT_FOUND') return false;
      throw unexpectedReply('delete', reply, node, key);
    });
  }

  async deleteMany(keys: readonly string[], options?: AdapterCallOptions): Promise<boolean[]> {
    this.assertOpen();
    return settleEach(keys, identity, (key) => this.delete(key, options));
  }

  /**
   * `clear()` flushes every server (`flush_all`). memcached cannot enumerate keys, so a prefix
   * is refused: the facade clears namespaces by generation instead (`prefixClear: false`).
   * An ejected server is skipped when it will be flushed before re-admission anyway.
   * @throws UnsupportedError for a prefix
   */
  async clear(prefix?: string, options?: AdapterCallOptions): Promise<void> {
    this.assertOpen();
    if (prefix !== undefined) {
      throw new UnsupportedError('memcached cannot clear by prefix: it has no way to list keys');
    }
    const results = await Promise.allSettled(
      [...this.connections.keys()].map((node) => {
        if (this.router.health.isEjected(node)) {
          return this.settings.flushOnReadmit ? Promise.resolve() : this.flushNode(node, true, options);
        }
        return this.router.run(node, () => this.flushNode(node, false, options));
      }),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  nodes(): AdapterNode[] {
    return this.router.nodes().map((node) => {
      if (node.status === 'up' && this.connections.get(node.id)?.status === 'down') {
        return { ...node, status: 'down' };
      }
      return node;
    });
  }

  topology(): Partitioner {
    return this.router.topology();
  }

  subscribe(listener: (event: AdapterEvent) => void): () => void {
    return this.router.subscribe(listener);
  }

  getClient(): ReadonlyMap<string, MemcachedConnection> {
    return this.connections;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.close();
    for (const connection of this.connections.values()) connection.close();
  }

  /** Refused before any I/O, like the facade does: the stored value, if any, is untouched. */
  private checkSize(key: string, node: string, value: Uint8Array): void {
    if (value.byteLength <= this.settings.maxValueBytes) return;
    throw new ValueTooLargeError(
      `value is ${value.byteLength} bytes; this adapter allows ${this.settings.maxValueBytes}`,
      { key, node },
    );
  }

  /** A write's exptime; one that fails over to another node gets at most `failoverTtl`. */
  private exptime(key: string, node: string, ttl: number): number {
    const failover = this.router.isFailover(key, node);
    return exptimeOf(failover ? failoverTtlOf(ttl, this.settings.failoverTtl) : ttl);
  }

  private async getGroup(
    node: string,
    keys: string[],
    options: AdapterCallOptions | undefined,
  ): Promise<(Uint8Array | undefined)[]> {
    const connection = this.connection(node);
    const requests: Promise<Reply | undefined>[] = [];
    for (let start = 0; start < keys.length; start += MAX_KEYS_PER_GET) {
      const chunk = keys.slice(start, start + MAX_KEYS_PER_GET);
      requests.push(connection.request({ command: 'get', keys: chunk }, options));
    }
    const found = new Map<string, Uint8Array>();
    for (const reply of await Promise.all(requests)) {
      if (reply?.type !== 'values') throw unexpectedReply('get', reply, node);
      for (const item of reply.items) found.set(item.key, item.value);
    }
    return keys.map((key) => found.get(key));
  }

  /**
   * One request to one node, its outcome recorded in the node's health as `Router.run` does:
   * any reply, error replies included, shows the server alive; connection failures and timeouts
   * count against it. Inlined here because `Router.run` costs two more promises per call.
   */
  private send<T>(
    node: string,
    request: Request,
    options: RequestOptions | undefined,
    interpret: (reply: Reply | undefined) => T | Promise<T>,
  ): Promise<T> {
    return this.connection(node)
      .request(request, options)
      .then(
        (reply) => {
          this.router.health.recordSuccess(node);
          return interpret(reply);
        },
        (error: unknown) => {
          const kind = this.classify(error);
          if (kind !== undefined) this.router.health.recordFailure(node, error, kind);
          throw error;
        },
      );
  }

  private async stored(
    node: string,
    key: string,
    value: Uint8Array,
    reply: Reply | undefined,
  ): Promise<void> {
    if (reply?.type === 'status' && reply.status === 'STORED') return;
    if (reply?.type === 'error' && reply.kind === 'SERVER_ERROR') {
      // A refused set must not leave the previous value readable (memcached 1.6 unlinks it on
      // "too large" itself; older servers and other failures may not): delete it.
      await this.connection(node)
        .request({ command: 'delete', key })
        .catch(() => undefined);
      if (isTooLarge(reply)) throw tooLargeError(node, key, value.byteLength);
    }
    throw unexpectedReply('set', reply, node, key);
  }

  private async flushNode(node: string, force: boolean, options?: AdapterCallOptions): Promise<void> {
    const reply = await this.connection(node).request(
      { command: 'flush_all' },
      { force, signal: options?.signal },
    );
    if (reply?.type !== 'status' || reply.status !== 'OK') throw unexpectedReply('flush_all', reply, node);
  }

  /** The health probe: the server answers `version` (connecting even while backing off). */
  private async probe(node: string): Promise<void> {
    const reply = await this.connection(node).request({ command: 'version' }, { force: true });
    if (reply?.type !== 'version') throw unexpectedReply('version', reply, node);
  }

  /**
   * Timeouts are soft failures, refused and dropped connections hard ones, each connection
   * failure counted once however many requests it failed. Everything else (error replies, a
   * full queue, an aborted call) says nothing about the server's health.
   */
  private classify(error: unknown): FailureKind | undefined {
    const kind = connectionFailureKind(error);
    if (kind === undefined || this.counted.has(error as object)) return undefined;
    if (kind === 'hard') this.counted.add(error as object);
    return kind;
  }

  private route(key: string): string {
    this.assertOpen();
    return this.router.route(key);
  }

  private connection(node: string): MemcachedConnection {
    const connection = this.connections.get(node);
    if (connection === undefined) throw new NodeUnavailableError(`unknown memcached node ${node}`, { node });
    return connection;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('the memcached adapter is closed');
  }
}

const identity = <T>(value: T) => value;
const entryKey = (entry: AdapterEntry) => entry.key;
