import { type AdapterFaults, ConfigError, type NodeSpec, parseNodeList } from '@ringcache/core';
import {
  type Client,
  type ClientConfig,
  type ILogger,
  type LifecycleState,
  ReconnectMode,
} from 'hazelcast-client';

export interface HazelcastAdapterOptions {
  /** The cluster to join; ignored with `client`. @default 'dev' (Hazelcast's default) */
  clusterName?: string;
  /**
   * Members to connect to first (`'host:port'` or `{ host, port }`; weights and names are
   * ignored: Hazelcast assigns partitions itself). The client discovers the rest. Ignored with
   * `client`. @default ['127.0.0.1:5701']
   */
  members?: readonly NodeSpec[];
  /** The IMap that holds the entries. Values are stored as `byte[]`. @default 'ringcache' */
  mapName?: string;
  /**
   * An existing client. The adapter then does not own it: `close()` leaves it running, and the
   * connection settings below do not apply (configure them on the client). Note that
   * hazelcast-client 5.6 started with `asyncStart: true` keeps a single member connection (see
   * `connectToAllMembers`); the adapter's own clients work around it, a given one is left as is.
   */
  client?: Client;
  /**
   * How long one Hazelcast invocation may keep retrying (while partitions migrate or a member
   * leaves) before it fails, ms. Keep it near the cache's `timeout`: retries beyond it only add
   * load. Sets `hazelcast.client.invocation.timeout.millis`. @default 5000
   */
  invocationTimeout?: number;
  /**
   * How long `hazelcastAdapter()` waits for the first cluster connection and partition table
   * before it rejects with `E_NODE_UNAVAILABLE`, ms. `0` returns at once: calls then fail fast
   * with `E_NODE_UNAVAILABLE` until the client connects. @default 10000
   */
  connectTimeout?: number;
  /**
   * How long the client keeps trying to reach a cluster it lost entirely before it shuts itself
   * down for good, ms; `-1` = forever. Sets `connectionRetry.clusterConnectTimeoutMillis`.
   * @default -1
   */
  clusterConnectTimeout?: number;
  /**
   * How often the partition table is compared with the last topology, ms. Membership changes
   * trigger a check at once; this catches partition migrations. @default 1000
   */
  topologyRefreshInterval?: number;
  /** Largest value accepted, bytes. @default 8 MiB */
  maxValueBytes?: number;
  /** Largest key accepted, UTF-8 bytes. @default 65536 */
  maxKeyBytes?: number;
  /**
   * More hazelcast-client configuration, merged over the adapter's defaults (`network`,
   * `connectionStrategy` and `properties` key by key; listeners are added to the adapter's).
   * By default the adapter reports the client's error logs as `client:error` events and drops
   * the rest, so library code never writes to the console; set `customLogger`, or the
   * `hazelcast.logging.level` property for the client's console logger, to see them all.
   */
  clientConfig?: ClientConfig;
  /**
   * Test hooks passed through as `adapter.faults`: the adapter cannot stop members itself, so
   * a fault test wires these to its disposable cluster (`disposableHazelcast`).
   */
  faults?: AdapterFaults;
}

export interface ResolvedOptions {
  readonly mapName: string;
  readonly invocationTimeout: number;
  readonly connectTimeout: number;
  readonly topologyRefreshInterval: number;
  readonly maxValueBytes: number;
  readonly maxKeyBytes: number;
}

/** @throws ConfigError on an option out of range */
export function resolveOptions(options: HazelcastAdapterOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('hazelcastAdapter takes { clusterName, members, mapName, ... }');
  }
  const resolved: ResolvedOptions = {
    mapName: options.mapName ?? 'ringcache',
    invocationTimeout: options.invocationTimeout ?? 5000,
    connectTimeout: options.connectTimeout ?? 10_000,
    topologyRefreshInterval: options.topologyRefreshInterval ?? 1000,
    maxValueBytes: options.maxValueBytes ?? 8 * 1024 * 1024,
    maxKeyBytes: options.maxKeyBytes ?? 65_536,
  };
  if (typeof resolved.mapName !== 'string' || resolved.mapName.length === 0) {
    throw new ConfigError('mapName must be a non-empty string');
  }
  positive(resolved.invocationTimeout, 'invocationTimeout');
  positive(resolved.topologyRefreshInterval, 'topologyRefreshInterval');
  positive(resolved.maxValueBytes, 'maxValueBytes');
  positive(resolved.maxKeyBytes, 'maxKeyBytes');
  if (!(Number.isFinite(resolved.connectTimeout) && resolved.connectTimeout >= 0)) {
    throw new ConfigError(`connectTimeout must be ≥ 0 ms, got ${String(resolved.connectTimeout)}`);
  }
  const reconnect = options.clusterConnectTimeout;
  if (reconnect !== undefined && reconnect !== -1 && !(Number.isFinite(reconnect) && reconnect >= 0)) {
    throw new ConfigError(`clusterConnectTimeout must be -1 or ≥ 0 ms, got ${String(reconnect)}`);
  }
  if (options.members !== undefined) parseNodeList(options.members);
  if (options.client !== undefined && typeof options.client.getMap !== 'function') {
    throw new ConfigError('client must be a hazelcast-client Client');
  }
  return resolved;
}

function positive(value: number, name: string): void {
  if (!(Number.isFinite(value) && value > 0))
    throw new ConfigError(`${name} must be > 0, got ${String(value)}`);
}

/** What the adapter hooks into the client it creates. */
export interface ClientHooks {
  onLifecycle(state: LifecycleState): void;
  logger: ILogger;
}

/**
 * The client configuration for an adapter-owned client. Defaults chosen for a cache:
 * - `asyncStart` + `reconnectMode: 'ASYNC'`: while disconnected, calls fail at once with
 *   ClientOfflineError (→ `E_NODE_UNAVAILABLE`) instead of queueing until the cluster is back;
 * - the invocation timeout bounds retries during migrations and member loss;
 * - reconnection never gives up by default: a client that shut itself down after a long outage
 *   would stay down after the cluster came back;
 * - statistics off; a short retry pause so calls find promoted backups quickly, and a short
 *   wait for the backup ack of a write whose backup member died.
 */
export function buildClientConfig(
  options: HazelcastAdapterOptions,
  resolved: ResolvedOptions,
  hooks: ClientHooks,
): ClientConfig {
  const members = parseNodeList(options.members ?? ['127.0.0.1:5701']).map((node) => node.id);
  const extra = options.clientConfig ?? {};
  const retry = {
    initialBackoffMillis: 250,
    maxBackoffMillis: 5000,
    clusterConnectTimeoutMillis: options.clusterConnectTimeout ?? -1,
    ...extra.connectionStrategy?.connectionRetry,
  };
  return {
    ...extra,
    clusterName: extra.clusterName ?? options.clusterName ?? 'dev',
    network: {
      connectionTimeout: 5000,
      ...extra.network,
      clusterMembers: extra.network?.clusterMembers ?? members,
    },
    connectionStrategy: {
      asyncStart: true,
      reconnectMode: ReconnectMode.ASYNC,
      ...extra.connectionStrategy,
      connectionRetry: retry,
    },
    properties: {
      'hazelcast.client.invocation.timeout.millis': resolved.invocationTimeout,
      'hazelcast.client.invocation.retry.pause.millis': 100,
      // A write whose backup member just died waits this long for the backup's ack, then
      // completes (the primary applied it). The client's 5 s default outlasts cache timeouts.
      'hazelcast.client.operation.backup.timeout.millis': Math.min(1000, resolved.invocationTimeout),
      'hazelcast.client.statistics.enabled': false,
      ...extra.properties,
    },
    lifecycleListeners: [hooks.onLifecycle, ...(extra.lifecycleListeners ?? [])],
    // A logging level set by the user means they want the client's own (console) logger.
    ...(extra.customLogger === undefined && extra.properties?.['hazelcast.logging.level'] === undefined
      ? { customLogger: hooks.logger }
      : {}),
  };
}
