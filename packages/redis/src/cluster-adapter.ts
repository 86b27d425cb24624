import {
  type AdapterNode,
  groupBy,
  groupItems,
  type KeyGroup,
  keySlot,
  NodeUnavailableError,
  type Partitioner,
  type RingcacheError,
  type SlotMap,
  slotOfBytes,
} from '@ringcache/core';
import type { Cluster, Redis } from 'ioredis';
import {
  createCluster,
  idOfConnection,
  idOfNodeKey,
  startupNodesOf,
  withoutConnectionPrefix,
} from './clients.js';
import type { DirectConnection, DirectConnectionOptions } from './direct-connection.js';
import { DirectConnections } from './direct-connections.js';
import { isUnavailable } from './errors.js';
import { type RedisClusterAdapterOptions, type ResolvedFailover, resolveFailover } from './options.js';
import { RedisAdapterBase, type ScanTarget } from './redis-adapter-base.js';
import { fingerprint, slotMapOfTable, unknownSlotMap, withKeyPrefix } from './topology.js';

/**
 * A Ringcache adapter over Redis Cluster (ioredis `Cluster`): the engine routes by slot; the
 * adapter mirrors the slot map in `topology()`, groups many-key calls by slot (no CROSSSLOT
 * ever), clears by SCAN on every master, and fails fast with E_NODE_UNAVAILABLE for keys of a
 * master that is down until its replica is promoted.
 *
 * @example
 * const cache = createCache({ adapter: redisClusterAdapter({ nodes: ['10.0.0.1:6379'] }) });
 * @throws ConfigError on invalid options
 */
export function redisClusterAdapter(options: RedisClusterAdapterOptions | Cluster): RedisClusterAdapter {
  return new RedisClusterAdapter(isClusterClient(options) ? { client: options } : options);
}

/** Duck-typed, so a Cluster from another copy of ioredis is recognised too. */
function isClusterClient(value: RedisClusterAdapterOptions | Cluster): value is Cluster {
  return (value as { isCluster?: unknown }).isCluster === true;
}

export class RedisClusterAdapter extends RedisAdapterBase<Cluster> {
  readonly name = 'redis-cluster';
  private readonly failover: ResolvedFailover;
  /** Reads of a down master's slots fail fast only when reads go to masters. */
  private readonly readsFailFast: boolean;
  /** The key prefix holds `{`: it may pin every key to one slot, so many-key reads always group. */
  private readonly taggedPrefix: boolean;
  private map: SlotMap;
  private view: Partitioner;
  private mapFingerprint = '';
  private masters = new Set<string>();
  /** Masters whose connection died while they owned slots, until they answer or are replaced. */
  private readonly down = new Set<string>();
  /** Masters that owe direct-connection replies and stopped answering (see `failover.silenceLimit`). */
  private readonly silent = new Set<string>();
  private everReady = false;
  private startFailed = false;
  /** The hot-path check: connected, no master down, not closed. */
  private healthy = false;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Lean connections for GET/SET/UNLINK (see `directConnections`); undefined when off. */
  private readonly direct: DirectConnections | undefined;
  private readonly readiness: Promise<void>;
  private settleReadiness: ((error?: Error) => void) | undefined;

  constructor(options: RedisClusterAdapterOptions) {
    const failover = resolveFailover(options.failover);
    super(options.client ?? createCluster(options, failover), options.client === undefined, options);
    this.failover = failover;
    const scaleReads = this.client.options.scaleReads ?? 'master';
    this.readsFailFast = scaleReads === 'master';
    this.taggedPrefix = this.enginePrefix.includes('{');
    this.direct =
      options.directConnections === false || !this.readsFailFast
        ? undefined
        : new DirectConnections(
            (node) => this.directOptions(node),
            (node, error) => this.emit({ type: 'client:error', node, error }),
            {
              limit: failover.silenceLimit,
              onSilent: (node, silentMs) => this.markSilent(node, silentMs),
              onHeard: (node) => this.markHeard(node),
            },
          );
    const startup = options.nodes ?? startupNodesOf(this.client);
    this.map = unknownSlotMap(startup.length > 0 ? startup : ['127.0.0.1:6379']);
    this.view = withKeyPrefix(this.map, this.enginePrefix);
    this.readiness = new Promise<void>((resolve, reject) => {
      this.settleReadiness = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.readiness.catch(() => {}); // observed by whoever calls ready(); never unhandled
    this.wire();
    if (this.client.status === 'ready') this.onReady();
    else if (this.client.status === 'wait') {
      this.client
        .connect()
        .catch((error: unknown) => this.emit({ type: 'client:error', node: undefined, error }));
    }
  }

  /**
   * Resolves once the cluster is connected and its slot map known (calls made before are queued
   * by ioredis, so awaiting this is optional). Rejects if the adapter is closed first.
   */
  ready(): Promise<void> {
    return this.readiness;
  }

  topology(): Partitioner {
    return this.view;
  }

  /** The cluster's slot map over stored keys (key prefixes included), with replicas and ranges. */
  slotMap(): SlotMap {
    return this.map;
  }

  /** Re-reads CLUSTER SLOTS now (ioredis also does every `slotsRefreshInterval` and after MOVED). */
  refreshTopology(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.refreshSlotsCache((error) => {
        if (error)
          reject(new NodeUnavailableError(`cannot read CLUSTER SLOTS: ${error.message}`, { cause: error }));
        else {
          this.rebuild();
          resolve();
        }
      });
    });
  }

  /** The masters, with `down` for one whose connection died and that no replica has replaced yet. */
  nodes(): AdapterNode[] {
    const connected = this.everReady && this.client.status === 'ready';
    return this.map.nodes.map((node) => ({
      id: node.id,
      address: node.id,
      status: connected && !this.down.has(node.id) ? 'up' : 'down',
    }));
  }

  protected refuse(key: string, write: boolean): RingcacheError | undefined {
    if (this.healthy) return undefined;
    if (this.closed) return this.closedError();
    const status = this.client.status;
    if (status !== 'ready') {
      // Before the first connection ioredis queues calls until ready; after it, a cluster that is
      // not ready lost every node, and queueing would only grow memory until the cache times out.
      if (!this.everReady && !this.startFailed) return undefined;
      return new NodeUnavailableError(`the Redis Cluster is not connected (${status})`, { key });
    }
    if (!write && !this.readsFailFast && this.silent.size === 0) return undefined;
    let node: string;
    try {
      node = this.view.locate(key);
    } catch (error) {
      return error as RingcacheError; // a slot no master serves: E_NODE_UNAVAILABLE
    }
    if (this.silent.has(node)) {
      // Reads too: a frozen master answers nothing, and ioredis would queue them without bound.
      return new NodeUnavailableError(
        `${node} has answered nothing for over ${this.failover.silenceLimit} ms`,
        { node, key },
      );
    }
    if (!write && !this.readsFailFast) return undefined;
    if (!this.down.has(node)) return undefined;
    return new NodeUnavailableError(`${node} is down; waiting for a replica to take over its slots`, {
      node,
      key,
    });
  }

  protected override directFor(key: string): DirectConnection | undefined {
    if (!this.healthy || this.direct === undefined) return undefined;
    let node: string;
    try {
      node = this.view.locate(key);
    } catch {
      return undefined;
    }
    return this.direct.to(node);
  }

  protected sockets(): readonly Redis[] {
    return this.client.nodes('all');
  }

  protected allUp(): boolean {
    return this.healthy;
  }

  protected nodeOf(key: string): string | undefined {
    try {
      return this.view.locate(key);
    } catch {
      return undefined;
    }
  }

  /** Keys without `{` share a slot only by chance (1 in 16384 per pair): GET each, skip the CRC16. */
  protected mayShareSlot(key: string): boolean {
    return this.taggedPrefix || key.includes('{');
  }

  protected groupKeys(commandKeys: readonly string[]): KeyGroup<unknown>[] {
    const prefix = this.clientPrefix;
    return groupBy(commandKeys, prefix === '' ? keySlot : (key) => keySlot(prefix + key));
  }

  protected scanTargets(): ScanTarget[] {
    if (this.closed) throw this.closedError();
    const connections = this.connections();
    return this.map.nodes.map(({ id }) => {
      const redis = connections.get(id);
      if (redis === undefined || this.down.has(id)) {
        throw new NodeUnavailableError(`cannot clear: master ${id} is not connected`, { node: id });
      }
      return { id, redis };
    });
  }

  /** UNLINK per slot (a node refuses multi-key commands across slots), in one pipeline. */
  protected async unlinkScanned(target: ScanTarget, keys: Buffer[]): Promise<void> {
    const pipeline = target.redis.pipeline();
    for (const group of groupItems(withoutConnectionPrefix(target.redis, keys), (key) => slotOfBytes(key))) {
      pipeline.unlink(...group.items);
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  protected override onClose(): void {
    this.stopPolling();
    this.direct?.close(this.closedError());
    this.updateHealth();
    this.settleReadiness?.(this.closedError());
  }

  private wire(): void {
    const client = this.client;
    this.listen(client, 'error', (error: unknown) =>
      this.emit({ type: 'client:error', node: undefined, error }),
    );
    this.listen(client, 'node error', (error: unknown, nodeKey: string) => {
      const node = typeof nodeKey === 'string' ? idOfNodeKey(nodeKey) : undefined;
      this.emit({ type: 'client:error', node, error });
      if (node !== undefined && isUnavailable(error)) this.markDown(node, error);
    });
    this.listen(client, 'ready', () => this.onReady());
    this.listen(client, 'refresh', () => this.rebuild());
    this.listen(client, '+node', (redis: Redis) => {
      const id = idOfConnection(redis);
      redis.once('ready', () => this.markUp(id));
    });
    this.listen(client, '-node', (redis: Redis) => {
      this.markDown(idOfConnection(redis), 'connection ended');
    });
    for (const event of ['close', 'reconnecting', 'end']) {
      this.listen(client, event, () => {
        if (!this.everReady) this.startFailed = true;
        this.updateHealth();
        if (event === 'end' && !this.everReady) {
          this.settleReadiness?.(
            new NodeUnavailableError('the Redis Cluster connection ended before it was ready'),
          );
        }
      });
    }
  }

  private onReady(): void {
    this.everReady = true;
    this.rebuild();
    this.updateHealth();
    this.settleReadiness?.();
  }

  /** Rebuilds the slot map from ioredis' table; emits topology:change when ownership changed. */
  private rebuild(): void {
    if (this.closed) return;
    let map: SlotMap | undefined;
    try {
      map = slotMapOfTable(this.client.slots);
    } catch (error) {
      this.emit({ type: 'client:error', node: undefined, error });
      return;
    }
    if (map === undefined) return;
    const print = fingerprint(map);
    if (print === this.mapFingerprint) return;
    this.mapFingerprint = print;
    this.map = map;
    this.view = withKeyPrefix(map, this.enginePrefix);
    this.masters = new Set(map.nodes.map((node) => node.id));
    // A down master that no longer owns slots was replaced by its replica: nothing to wait for.
    for (const id of this.down) if (!this.masters.has(id)) this.down.delete(id);
    this.direct?.retain(this.masters);
    if (this.down.size === 0) this.stopPolling();
    this.updateHealth();
    this.emit({ type: 'topology:change', topology: this.view });
  }

  private markDown(id: string, reason: unknown): void {
    // Connections to replicas, and to masters dropped by a slot refresh, end too: not a failure.
    if (this.closed || !this.masters.has(id) || this.down.has(id)) return;
    this.down.add(id);
    this.updateHealth();
    this.emit({ type: 'node:eject', node: id, reason });
    this.startPolling();
  }

  private markUp(id: string): void {
    if (this.closed || !this.down.delete(id)) return;
    if (this.down.size === 0) this.stopPolling();
    this.updateHealth();
    this.emit({ type: 'node:readmit', node: id });
  }

  /** A master that stopped answering with its socket open: refused until it answers again. */
  private markSilent(id: string, silentMs: number): void {
    if (this.closed || this.silent.has(id)) return;
    this.silent.add(id);
    this.updateHealth();
    const reason = new NodeUnavailableError(`${id} has answered nothing for ${silentMs} ms`, { node: id });
    this.emit({ type: 'node:eject', node: id, reason });
  }

  private markHeard(id: string): void {
    if (!this.silent.delete(id)) return;
    this.updateHealth();
    if (!this.closed) this.emit({ type: 'node:readmit', node: id });
  }

  private updateHealth(): void {
    this.healthy =
      !this.closed && this.client.status === 'ready' && this.down.size === 0 && this.silent.size === 0;
  }

  /** While a master is down: re-read the slot map (to see its replica promoted) and probe the master. */
  private startPolling(): void {
    if (this.pollTimer !== undefined || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (this.closed || this.down.size === 0) {
        this.stopPolling();
        return;
      }
      this.client.refreshSlotsCache();
      const connections = this.connections();
      for (const id of this.down)
        connections
          .get(id)
          ?.ping()
          .catch(() => {});
    }, this.failover.pollInterval);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /**
   * How a direct connection reaches `node`: the address and settings of ioredis' own connection
   * to it (NAT mapping and TLS included), or undefined when that connection uses something a
   * direct one would not reproduce (a Unix socket, a custom connector).
   */
  private directOptions(node: string): DirectConnectionOptions | undefined {
    const redis = this.connections().get(node);
    if (redis === undefined) return undefined;
    const options = redis.options as typeof redis.options & { Connector?: unknown };
    if (
      options.path ||
      options.Connector !== undefined ||
      options.host === undefined ||
      options.port === undefined
    )
      return undefined;
    return {
      host: options.host,
      port: options.port,
      // ioredis keeps null for settings not given.
      username: options.username ?? undefined,
      password: options.password ?? undefined,
      tls: options.tls ?? undefined,
      connectTimeout: options.connectTimeout ?? 10_000,
    };
  }

  /** ioredis' connection of each node, by Ringcache node id. */
  private connections(): Map<string, Redis> {
    const byId = new Map<string, Redis>();
    for (const redis of this.client.nodes('all')) {
      byId.set(idOfConnection(redis), redis);
    }
    return byId;
  }
}
