import {
  type AdapterEvent,
  type FailureKind,
  type NodeStats,
  NodeUnavailableError,
  RingcacheError,
  Router,
  WindowedHistogram,
} from '@ringcache/core';
import {
  connectionFailureKind,
  MemcachedConnection,
  type Reply,
  type Request,
} from '@ringcache/memcached/protocol';
import type { ResolvedProxyOptions } from './options.js';
import { routingKey } from './routing-key.js';

/**
 * One server's figures, as `stats` reports them: the library's per-node stats (`NodeStats`, the
 * same fields with the same meaning, so a dashboard reads the proxy and `cache.stats()` alike),
 * plus its name and ejections. For the proxy: `status` `ejected` is routed around, `down` is a
 * connection backing off after a failure; `ops` counts keys sent (a many-key get once per key)
 * plus single-key requests; `sets` every storage command (set, add, replace, append, prepend,
 * cas); `errors` requests that got no reply (connection failures, timeouts, a full queue).
 */
export interface BackendStats extends NodeStats {
  /** The name its points are hashed by (nutcracker's server name), when given. */
  readonly name: string | undefined;
  /** Times it was ejected since start. */
  readonly ejected: number;
  /** When it was last ejected (ms since the epoch), while it is out. */
  readonly ejectedAt: number | undefined;
  /** Value bytes of its hits. */
  readonly bytesRead: number;
  /** Value bytes of the storage commands sent to it. */
  readonly bytesWritten: number;
}

type Counted = Exclude<keyof BackendStats, 'id' | 'name' | 'status' | 'pending' | 'latency' | 'ejectedAt'>;

class Counters implements Record<Counted, number> {
  ops = 0;
  hits = 0;
  misses = 0;
  sets = 0;
  deletes = 0;
  errors = 0;
  timeouts = 0;
  bytesRead = 0;
  bytesWritten = 0;
  ejected = 0;
  ejectedAt: number | undefined;
  readonly latency = new WindowedHistogram();

  reset(): void {
    this.ops = this.hits = this.misses = this.sets = this.deletes = 0;
    this.errors = this.timeouts = this.bytesRead = this.bytesWritten = this.ejected = 0;
    this.latency.reset();
  }
}

const STORAGE = new Set<Request['command']>(['set', 'add', 'replace', 'append', 'prepend', 'cas']);

interface Backend {
  readonly id: string;
  readonly name: string | undefined;
  readonly connection: MemcachedConnection;
  readonly counters: Counters;
}

/**
 * The memcached servers behind the proxy: one pipelined connection each, routed by the core
 * Router (partitioner + node health). With `autoEjectHosts`, failures (refused or dropped
 * connections, timeouts) count towards ejection as in nutcracker; an ejected server is probed
 * with `version` after `serverRetryTimeout`, flushed if `flushOnReadmit`, then re-admitted.
 */
export class BackendPool {
  readonly router: Router;
  private readonly backends = new Map<string, Backend>();
  /** One connection failure fails every request in flight: count it against health once. */
  private readonly counted = new WeakSet<object>();

  constructor(
    private readonly options: ResolvedProxyOptions,
    emit: (event: AdapterEvent) => void,
  ) {
    this.router = new Router({
      partitioner: options.partitioner,
      failover: 'next-node',
      health: {
        failureLimit: options.serverFailureLimit,
        retryTimeout: options.serverRetryTimeout,
        probe: (node) => this.probe(node),
        beforeReadmit: options.flushOnReadmit ? (node) => this.flush(node, true) : undefined,
      },
    });
    for (const node of options.nodes) {
      const host = node.host.startsWith('[') ? node.host.slice(1, -1) : node.host;
      const connection = new MemcachedConnection({
        host,
        port: node.port,
        name: node.id,
        timeout: options.timeout,
        maxPending: options.serverMaxPending,
        onFailure: (error) => emit({ type: 'client:error', node: node.id, error }),
      });
      this.backends.set(node.id, { id: node.id, name: node.name, connection, counters: new Counters() });
    }
    this.router.subscribe((event) => {
      const counters =
        event.type === 'node:eject' || event.type === 'node:readmit'
          ? this.backend(event.node).counters
          : undefined;
      if (event.type === 'node:eject') {
        counters!.ejected++;
        counters!.ejectedAt = Date.now();
      } else if (event.type === 'node:readmit') {
        counters!.ejectedAt = undefined;
      }
      emit(event);
    });
  }

  /**
   * The server a key's request goes to now (by its hash-tagged part).
   * @throws NodeUnavailableError when every server is ejected
   */
  route(key: string): string {
    return this.router.route(routingKey(key, this.options.hashTag));
  }

  /** True when `node` holds `key` only because its owner is ejected. */
  isFailover(key: string, node: string): boolean {
    return this.router.isFailover(routingKey(key, this.options.hashTag), node);
  }

  /** The first server not ejected, in config order (for `version`). */
  firstAvailable(): string | undefined {
    return this.options.nodes.find((node) => !this.router.health.isEjected(node.id))?.id;
  }

  /** Every server not ejected. */
  available(): string[] {
    return this.options.nodes.map((node) => node.id).filter((id) => !this.router.health.isEjected(id));
  }

  /** Counts the hits (and their value bytes) among `keys` read from `node`. */
  countReads(node: string, keys: number, hits: number, bytes: number): void {
    const counters = this.backend(node).counters;
    counters.hits += hits;
    counters.misses += keys - hits;
    counters.bytesRead += bytes;
  }

  /**
   * Sends one request to one server, recording latency, errors and health. Error replies
   * (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`) are data: they show the server alive.
   * @throws E_NODE_UNAVAILABLE, E_TIMEOUT, E_OVERLOADED from the connection
   */
  send(node: string, request: Request, operations = 1): Promise<Reply | undefined> {
    const backend = this.backend(node);
    const counters = backend.counters;
    counters.ops += operations;
    if (STORAGE.has(request.command)) {
      counters.sets++;
      counters.bytesWritten += (request as { value: Uint8Array }).value.length;
    } else if (request.command === 'delete') {
      counters.deletes++;
    }
    const start = performance.now();
    return backend.connection.request(request).then(
      (reply) => {
        const end = performance.now();
        counters.latency.record((end - start) * 1000, end);
        this.router.health.recordSuccess(node);
        return reply;
      },
      (error: unknown) => {
        counters.errors++;
        if (RingcacheError.hasCode(error, 'E_TIMEOUT')) counters.timeouts++;
        const kind = this.classify(error);
        if (kind !== undefined && this.options.autoEjectHosts)
          this.router.health.recordFailure(node, error, kind);
        throw error;
      },
    );
  }

  /** Opens every connection now (`preconnect`); failures count as usual. */
  async preconnect(): Promise<void> {
    await Promise.allSettled(
      [...this.backends.keys()].map((node) => this.send(node, { command: 'version' }, 0)),
    );
  }

  stats(): BackendStats[] {
    return [...this.backends.values()].map(({ id, name, connection, counters }) => {
      const ejected = this.router.health.isEjected(id);
      return {
        id,
        name,
        status: ejected ? 'ejected' : connection.status === 'down' ? 'down' : 'up',
        ops: counters.ops,
        hits: counters.hits,
        misses: counters.misses,
        sets: counters.sets,
        deletes: counters.deletes,
        errors: counters.errors,
        timeouts: counters.timeouts,
        bytesRead: counters.bytesRead,
        bytesWritten: counters.bytesWritten,
        ejected: counters.ejected,
        ejectedAt: ejected ? counters.ejectedAt : undefined,
        pending: connection.pending,
        latency: { p50: counters.latency.percentile(50), p99: counters.latency.percentile(99) },
      };
    });
  }

  /** Zeroes the counters (`stats reset`); ejection state is untouched. */
  resetStats(): void {
    for (const backend of this.backends.values()) backend.counters.reset();
  }

  close(): void {
    this.router.close();
    for (const backend of this.backends.values()) backend.connection.close();
  }

  private backend(node: string): Backend {
    const backend = this.backends.get(node);
    if (backend === undefined) throw new NodeUnavailableError(`unknown server ${node}`, { node });
    return backend;
  }

  /** Timeouts are soft failures, refused and dropped connections hard ones; each failure counted once. */
  private classify(error: unknown): FailureKind | undefined {
    const kind = connectionFailureKind(error);
    if (kind === undefined || this.counted.has(error as object)) return undefined;
    if (kind === 'hard') this.counted.add(error as object);
    return kind;
  }

  /** The health probe: the server answers `version` (connecting even while backing off). */
  private async probe(node: string): Promise<void> {
    const reply = await this.backend(node).connection.request({ command: 'version' }, { force: true });
    if (reply?.type !== 'version')
      throw new Error(`${node} answered the probe with ${reply?.type ?? 'nothing'}`);
  }

  private async flush(node: string, force: boolean): Promise<void> {
    const reply = await this.backend(node).connection.request({ command: 'flush_all' }, { force });
    if (reply?.type !== 'status' || reply.status !== 'OK') {
      throw new Error(`${node} answered flush_all with ${reply?.type ?? 'nothing'}`);
    }
  }
}
