import { createServer, type Server, type Socket } from 'node:net';
import type { AdapterEvent } from '@ringcache/core';
import type { Reply, Request, Status } from '@ringcache/memcached/protocol';
import { BackendPool } from './backend-pool.js';
import { BinaryFrontend } from './binary/binary-frontend.js';
import { REQUEST_MAGIC } from './binary/binary-protocol.js';
import { ClientSession, type Frontend, type FrontendSink, type SessionHost } from './client-session.js';
import { CommandCounters, Dispatcher } from './dispatcher.js';
import { HotKeyDetector, type HotKeyEvent } from './hot-key-detector.js';
import type { ListenAddress } from './listen-address.js';
import { type ProxyOptions, type ResolvedProxyOptions, resolveProxyOptions } from './options.js';
import { PROXY_VERSION, type ProxyStats, statsReply } from './stats.js';
import { TextFrontend } from './text-frontend.js';

/** memcached's rule: a connection whose first byte is the binary request magic speaks binary. */
function frontendFor(firstByte: number, sink: FrontendSink): Frontend {
  return firstByte === REQUEST_MAGIC ? new BinaryFrontend(sink) : new TextFrontend(sink);
}

/**
 * What a running proxy reports: server ejections and re-admissions and connection failures (the
 * core Router's events), hot keys, and errors of the listening socket. Never an `'error'` event.
 */
export type ProxyEvent =
  | AdapterEvent
  | HotKeyEvent
  | { readonly type: 'server:error'; readonly error: unknown };

/** A running proxy for one pool. */
export interface RunningProxy {
  readonly name: string;
  /** Where it listens (the real port when `listen` asked for port 0). */
  readonly address: ListenAddress;
  stats(): ProxyStats;
  subscribe(listener: (event: ProxyEvent) => void): () => void;
  /**
   * Stops accepting clients, lets each finish its pending requests (at most `timeout` ms more),
   * then closes every connection. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts a memcached-protocol proxy in front of `options.servers` and resolves once it listens.
 * @throws ConfigError on invalid options (a non-loopback `listen` without `allowRemote` included)
 * @throws the listen error (EADDRINUSE, EACCES) when the address cannot be bound
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const server = new ProxyServer(resolveProxyOptions(options));
  await server.listen();
  return server;
}

class ProxyServer implements RunningProxy, SessionHost {
  readonly name: string;
  readonly counters = new CommandCounters();
  readonly dispatcher: Dispatcher;
  private readonly pool: BackendPool;
  private readonly hotKeys: HotKeyDetector | undefined;
  private readonly server: Server;
  private readonly sessions = new Set<ClientSession>();
  private readonly listeners = new Set<(event: ProxyEvent) => void>();
  private readonly started = performance.now();
  private totalConnections = 0;
  private rejectedConnections = 0;
  private bound: ListenAddress | undefined;
  private closing: Promise<void> | undefined;

  constructor(readonly options: ResolvedProxyOptions) {
    this.name = options.name;
    this.pool = new BackendPool(options, (event) => this.emit(event));
    this.hotKeys =
      options.hotKeys === undefined
        ? undefined
        : new HotKeyDetector(
            options.hotKeys,
            (key) => {
              try {
                return this.pool.route(key);
              } catch {
                return undefined;
              }
            },
            (event) => this.emit(event),
          );
    this.dispatcher = new Dispatcher(this.pool, options, this.counters, this.hotKeys, (request) =>
      this.statsCommand(request),
    );
    // allowHalfOpen: a client that sends its requests and then FIN still gets every reply.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) =>
      this.accept(socket),
    );
    this.server.on('error', (error) => this.emit({ type: 'server:error', error }));
  }

  get address(): ListenAddress {
    return this.bound ?? this.options.listen;
  }

  listen(): Promise<void> {
    const { host, port } = this.options.listen;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        this.close().finally(() => reject(error));
      };
      this.server.once('error', failed);
      this.server.listen({ host, port, backlog: this.options.backlog }, () => {
        this.server.off('error', failed);
        const address = this.server.address();
        this.bound =
          typeof address === 'object' && address !== null ? { host, port: address.port } : { host, port };
        if (this.options.preconnect) void this.pool.preconnect();
        resolve();
      });
    });
  }

  stats(): ProxyStats {
    const usage = process.cpuUsage();
    return {
      pool: this.name,
      version: PROXY_VERSION,
      pid: process.pid,
      uptime: (performance.now() - this.started) / 1000,
      rusage: { user: usage.user / 1e6, system: usage.system / 1e6 },
      distribution: this.options.distribution,
      hash: this.options.hash,
      connections: {
        current: this.sessions.size,
        total: this.totalConnections,
        rejected: this.rejectedConnections,
      },
      commands: { ...this.counters },
      servers: this.pool.stats(),
      hotKeys: this.hotKeys?.top(),
      hotKeysNow: this.hotKeys?.current(),
    };
  }

  subscribe(listener: (event: ProxyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  closed(session: ClientSession): void {
    this.sessions.delete(session);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    for (const session of this.sessions) session.stopReading();
    const deadline = Date.now() + this.options.timeout + 100;
    while (this.sessions.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    for (const session of this.sessions) session.destroy();
    await stopped;
    this.hotKeys?.close();
    this.pool.close();
    this.listeners.clear();
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    if (this.sessions.size >= this.options.clientConnections) {
      this.rejectedConnections++;
      socket.on('error', () => socket.destroy());
      socket.end('SERVER_ERROR too many connections\r\n');
      return;
    }
    this.totalConnections++;
    this.sessions.add(new ClientSession(socket, this, frontendFor));
  }

  private statsCommand(request: Extract<Request, { command: 'stats' }>): Reply {
    const section = request.arguments?.[0];
    if (section === 'reset' && request.arguments?.length === 1) {
      Object.assign(this.counters, new CommandCounters());
      this.pool.resetStats();
      this.totalConnections = 0;
      this.rejectedConnections = 0;
      // memcached answers `stats reset` with RESET, which the protocol module's Status type lacks;
      // encodeReply writes any status as its own line.
      return { type: 'status', status: 'RESET' as Status };
    }
    if ((request.arguments?.length ?? 0) > 1) return { type: 'error', kind: 'ERROR', message: '' };
    return statsReply(this.stats(), section) ?? { type: 'error', kind: 'ERROR', message: '' };
  }

  private emit(event: ProxyEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not break the proxy.
      }
    }
  }
}
