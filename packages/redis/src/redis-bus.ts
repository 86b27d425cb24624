import {
  type BusHandlers,
  ClosedError,
  ConfigError,
  type InvalidationBus,
  type NodeSpec,
  NodeUnavailableError,
  parseNodeList,
} from '@ringcache/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { toIoredisNode } from './clients.js';
import { toRingcacheError } from './errors.js';

export interface RedisBusOptions {
  /**
   * The client that publishes (e.g. `adapter.getClient()`), also the template of the subscriber
   * connection (its auth, TLS, Sentinel settings). You keep owning it.
   */
  client?: Redis | Cluster;
  /** Or: startup nodes of a Redis Cluster; the bus creates (and closes) its own client. */
  nodes?: readonly NodeSpec[];
  /** Or: ioredis options of a single Redis (Sentinel included); the bus creates (and closes) its client. */
  redis?: RedisOptions;
  /** Prepended to every channel name. @default '' */
  channelPrefix?: string;
  /** Receives connection errors and errors thrown by handlers; the bus itself never throws them. */
  onError?: (error: unknown) => void;
  /** First delay before a lost subscriber reconnects; doubles up to 2 s. @default 100 */
  retryDelay?: number;
  /** How long `subscribe()` waits for a subscriber connection before rejecting. @default 10000 */
  connectTimeout?: number;
}

export interface RedisBus extends InvalidationBus {
  /** The publishing client. */
  getClient(): Redis | Cluster;
}

/**
 * An invalidation bus over Redis pub/sub (plain PUBLISH/SUBSCRIBE: in a cluster a message
 * published on any node reaches subscribers on every node).
 *
 * Subscriptions share one dedicated connection. When it drops, every handler hears
 * `onStatus('down')` at once (messages published meanwhile are lost, so a local tier must flush);
 * the bus reconnects — in a cluster to another node if need be — resubscribes every channel, and
 * then says `onStatus('up')`.
 *
 * @example
 * const bus = redisBus({ client: adapter.getClient() });
 * @throws ConfigError when no client, nodes or redis options are given
 */
export function redisBus(options: RedisBusOptions | Redis | Cluster): RedisBus {
  return new RedisPubSubBus(isClient(options) ? { client: options } : options);
}

function isClient(value: RedisBusOptions | Redis | Cluster): value is Redis | Cluster {
  return typeof (value as { isCluster?: unknown }).isCluster === 'boolean';
}

type SubscriberState = 'connecting' | 'up' | 'down' | 'closed';

class RedisPubSubBus implements RedisBus {
  private readonly publisher: Redis | Cluster;
  private readonly ownsPublisher: boolean;
  private readonly prefix: string;
  private readonly onError: (error: unknown) => void;
  private readonly retryDelay: number;
  private readonly connectTimeout: number;
  private readonly channels = new Map<string, Set<BusHandlers>>();
  private connection: Redis | undefined;
  /** Channels SUBSCRIBEd on the current connection. */
  private subscribed = new Set<string>();
  private state: SubscriberState = 'connecting';
  private everUp = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private upWaiters = new Set<() => void>();

  constructor(options: RedisBusOptions) {
    this.publisher = options.client ?? createPublisher(options);
    this.ownsPublisher = options.client === undefined;
    this.prefix = options.channelPrefix ?? '';
    this.onError = options.onError ?? (() => {});
    this.retryDelay = options.retryDelay ?? 100;
    this.connectTimeout = options.connectTimeout ?? 10_000;
    if (this.ownsPublisher) this.publisher.on('error', (error: unknown) => this.report(error));
    if (this.publisher.status === 'wait')
      this.publisher.connect().catch((error: unknown) => this.report(error));
    this.open();
  }

  getClient(): Redis | Cluster {
    return this.publisher;
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    if (this.state === 'closed') throw new ClosedError('the redis bus is closed');
    const bytes = Buffer.isBuffer(message)
      ? message
      : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    try {
      await this.publisher.publish(this.prefix + channel, bytes);
    } catch (error) {
      throw toRingcacheError(error, undefined, undefined);
    }
  }

  async subscribe(channel: string, handlers: BusHandlers): Promise<() => Promise<void>> {
    if (this.state === 'closed') throw new ClosedError('the redis bus is closed');
    const name = this.prefix + channel;
    let set = this.channels.get(name);
    if (set === undefined) {
      set = new Set();
      this.channels.set(name, set);
    }
    set.add(handlers);
    const unsubscribe = async () => {
      const current = this.channels.get(name);
      if (current === undefined || !current.delete(handlers) || current.size > 0) return;
      this.channels.delete(name);
      if (this.subscribed.delete(name)) await this.connection?.unsubscribe(name).catch(() => {});
    };
    try {
      await this.whenUp();
      await this.subscribeMissing();
    } catch (error) {
      await unsubscribe();
      throw toRingcacheError(error, undefined, undefined);
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    for (const resolve of this.upWaiters) resolve();
    this.upWaiters.clear();
    this.channels.clear();
    this.connection?.disconnect();
    this.connection = undefined;
    if (this.ownsPublisher) await this.publisher.quit().catch(() => this.publisher.disconnect());
  }

  /** Opens a subscriber connection; on 'ready' it subscribes every channel, then reports 'up'. */
  private open(): void {
    if (this.state === 'closed') return;
    const connection = this.subscriberConnection();
    if (connection === undefined) {
      this.retryLater(); // a cluster with no known node yet
      return;
    }
    this.connection = connection;
    this.subscribed = new Set();
    connection.on('error', (error: unknown) => this.report(error));
    connection.on('messageBuffer', (channel: Buffer, message: Buffer) => this.deliver(channel, message));
    connection.once('ready', () => {
      this.subscribeMissing().then(
        () => this.setUp(connection),
        (error: unknown) => {
          this.report(error);
          connection.disconnect();
        },
      );
    });
    connection.once('end', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.setDown();
      this.retryLater();
    });
    connection.connect().catch(() => {}); // reported through 'error', then 'end'
  }

  /** A new connection for subscribing: to the next cluster node in turn, or like the single Redis. */
  private subscriberConnection(): Redis | undefined {
    const overrides: RedisOptions = {
      lazyConnect: true,
      // The bus reconnects itself (possibly elsewhere) and resubscribes, so it knows when it is deaf.
      retryStrategy: () => null,
      autoResubscribe: false,
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      connectionName: 'ringcache-bus',
    };
    if (!this.publisher.isCluster) return (this.publisher as Redis).duplicate(overrides);
    const nodes = (this.publisher as Cluster).nodes('all');
    if (nodes.length === 0) return undefined;
    const node = nodes[this.attempt % nodes.length]!;
    return node.duplicate({ ...overrides, readOnly: false });
  }

  private async subscribeMissing(): Promise<void> {
    const connection = this.connection;
    if (connection === undefined) throw new NodeUnavailableError('the bus has no subscriber connection');
    const missing = [...this.channels.keys()].filter((name) => !this.subscribed.has(name));
    if (missing.length === 0) return;
    await connection.subscribe(...missing);
    for (const name of missing) this.subscribed.add(name);
  }

  private deliver(channel: Buffer, message: Buffer): void {
    const handlers = this.channels.get(channel.toString());
    if (handlers === undefined) return;
    for (const handler of handlers) {
      try {
        handler.onMessage(handlers.size === 1 ? message : Uint8Array.prototype.slice.call(message));
      } catch (error) {
        this.report(error);
      }
    }
  }

  private setUp(connection: Redis): void {
    if (this.connection !== connection || this.state === 'closed') return;
    const wasDown = this.state === 'down';
    this.state = 'up';
    this.attempt = 0;
    this.everUp = true;
    for (const resolve of this.upWaiters) resolve();
    this.upWaiters.clear();
    if (wasDown) this.notify('up');
  }

  private setDown(): void {
    if (this.state === 'closed') return;
    const wasUp = this.state === 'up';
    this.state = this.everUp ? 'down' : 'connecting';
    if (wasUp) this.notify('down');
  }

  private notify(status: 'up' | 'down'): void {
    for (const handlers of this.channels.values()) {
      for (const handler of handlers) {
        try {
          handler.onStatus?.(status);
        } catch (error) {
          this.report(error);
        }
      }
    }
  }

  private retryLater(): void {
    if (this.state === 'closed') return;
    const delay = Math.min(this.retryDelay * 2 ** Math.min(this.attempt, 10), 2000);
    this.attempt++;
    this.retryTimer = setTimeout(() => this.open(), delay);
    this.retryTimer.unref();
  }

  /** Resolves when the subscriber is up; rejects after `connectTimeout` or when the bus closes. */
  private whenUp(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.upWaiters.delete(done);
        reject(new NodeUnavailableError(`the bus could not subscribe within ${this.connectTimeout} ms`));
      }, this.connectTimeout);
      const done = () => {
        clearTimeout(timer);
        if (this.state === 'closed') reject(new ClosedError('the redis bus is closed'));
        else resolve();
      };
      this.upWaiters.add(done);
    });
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error reporter that throws must not break the bus.
    }
  }
}

function createPublisher(options: RedisBusOptions): Redis | Cluster {
  if (options.nodes !== undefined) {
    const nodes = parseNodeList(options.nodes).map(toIoredisNode);
    return new Cluster(nodes, { lazyConnect: true, enableAutoPipelining: true });
  }
  if (options.redis !== undefined) return new Redis({ lazyConnect: true, ...options.redis });
  throw new ConfigError('redisBus needs { client }, { nodes } (a cluster) or { redis } (a single Redis)');
}
