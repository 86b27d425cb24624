import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  type AdapterFaults,
  ConfigError,
  type FailoverPolicy,
  type HealthOptions,
  hashRing,
  ketamaRing,
  type NodeSpec,
  type Partitioner,
  parseNodeList,
  type TwemproxyHashName,
} from '@ringcache/core';

export interface MemcachedHealthOptions extends Pick<HealthOptions, 'failureLimit' | 'retryTimeout'> {
  /**
   * Flush a node (`flush_all`) after its probe succeeded and before it is re-admitted, so it
   * cannot serve values older than the writes that went elsewhere while it was out. Turn off only
   * when nothing was written through failover (`failover: 'miss'`) or staleness is acceptable.
   * @default true
   */
  flushOnReadmit?: boolean;
}

/** Where warnings go. @default a one-time `process.emitWarning` */
export interface MemcachedLogger {
  warn(message: string): void;
}

export interface MemcachedAdapterOptions {
  /** The memcached servers, as node specs: `'host:port[:weight]'` or `{ host, port, weight?, name? }`. */
  servers: readonly NodeSpec[];
  /**
   * Where keys live: a partitioner over the same servers, or a factory given them. Use
   * `ketamaRing(servers, { hash: 'fnv1a_64' })` (or `distribution: 'ketama'`) to place keys exactly
   * like a twemproxy/nutcracker pool with `distribution: ketama`.
   * @default hashRing(servers)
   */
  ring?: Partitioner | ((servers: readonly NodeSpec[]) => Partitioner);
  /**
   * nutcracker's `distribution:`; `'ketama'` builds `ketamaRing(servers, { hash })`. Not with `ring`.
   * @default 'consistent' (the core hash ring)
   */
  distribution?: 'consistent' | 'ketama';
  /** nutcracker's `hash:` for `distribution: 'ketama'`. @default 'fnv1a_64' */
  hash?: TwemproxyHashName;
  /**
   * Where an ejected server's keys go: `'next-node'` (twemproxy's auto_eject_hosts) or `'miss'`
   * (calls fail fast, reads become misses in the facade).
   * @default 'next-node'
   */
  failover?: FailoverPolicy;
  /**
   * Milliseconds: the longest TTL of a write that went to another server because its owner was
   * ejected (mcrouter's FailoverWithExptimeRoute), so a failover copy cannot outlive the outage
   * by much. A shorter TTL of the write itself is kept.
   * @default 10000
   */
  failoverTtl?: number;
  /** Ejection and re-admission (probe: the `version` command). */
  health?: MemcachedHealthOptions;
  /** Milliseconds a request may wait for its reply; a timeout is a soft failure of the server. @default 1000 */
  timeout?: number;
  /** Milliseconds a connection attempt may take. @default `timeout` */
  connectTimeout?: number;
  /** Requests queued or in flight per server; more reject with `E_OVERLOADED`. @default 10000 */
  maxPending?: number;
  /** The servers' item size limit (memcached `-I`). @default 1048576 (1 MiB) */
  itemSizeMax?: number;
  /**
   * Largest value accepted. memcached stores a key (≤ 250 bytes), an item header and a CAS
   * beside the value within `itemSizeMax`, so the default leaves 512 bytes for them: a value of
   * exactly `maxValueBytes` is stored whatever its key.
   * @default itemSizeMax - 512
   */
  maxValueBytes?: number;
  /**
   * The 32-bit `flags` written with every value. 0 means "raw bytes" to the other clients
   * (memjs, `memcached`, pylibmc, libmemcached tools), so a value written with the `string`
   * serializer reads back as that string in any of them.
   * @default 0
   */
  flags?: number;
  /** Connect with TLS (memcached built with TLS). Without it, a non-loopback server draws a warning. */
  tls?: boolean | TlsConnectionOptions;
  logger?: MemcachedLogger;
  /** Test hooks (`faults.stopNode` / `startNode`), wired by a test to the processes it runs. */
  faults?: AdapterFaults;
}

export interface ResolvedMemcachedOptions {
  readonly servers: readonly NodeSpec[];
  readonly partitioner: Partitioner;
  readonly failover: FailoverPolicy;
  readonly failoverTtl: number;
  readonly failureLimit: number | undefined;
  readonly retryTimeout: number | undefined;
  readonly flushOnReadmit: boolean;
  readonly timeout: number;
  readonly connectTimeout: number;
  readonly maxPending: number;
  readonly maxValueBytes: number;
  readonly flags: number;
}

/** Room for the key, item header, CAS and CRLF beside a value in one memcached item. */
export const ITEM_OVERHEAD_BYTES = 512;
const MEBIBYTE = 1024 * 1024;

/** @throws ConfigError */
export function resolveOptions(options: MemcachedAdapterOptions): ResolvedMemcachedOptions {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('memcachedAdapter needs { servers }');
  const servers = options.servers;
  const nodes = parseNodeList(servers);
  const partitioner = resolvePartitioner(options);
  const ringIds = partitioner.nodes.map((node) => node.id).sort();
  const serverIds = nodes.map((node) => node.id).sort();
  if (ringIds.join('\n') !== serverIds.join('\n')) {
    throw new ConfigError(
      `the ring's nodes (${ringIds.join(', ')}) are not the servers (${serverIds.join(', ')})`,
    );
  }
  const failover = options.failover ?? 'next-node';
  if (failover !== 'next-node' && failover !== 'miss') {
    throw new ConfigError(`failover must be 'next-node' or 'miss', got ${String(failover)}`);
  }
  const timeout = positive(options.timeout ?? 1000, 'timeout');
  const itemSizeMax = positive(options.itemSizeMax ?? MEBIBYTE, 'itemSizeMax');
  const maxValueBytes = positive(options.maxValueBytes ?? itemSizeMax - ITEM_OVERHEAD_BYTES, 'maxValueBytes');
  if (maxValueBytes > itemSizeMax - ITEM_OVERHEAD_BYTES) {
    throw new ConfigError(
      `maxValueBytes ${maxValueBytes} leaves no room for the key and item header within itemSizeMax ${itemSizeMax}`,
    );
  }
  const flags = options.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new ConfigError(`flags must be a 32-bit unsigned integer, got ${String(flags)}`);
  }
  return {
    servers,
    partitioner,
    failover,
    failoverTtl: positive(options.failoverTtl ?? 10_000, 'failoverTtl'),
    failureLimit: options.health?.failureLimit,
    retryTimeout: options.health?.retryTimeout,
    flushOnReadmit: options.health?.flushOnReadmit ?? true,
    timeout,
    connectTimeout: positive(options.connectTimeout ?? timeout, 'connectTimeout'),
    maxPending: positive(options.maxPending ?? 10_000, 'maxPending'),
    maxValueBytes: Math.floor(maxValueBytes),
    flags,
  };
}

function resolvePartitioner(options: MemcachedAdapterOptions): Partitioner {
  const { ring, distribution, hash, servers } = options;
  if (ring !== undefined && (distribution !== undefined || hash !== undefined)) {
    throw new ConfigError('give either ring or distribution/hash, not both');
  }
  if (typeof ring === 'function') return ring(servers);
  if (ring !== undefined) {
    if (typeof ring.locate !== 'function') throw new ConfigError('ring must be a Partitioner or a factory');
    return ring;
  }
  if (distribution === undefined || distribution === 'consistent') {
    if (hash !== undefined) throw new ConfigError(`hash applies to distribution 'ketama' only`);
    return hashRing(servers);
  }
  if (distribution === 'ketama') return ketamaRing(servers, hash === undefined ? {} : { hash });
  throw new ConfigError(`distribution must be 'consistent' or 'ketama', got ${String(distribution)}`);
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
