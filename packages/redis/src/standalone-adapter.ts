import {
  type AdapterNode,
  type KeyGroup,
  NodeUnavailableError,
  type Partitioner,
  type RingcacheError,
  type SlotMap,
  slotMap,
} from '@ringcache/core';
import type { Redis } from 'ioredis';
import { createRedis, withoutConnectionPrefix } from './clients.js';
import type { RedisAdapterOptions } from './options.js';
import { RedisAdapterBase, type ScanTarget } from './redis-adapter-base.js';
import { nodeIdOf } from './topology.js';

/**
 * A Ringcache adapter over one Redis (ioredis `Redis`): standalone, or a Sentinel-managed
 * master (`{ redis: { sentinels, name } }`; ioredis follows failovers). Many-key reads are one
 * MGET. While the connection is down after having been up, calls fail fast with
 * E_NODE_UNAVAILABLE instead of piling up in ioredis' offline queue.
 *
 * @example
 * const cache = createCache({ adapter: redisAdapter({ redis: { host: '127.0.0.1', port: 6379 } }) });
 * @throws ConfigError on invalid options
 */
export function redisAdapter(options: RedisAdapterOptions | Redis = {}): RedisStandaloneAdapter {
  return new RedisStandaloneAdapter(isRedisClient(options) ? { client: options } : options);
}

function isRedisClient(value: RedisAdapterOptions | Redis): value is Redis {
  return (
    (value as { isCluster?: unknown }).isCluster === false && typeof (value as Redis).getBuffer === 'function'
  );
}

export class RedisStandaloneAdapter extends RedisAdapterBase<Redis> {
  readonly name = 'redis';
  private readonly sentinel: boolean;
  private id: string;
  private map: SlotMap;
  private everReady = false;
  private startFailed = false;
  private healthy = false;
  private ejected = false;

  constructor(options: RedisAdapterOptions) {
    super(options.client ?? createRedis(options), options.client === undefined, options);
    const clientOptions = this.client.options;
    this.sentinel = (clientOptions.sentinels?.length ?? 0) > 0;
    const first = clientOptions.sentinels?.[0];
    // Until a Sentinel names the master, the node is shown by the first Sentinel's address.
    this.id = this.sentinel
      ? nodeIdOf(first?.host ?? 'localhost', first?.port ?? 26379)
      : nodeIdOf(clientOptions.host ?? 'localhost', clientOptions.port ?? 6379);
    this.map = slotMap([this.id]);
    this.wire();
    if (this.client.status === 'ready') this.onReady();
    else if (this.client.status === 'wait') {
      this.client
        .connect()
        .catch((error: unknown) => this.emit({ type: 'client:error', node: this.id, error }));
    }
  }

  topology(): Partitioner {
    return this.map;
  }

  nodes(): AdapterNode[] {
    return [{ id: this.id, address: this.id, status: this.healthy ? 'up' : 'down' }];
  }

  protected refuse(key: string, _write: boolean): RingcacheError | undefined {
    if (this.healthy) return undefined;
    if (this.closed) return this.closedError();
    if (!this.everReady && !this.startFailed) return undefined; // ioredis queues until the first connect
    return new NodeUnavailableError(`${this.id} is not connected (${this.client.status})`, {
      node: this.id,
      key,
    });
  }

  protected allUp(): boolean {
    return this.healthy;
  }

  protected nodeOf(): string {
    return this.id;
  }

  protected mayShareSlot(): boolean {
    return true;
  }

  /** A single Redis has no slots to respect: one MGET carries every key. */
  protected groupKeys(commandKeys: readonly string[]): KeyGroup<unknown>[] {
    return [{ group: this.id, keys: [...commandKeys], positions: commandKeys.map((_, index) => index) }];
  }

  protected sockets(): readonly Redis[] {
    return [this.client];
  }

  protected scanTargets(): ScanTarget[] {
    const refused = this.refuse('', true);
    if (refused !== undefined) throw refused;
    return [{ id: this.id, redis: this.client }];
  }

  protected async unlinkScanned(target: ScanTarget, keys: Buffer[]): Promise<void> {
    await target.redis.unlink(...withoutConnectionPrefix(target.redis, keys));
  }

  protected override onClose(): void {
    this.healthy = false;
  }

  private wire(): void {
    this.listen(this.client, 'error', (error: unknown) =>
      this.emit({ type: 'client:error', node: this.id, error }),
    );
    this.listen(this.client, 'ready', () => this.onReady());
    for (const event of ['close', 'reconnecting', 'end']) {
      this.listen(this.client, event, () => {
        this.healthy = false;
        if (!this.everReady) this.startFailed = true;
        else if (!this.ejected && !this.closed) {
          this.ejected = true;
          this.emit({ type: 'node:eject', node: this.id, reason: `connection ${event}` });
        }
      });
    }
  }

  private onReady(): void {
    this.everReady = true;
    this.healthy = !this.closed;
    if (this.ejected) {
      this.ejected = false;
      this.emit({ type: 'node:readmit', node: this.id });
    }
    if (this.sentinel) this.followMaster();
  }

  /** With Sentinel, the node is whichever master ioredis connected to; a failover changes it. */
  private followMaster(): void {
    const { remoteAddress, remotePort } = this.client.stream ?? {};
    if (remoteAddress === undefined || remotePort === undefined) return;
    const id = nodeIdOf(remoteAddress, remotePort);
    if (id === this.id) return;
    this.id = id;
    this.map = slotMap([id]);
    this.emit({ type: 'topology:change', topology: this.map });
  }
}
