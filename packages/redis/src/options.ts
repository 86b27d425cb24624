import type { ConnectionOptions } from 'node:tls';
import { type AdapterFaults, ConfigError, type NodeSpec } from '@ringcache/core';
import type { Cluster, ClusterOptions, NatMap, Redis, RedisOptions } from 'ioredis';

/** Options both adapters share. */
export interface RedisAdapterBaseOptions {
  /**
   * Prepended to every key this adapter writes (`'app:'` → `app:<key>`), so one Redis can hold
   * several applications; `clear()` without a prefix then removes this adapter's keys only.
   * Applied by the adapter (ioredis' own `keyPrefix` on a client you pass is honoured too).
   * @default ''
   */
  keyPrefix?: string;
  /**
   * Largest value accepted, in bytes. Redis itself takes up to 512 MiB (`proto-max-bulk-len`),
   * but one value that size stalls the server and every client sharing its connection.
   * @default 67_108_864 (64 MiB)
   */
  maxValueBytes?: number;
  /**
   * Largest key in UTF-8 bytes (the key prefix included). Redis accepts 512 MiB keys; keys are
   * hashed and compared on every call, so anything near this limit is a mistake.
   * @default 65_536
   */
  maxKeyBytes?: number;
  /**
   * What `clear()` without a prefix (a cache without a namespace) does. `false`: SCAN every
   * master for `keyPrefix*` and UNLINK what it finds; with an empty `keyPrefix` that is every
   * key, removed in batches without blocking the server. `true`: `FLUSHALL ASYNC` on every
   * master — faster, and it deletes keys that are not this adapter's, even with a `keyPrefix`.
   * Never set it on a cluster other applications share.
   * @default false
   */
  flushAllOnClear?: boolean;
  /** Keys asked per SCAN call by `clear()`. @default 1000 */
  scanCount?: number;
  /**
   * Test hooks the conformance suite uses to stop and restart a node. The adapter cannot kill
   * servers itself; a test passes an implementation over engines it runs (see the package README).
   */
  faults?: AdapterFaults;
  /**
   * ioredis auto-pipelining. Off by default: the adapter already sends the commands of one tick
   * as one write per node (it corks the sockets until the tick ends), which measured ~40% less
   * client CPU per call than auto-pipelining. Ignored for a client you pass.
   * @default false
   */
  enableAutoPipelining?: boolean;
}

/** How the cluster adapter behaves while a master fails over to its replica. */
export interface ClusterFailoverOptions {
  /**
   * How long ioredis keeps retrying a command caught by a node failure (a closed connection,
   * CLUSTERDOWN, TRYAGAIN), in ms; it then fails with E_NODE_UNAVAILABLE. `'ride-through'`
   * makes it `clusterNodeTimeout + 2000`, long enough for the replica to be promoted.
   *
   * The default stays below the cache's default 1 s timeout on purpose: a command still being
   * retried after its caller was answered can land seconds later, on the promoted replica, over a
   * newer value written meanwhile (the failover test measures this). With `'ride-through'`, give
   * the cache a `timeout` above the window, or accept such late writes.
   * @default 800
   */
  retryWindow?: number | 'ride-through';
  /**
   * Your cluster's `cluster-node-timeout` in ms (a master silent this long is failed over); only
   * used by `retryWindow: 'ride-through'`. Redis' default is 15000; the test engines use 3000.
   * @default 15000
   */
  clusterNodeTimeout?: number;
  /** Delay between those retries (ioredis `retryDelayOnFailover`, `retryDelayOnClusterDown`). @default 100 */
  retryDelay?: number;
  /**
   * While a master is unreachable, how often the adapter re-reads the slot map (and probes the
   * master), so it notices the promoted replica or the master's return quickly.
   * @default 250
   */
  pollInterval?: number;
  /**
   * A master that has calls outstanding on the adapter's direct connection and has sent nothing
   * for this long (a frozen process, a stalled host: its socket stays open) is refused at once
   * with E_NODE_UNAVAILABLE until it answers again, instead of collecting calls that cannot be
   * answered. A killed master is noticed by its closed connection, not by this.
   * @default 2000
   */
  silenceLimit?: number;
}

export interface RedisClusterAdapterOptions extends RedisAdapterBaseOptions {
  /** Startup nodes, `'host:port'` or `{ host, port }`; the rest of the cluster is discovered. */
  nodes?: readonly NodeSpec[];
  /**
   * An existing ioredis Cluster instead of `nodes`. You keep owning it: `close()` detaches the
   * adapter's listeners and leaves the client open. Connection options below are then ignored.
   */
  client?: Cluster;
  /** ACL user (Redis 6+). */
  username?: string;
  password?: string;
  /** TLS for every node connection: `true` for defaults, or Node's `tls.connect` options. */
  tls?: ConnectionOptions | true;
  /**
   * Where reads go: `'master'`, `'slave'` (replicas, possibly stale), `'all'`, or a function.
   * With replica reads, reads of a down master's slots are still tried (its replicas may answer).
   * @default 'master'
   */
  scaleReads?: ClusterOptions['scaleReads'];
  /** Maps the addresses nodes announce to ones this process can reach (NAT, Docker, managed clusters). */
  natMap?: NatMap;
  /** DNS lookup for node hostnames; `(address, callback) => callback(null, address)` for TLS clusters by name. */
  dnsLookup?: ClusterOptions['dnsLookup'];
  /** Failover tuning; the defaults are documented on each field. */
  failover?: ClusterFailoverOptions;
  /**
   * Single-key GET, SET and UNLINK (those of `getMany`, `setMany` and `deleteMany` included) go
   * over the adapter's own lean connection to each master instead of through ioredis, which
   * measured less than half the client CPU per call. Redirections, multi-key commands, atomic
   * operations and clears still go through ioredis, and so does everything while a master is
   * down or a direct connection is not ready. Used only with reads on masters (`scaleReads:
   * 'master'`) and nodes ioredis reaches over TCP or TLS; the connection settings (address,
   * ACL user and password, TLS, connect timeout) are those of ioredis' connection to the node.
   * @default true
   */
  directConnections?: boolean;
  /** Any other ioredis Cluster option, applied over the adapter's defaults (yours win). */
  clusterOptions?: ClusterOptions;
}

export interface RedisAdapterOptions extends RedisAdapterBaseOptions {
  /**
   * An existing ioredis client (standalone or Sentinel). You keep owning it: `close()` detaches
   * the adapter's listeners and leaves it open. `redis` options are then ignored.
   */
  client?: Redis;
  /**
   * ioredis options, passed through: `host`, `port`, `username`, `password`, `db`, `tls`, or
   * `sentinels` + `name` (+ `sentinelPassword`, `role`, …) for a Sentinel-managed master.
   * ioredis' own `keyPrefix` is rejected here: use the adapter's `keyPrefix`.
   */
  redis?: RedisOptions;
}

/** The ioredis settings derived from {@link ClusterFailoverOptions}. */
export interface ResolvedFailover {
  retryDelayOnFailover: number;
  retryDelayOnClusterDown: number;
  retryDelayOnTryAgain: number;
  maxRedirections: number;
  /** `retryDelay × maxRedirections`: how long a command caught by a failure keeps retrying. */
  retryWindow: number;
  pollInterval: number;
  silenceLimit: number;
}

/**
 * Time from a master's death to its replica serving, beyond `cluster-node-timeout`: the FAIL
 * flag spreading by gossip, then the replica's election delay (500 ms + up to 500 ms random +
 * 1 s per rank) and the vote. 2 s covers a rank-0 replica with margin.
 */
export const ELECTION_MARGIN_MS = 2000;

/**
 * ioredis retries a command whose node went away every `retryDelay` ms, `maxRedirections`
 * times (the same counter bounds MOVED/ASK hops, so it never goes below 4).
 * - default: 8 × 100 ms = 800 ms, under the cache's 1 s timeout;
 * - `'ride-through'` with the test engines' `cluster-node-timeout 3000`: 50 × 100 ms = 5 s;
 *   with Redis' default 15000: 170 × 100 ms = 17 s.
 * New calls to a master known to be down do not wait for any of this: they fail at once with
 * E_NODE_UNAVAILABLE (reads become misses in the cache) until its replica serves.
 */
export function resolveFailover(options: ClusterFailoverOptions = {}): ResolvedFailover {
  const clusterNodeTimeout = positive(options.clusterNodeTimeout ?? 15_000, 'failover.clusterNodeTimeout');
  const retryDelay = positive(options.retryDelay ?? 100, 'failover.retryDelay');
  const pollInterval = positive(options.pollInterval ?? 250, 'failover.pollInterval');
  const silenceLimit = positive(options.silenceLimit ?? 2000, 'failover.silenceLimit');
  const requested = options.retryWindow ?? 800;
  const window =
    requested === 'ride-through'
      ? clusterNodeTimeout + ELECTION_MARGIN_MS
      : positive(requested, 'failover.retryWindow');
  const maxRedirections = Math.max(4, Math.ceil(window / retryDelay));
  return {
    retryDelayOnFailover: retryDelay,
    retryDelayOnClusterDown: retryDelay,
    retryDelayOnTryAgain: retryDelay,
    maxRedirections,
    retryWindow: maxRedirections * retryDelay,
    pollInterval,
    silenceLimit,
  };
}

export interface ResolvedLimits {
  keyPrefix: string;
  maxValueBytes: number;
  maxKeyBytes: number;
  flushAllOnClear: boolean;
  scanCount: number;
}

/** @throws ConfigError on out-of-range limits */
export function resolveLimits(options: RedisAdapterBaseOptions): ResolvedLimits {
  const keyPrefix = options.keyPrefix ?? '';
  if (typeof keyPrefix !== 'string') throw new ConfigError('keyPrefix must be a string');
  const maxValueBytes = options.maxValueBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxValueBytes) || maxValueBytes < 1 || maxValueBytes > 512 * 1024 * 1024) {
    throw new ConfigError('maxValueBytes must be an integer from 1 to 536870912 (Redis’ 512 MiB)');
  }
  const maxKeyBytes = options.maxKeyBytes ?? 65_536;
  const prefixBytes = Buffer.byteLength(keyPrefix);
  if (!Number.isInteger(maxKeyBytes) || maxKeyBytes <= prefixBytes || maxKeyBytes > 512 * 1024 * 1024) {
    throw new ConfigError(`maxKeyBytes must be an integer above the key prefix length (${prefixBytes})`);
  }
  const scanCount = options.scanCount ?? 1000;
  if (!Number.isInteger(scanCount) || scanCount < 1) throw new ConfigError('scanCount must be ≥ 1');
  return {
    keyPrefix,
    maxValueBytes,
    maxKeyBytes,
    flushAllOnClear: options.flushAllOnClear === true,
    scanCount,
  };
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number of milliseconds`);
  }
  return value;
}
