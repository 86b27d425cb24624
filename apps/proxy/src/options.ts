import {
  type CacheNode,
  ConfigError,
  hashRing,
  isTwemproxyHashName,
  ketamaRing,
  type NodeSpec,
  type Partitioner,
  parseNodeList,
  type TwemproxyHashName,
} from '@ringcache/core';
import {
  DEFAULT_LISTEN,
  formatAddress,
  isLoopback,
  type ListenAddress,
  parseListen,
} from './listen-address.js';

/** Hot-key detection: the library's `HotKeyDetector` (Space-Saving over a sliding window), as its `'detect'` policy. */
export interface HotKeyDetectionOptions {
  /** Window length, ms. @default 1000 */
  windowMs?: number;
  /** A key is hot when it takes at least this share of a window's reads… @default 0.02 */
  threshold?: number;
  /** …and at least this many reads. @default 50 */
  minCount?: number;
  /** Counters of the summary (memory is O(capacity)). @default 256 */
  capacity?: number;
  /** Windows below half the threshold before a hot key is reported cool again. @default 3 */
  coolWindows?: number;
}

/**
 * One proxied pool. Field names are camelCase here; the YAML file uses nutcracker's snake_case
 * names (`server_failure_limit` → `serverFailureLimit`), see `poolFromConfig`.
 */
export interface ProxyOptions {
  /** The pool's name (the YAML key), for logs and `stats`. @default 'ringcache' */
  name?: string;
  /** `'host:port'` or `{ host, port }`. Port 0 picks a free port. @default '127.0.0.1:22121' */
  listen?: string | ListenAddress;
  /** Bind a non-loopback address. Without it such a `listen` is refused. @default false */
  allowRemote?: boolean;
  /** The memcached servers: `'host:port[:weight]'` or `{ host, port, weight?, name? }`. */
  servers: readonly NodeSpec[];
  /**
   * `'consistent'`: the core hash ring. `'ketama'`: `ketamaRing`, placing every key on the same
   * server as nutcracker with `distribution: ketama` and the same `hash` (nutcracker's own default).
   * @default 'consistent'
   */
  distribution?: 'consistent' | 'ketama';
  /** The key hash of `distribution: 'ketama'`, by nutcracker's name. @default 'fnv1a_64' */
  hash?: TwemproxyHashName;
  /** Two characters, e.g. `'{}'`: only the part of a key between them is hashed (nutcracker's `hash_tag`). */
  hashTag?: string;
  /** Milliseconds a backend may take to answer; a late request gets `SERVER_ERROR`. @default 1000 */
  timeout?: number;
  /** Consecutive failures that eject a server (with `autoEjectHosts`). @default 2 */
  serverFailureLimit?: number;
  /** Milliseconds an ejected server stays out before a probe may re-admit it. @default 30000 */
  serverRetryTimeout?: number;
  /**
   * Eject failing servers and route their keys to the next server on the ring. Without it a
   * failing server's keys get `SERVER_ERROR` until it is back (nutcracker's default).
   * @default false
   */
  autoEjectHosts?: boolean;
  /** Connect to every server at start instead of on first use. @default false */
  preconnect?: boolean;
  /** `listen()` backlog. @default 512 */
  backlog?: number;
  /** Most clients connected at once; more get `SERVER_ERROR` and are closed. @default 4096 */
  clientConnections?: number;
  /** Milliseconds without a byte from a client (and no request pending) before it is closed; 0 = never. @default 0 */
  clientIdleTimeout?: number;
  /** Longest command line; longer gets `CLIENT_ERROR line too long` and the connection closes. @default 65536 */
  maxRequestLineBytes?: number;
  /** Largest data block; larger gets `SERVER_ERROR object too large for cache` (as memcached). @default 1048576 */
  maxValueBytes?: number;
  /** Requests a client may have in flight; at this many the proxy stops reading from it. @default 1024 */
  maxClientPending?: number;
  /** Reply bytes waiting for a client; above this the proxy stops reading from it. @default 1048576 */
  maxClientOutputBytes?: number;
  /** Requests queued or in flight per server; more get `SERVER_ERROR`. @default 10000 */
  serverMaxPending?: number;
  /**
   * Flush a server (`flush_all`) before it is re-admitted, so values it kept while writes and
   * deletes went elsewhere cannot be served. nutcracker does not; turn off to behave like it.
   * @default true
   */
  flushOnReadmit?: boolean;
  /** Longest TTL (ms) of a write that failed over to another server. @default 10000 */
  failoverTtl?: number;
  /** A read whose server fails: `'error'` (SERVER_ERROR, as nutcracker) or `'miss'`. @default 'error' */
  readErrors?: 'error' | 'miss';
  /** Hot-key detection, or `false` to turn it off. @default {} (on, library defaults) */
  hotKeys?: HotKeyDetectionOptions | false;
  /**
   * Forward `flush_all` to every server. Off by default: one client could empty the whole pool
   * (nutcracker does not support it at all); refused requests get `SERVER_ERROR`.
   * @default false
   */
  allowFlush?: boolean;
}

export interface ResolvedHotKeyOptions {
  readonly windowMs: number;
  readonly threshold: number;
  readonly minCount: number;
  readonly capacity: number;
  readonly coolWindows: number;
}

export interface ResolvedProxyOptions {
  readonly name: string;
  readonly listen: ListenAddress;
  readonly nodes: readonly CacheNode[];
  readonly partitioner: Partitioner;
  readonly distribution: 'consistent' | 'ketama';
  readonly hash: TwemproxyHashName | undefined;
  readonly hashTag: string | undefined;
  readonly timeout: number;
  readonly serverFailureLimit: number;
  readonly serverRetryTimeout: number;
  readonly autoEjectHosts: boolean;
  readonly preconnect: boolean;
  readonly backlog: number;
  readonly clientConnections: number;
  readonly clientIdleTimeout: number;
  readonly maxRequestLineBytes: number;
  readonly maxValueBytes: number;
  readonly maxClientPending: number;
  readonly maxClientOutputBytes: number;
  readonly serverMaxPending: number;
  readonly flushOnReadmit: boolean;
  readonly failoverTtl: number;
  readonly readErrors: 'error' | 'miss';
  readonly hotKeys: ResolvedHotKeyOptions | undefined;
  readonly allowFlush: boolean;
}

/**
 * Validates options and fills in defaults.
 * @throws ConfigError naming the bad option
 */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('proxy options must be an object');
  const name = options.name ?? 'ringcache';
  const listen =
    options.listen === undefined
      ? DEFAULT_LISTEN
      : typeof options.listen === 'string'
        ? parseListen(options.listen)
        : parseListen(formatAddress(options.listen));
  if (!isLoopback(listen.host) && options.allowRemote !== true) {
    throw new ConfigError(
      `refusing to listen on ${formatAddress(listen)}: not a loopback address. The proxy has no ` +
        'authentication; pass --allow-remote (allowRemote: true) to expose it to the network',
    );
  }
  const distribution = options.distribution ?? 'consistent';
  if (distribution !== 'consistent' && distribution !== 'ketama') {
    throw new ConfigError(
      `distribution must be 'ketama' or 'consistent' (the core hash ring), got '${String(distribution)}'` +
        ` (nutcracker's modula and random are not supported)`,
    );
  }
  if (options.hash !== undefined && !isTwemproxyHashName(options.hash)) {
    throw new ConfigError(`unknown hash '${String(options.hash)}'`);
  }
  if (options.hash !== undefined && distribution !== 'ketama') {
    throw new ConfigError(
      `hash '${options.hash}' applies to distribution 'ketama' only. nutcracker's default distribution ` +
        'is ketama: add `distribution: ketama` to place keys as nutcracker does',
    );
  }
  const nodes = parseNodeList(options.servers);
  const partitioner =
    distribution === 'ketama' ? ketamaRing(nodes, { hash: options.hash ?? 'fnv1a_64' }) : hashRing(nodes);
  const hashTag = options.hashTag;
  if (hashTag !== undefined && (typeof hashTag !== 'string' || [...hashTag].length !== 2)) {
    throw new ConfigError(`hash_tag must be two characters, e.g. '{}', got '${String(hashTag)}'`);
  }
  const readErrors = options.readErrors ?? 'error';
  if (readErrors !== 'error' && readErrors !== 'miss') {
    throw new ConfigError(`read_errors must be 'error' or 'miss', got '${String(readErrors)}'`);
  }
  return {
    name,
    listen,
    nodes,
    partitioner,
    distribution,
    hash: distribution === 'ketama' ? (options.hash ?? 'fnv1a_64') : undefined,
    hashTag,
    timeout: integer(options.timeout, 1000, 'timeout', 1),
    serverFailureLimit: integer(options.serverFailureLimit, 2, 'server_failure_limit', 1),
    serverRetryTimeout: integer(options.serverRetryTimeout, 30_000, 'server_retry_timeout', 0),
    autoEjectHosts: boolean(options.autoEjectHosts, false, 'auto_eject_hosts'),
    preconnect: boolean(options.preconnect, false, 'preconnect'),
    backlog: integer(options.backlog, 512, 'backlog', 1),
    clientConnections: integer(options.clientConnections, 4096, 'client_connections', 1),
    clientIdleTimeout: integer(options.clientIdleTimeout, 0, 'client_idle_timeout', 0),
    maxRequestLineBytes: integer(options.maxRequestLineBytes, 65_536, 'max_request_line_bytes', 512),
    maxValueBytes: integer(options.maxValueBytes, 1_048_576, 'max_value_bytes', 1),
    maxClientPending: integer(options.maxClientPending, 1024, 'max_client_pending', 1),
    maxClientOutputBytes: integer(options.maxClientOutputBytes, 1_048_576, 'max_client_output_bytes', 1024),
    serverMaxPending: integer(options.serverMaxPending, 10_000, 'server_max_pending', 1),
    flushOnReadmit: boolean(options.flushOnReadmit, true, 'flush_on_readmit'),
    failoverTtl: integer(options.failoverTtl, 10_000, 'failover_ttl', 1000),
    readErrors,
    hotKeys: resolveHotKeys(options.hotKeys),
    allowFlush: boolean(options.allowFlush, false, 'allow_flush'),
  };
}

function resolveHotKeys(
  options: HotKeyDetectionOptions | false | undefined,
): ResolvedHotKeyOptions | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigError('hot_keys must be a mapping or false');
  }
  const threshold = options?.threshold ?? 0.02;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
    throw new ConfigError(`hot_keys.threshold must be a number in (0, 1], got ${String(threshold)}`);
  }
  return {
    windowMs: integer(options?.windowMs, 1000, 'hot_keys.window', 10),
    threshold,
    minCount: integer(options?.minCount, 50, 'hot_keys.min_count', 1),
    capacity: integer(options?.capacity, 256, 'hot_keys.capacity', 1),
    coolWindows: integer(options?.coolWindows, 3, 'hot_keys.cool_windows', 1),
  };
}

function integer(value: unknown, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolean(value: unknown, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
