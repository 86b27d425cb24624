export declare const HOST: string;
export declare const redisCluster: { readonly ports: number[]; readonly nodes: string[] };
export declare const memcached: { readonly ports: number[]; readonly nodes: string[] };
export declare const hazelcast: {
  readonly clusterName: string;
  readonly ports: number[];
  readonly members: string[];
};
/** True under CI (`CI=true` or `CI=1`): a test missing what it needs must fail, not skip. */
export declare const isCi: boolean;
export declare function isListening(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export declare function requireEngine(name: string, addresses: string[]): Promise<boolean>;

/** Signals understood by `kill`; SIGSTOP/SIGCONT/SIGHUP/SIGUSR1/SIGUSR2/SIGTSTP are sent without waiting. */
export type EngineSignal = NodeJS.Signals;

export interface DisposableMemcachedOptions {
  /** Memory limit per node (`-m`). @default 64 */
  memoryMb?: number;
  /** Extra memcached flags, e.g. `['-I', '2m']`. @default [] */
  extraArgs?: string[];
  /** First port tried; the block moves up by 10 until one is free. @default 21300 */
  basePort?: number;
}

export interface DisposableMemcached {
  /** `'127.0.0.1:port'` of each node, in index order. */
  readonly nodes: string[];
  readonly ports: number[];
  /**
   * Signals node `index` (default SIGKILL) and, for a terminating signal, resolves once it is dead
   * (SIGTERM escalates to SIGKILL after 10 s). SIGSTOP/SIGCONT pause/resume it and return at once.
   */
  kill(index: number, signal?: EngineSignal): Promise<void>;
  /** Stops node `index` if still alive, starts it again on the same port (empty), waits until it answers. */
  restart(index: number): Promise<void>;
  /** Kills every node by PID and removes the temporary folder. Idempotent. */
  stop(): Promise<void>;
}

export interface DisposableRedisClusterOptions {
  /** @default 3 (the minimum) */
  masters?: number;
  /** Replicas per master. @default 1 */
  replicas?: number;
  /** `cluster-node-timeout`: how long before a silent master is failed over. @default 3000 */
  nodeTimeoutMs?: number;
  /** First port tried; each node also uses port + 10000 for the cluster bus. @default 7100 */
  basePort?: number;
}

export interface DisposableRedisCluster {
  /** `'127.0.0.1:port'` of every node (masters and replicas). */
  readonly nodes: string[];
  readonly ports: number[];
  /** Signals the node on `port` (default SIGKILL); see DisposableMemcached.kill. */
  kill(port: number, signal?: EngineSignal): Promise<void>;
  /** Starts the node on `port` again with its nodes.conf, so it rejoins; resolves on cluster_state:ok. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DisposableHazelcastOptions {
  /** @default a unique `ringcache-disposable-<port>-<pid>` */
  clusterName?: string;
  /** @default 15800 */
  basePort?: number;
  /** JVM heap per member. @default 256 */
  heapMb?: number;
  /** Extra Hazelcast properties, e.g. `{ 'hazelcast.shutdownhook.policy': 'GRACEFUL' }`. */
  properties?: Record<string, string>;
}

export interface DisposableHazelcast {
  /** `'127.0.0.1:port'` of each member, in index order. */
  readonly members: string[];
  readonly ports: number[];
  readonly clusterName: string;
  /** Signals member `index` (default SIGKILL); see DisposableMemcached.kill. */
  kill(index: number, signal?: EngineSignal): Promise<void>;
  /** Starts member `index` again; resolves once every running member sees it. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `count` memcached nodes of your own. Call `stop()` in `afterAll`. @default count 3 */
export declare function disposableMemcached(
  count?: number,
  options?: DisposableMemcachedOptions,
): Promise<DisposableMemcached>;
/** Starts a Redis Cluster of your own and waits for cluster_state:ok on every node. */
export declare function disposableRedisCluster(
  options?: DisposableRedisClusterOptions,
): Promise<DisposableRedisCluster>;
/** Starts `count` Hazelcast members of your own and waits until they form one cluster. @default count 2 */
export declare function disposableHazelcast(
  count?: number,
  options?: DisposableHazelcastOptions,
): Promise<DisposableHazelcast>;
/** Path of the Hazelcast member jar, fetched with Maven into a cache folder when missing. */
export declare function ensureHazelcastJar(version?: string): Promise<string>;

/** A self-signed certificate for IP 127.0.0.1, in a temporary directory servers can read. */
export interface TestCertificate {
  readonly directory: string;
  /** Paths of the PEM certificate and its private key. */
  readonly cert: string;
  readonly key: string;
  /** The certificate's PEM text, to trust it as a CA (`tls: { ca }`). */
  readonly ca: string;
  /** Deletes the directory. */
  remove(): void;
}
/** Makes a certificate with openssl (valid one day); `label` names the temporary directory. */
export declare function testCertificate(label?: string): TestCertificate;
/** A TCP port nothing listens on at 127.0.0.1 right now. */
export declare function freePort(): Promise<number>;
