import { isIP, Socket } from 'node:net';
import { type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';
import {
  AbortedError,
  ClosedError,
  ConfigError,
  NodeUnavailableError,
  OverloadedError,
  TimeoutError,
} from '@ringcache/core';
import { Fifo } from './fifo.js';
import { ReplyParser } from './reply-parser.js';
import { encodeRequest } from './request-encoder.js';
import { ProtocolError, type Reply, type ReplyShape, type Request, replyShape } from './types.js';
import { WriteBatch } from './write-batch.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Names the server in errors (the node id). @default `host:port` */
  name?: string;
  /** Milliseconds a request may wait for its reply before it rejects with `E_TIMEOUT`. @default 1000 */
  timeout?: number;
  /** Milliseconds a TCP (and TLS) handshake may take. @default `timeout` */
  connectTimeout?: number;
  /** Requests queued or in flight at once; more reject with `E_OVERLOADED`. @default 10000 */
  maxPending?: number;
  /**
   * Delay before reconnecting after a failed connection attempt, doubled on each failure up to
   * `max` (ms). The first reconnect after losing an established connection is immediate.
   * @default { min: 50, max: 2000 }
   */
  backoff?: { min?: number; max?: number };
  /** Connect with TLS (memcached ≥ 1.5.13 built with TLS). */
  tls?: boolean | TlsConnectionOptions;
  /** Told about every connection failure once (not once per request it fails). */
  onFailure?: (error: NodeUnavailableError) => void;
}

export interface RequestOptions {
  readonly signal?: AbortSignal | undefined;
  /** Try to connect even while backing off (health probes). */
  readonly force?: boolean;
}

/** How a failure reflects on the server: `hard` it refused or dropped us, `soft` it was slow. */
export type ConnectionFailureKind = 'hard' | 'soft';

const failureKinds = new WeakMap<object, ConnectionFailureKind>();

/** The kind of a connection's error, or `undefined` for errors that are not the server's fault. */
export function connectionFailureKind(error: unknown): ConnectionFailureKind | undefined {
  return typeof error === 'object' && error !== null ? failureKinds.get(error) : undefined;
}

interface Pending {
  readonly request: Request;
  readonly shape: ReplyShape | undefined;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** Resolved, rejected, timed out or aborted: a late reply is read and dropped. */
  settled: boolean;
  resolve(reply: Reply | undefined): void;
  reject(error: unknown): void;
}

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/**
 * One pipelined connection to one memcached server. Requests are written in order, batched per
 * event-loop turn into one socket write, and matched to replies through a FIFO (the server
 * answers a connection's requests in order). A request that times out stays in the FIFO,
 * marked settled, so the stream stays in step; the socket is not torn down, so writes already
 * sent are applied before anything sent after them (a re-admission flush included).
 *
 * Failures never surface as an `'error'` event: every socket error is handled here and turned
 * into a rejected request (`E_NODE_UNAVAILABLE`, one shared error per connection failure).
 */
export class MemcachedConnection {
  readonly name: string;
  private readonly timeout: number;
  private readonly connectTimeout: number;
  private readonly maxPending: number;
  private readonly backoffMin: number;
  private readonly backoffMax: number;
  private state: State = 'idle';
  private socket: Socket | undefined;
  private readonly outbox = new Fifo<Pending>();
  private readonly inflight = new Fifo<Pending>();
  /** Every unsettled request in creation order = deadline order (one timeout for all). */
  private readonly deadlines = new Fifo<Pending>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly batch = new WriteBatch();
  private flushScheduled = false;
  private blocked = false;
  private backoffDelay: number;
  private retryAt = 0;
  private failure: NodeUnavailableError | undefined;
  private readonly parser: ReplyParser;

  constructor(private readonly options: ConnectionOptions) {
    this.name = options.name ?? `${options.host}:${options.port}`;
    this.timeout = positive(options.timeout ?? 1000, 'timeout');
    this.connectTimeout = positive(options.connectTimeout ?? this.timeout, 'connectTimeout');
    this.maxPending = positive(options.maxPending ?? 10_000, 'maxPending');
    this.backoffMin = positive(options.backoff?.min ?? 50, 'backoff.min');
    this.backoffMax = Math.max(this.backoffMin, positive(options.backoff?.max ?? 2000, 'backoff.max'));
    this.backoffDelay = this.backoffMin;
    this.parser = new ReplyParser(
      () => this.inflight.peek()?.shape,
      (reply) => this.onReply(reply),
    );
  }

  /** `'down'` while backing off after a failure; `'up'` otherwise (connected, or not yet tried). */
  get status(): 'up' | 'down' | 'closed' {
    return this.state === 'closed' ? 'closed' : this.state === 'backoff' ? 'down' : 'up';
  }

  /** Requests queued or awaiting a reply (timed-out ones whose reply is still due included). */
  get pending(): number {
    return this.outbox.length + this.inflight.length;
  }

  /**
   * Sends one request. Resolves with the server's reply, error replies included (`ERROR`,
   * `CLIENT_ERROR`, `SERVER_ERROR` are data, not exceptions), or `undefined` for `noreply`
   * requests and `quit` once written.
   * @throws E_NODE_UNAVAILABLE (connection refused or lost), E_TIMEOUT, E_OVERLOADED, E_ABORTED, E_CLOSED
   */
  request(request: Request, options?: RequestOptions): Promise<Reply | undefined> {
    if (this.state === 'closed')
      return Promise.reject(new ClosedError(`connection to ${this.name} is closed`));
    if (options?.signal?.aborted) return Promise.reject(new AbortedError(undefined, { node: this.name }));
    if (this.state === 'backoff') {
      if (Date.now() < this.retryAt && options?.force !== true) return Promise.reject(this.failure);
      this.state = 'idle';
    }
    if (this.outbox.length + this.inflight.length >= this.maxPending) {
      return Promise.reject(
        new OverloadedError(`${this.maxPending} requests already pending on ${this.name}`, {
          node: this.name,
        }),
      );
    }
    return new Promise<Reply | undefined>((resolve, reject) => {
      const pending: Pending = {
        request,
        shape: replyShape(request),
        deadline: Date.now() + this.timeout,
        signal: options?.signal,
        settled: false,
        resolve,
        reject,
      };
      this.outbox.push(pending);
      this.deadlines.push(pending);
      if (this.timer === undefined) this.armTimer(pending.deadline);
      if (this.state === 'idle') this.connect();
      else if (this.state === 'ready') this.scheduleFlush();
    });
  }

  /** Closes the socket; pending requests reject with `E_CLOSED`. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.rejectAll(new ClosedError(`connection to ${this.name} is closed`));
  }

  private connect(): void {
    this.state = 'connecting';
    const { host, port, tls } = this.options;
    const socket: Socket = tls
      ? // SNI takes host names only (RFC 6066); an IP address is checked against the certificate's IP SANs.
        tlsConnect({
          host,
          port,
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...(tls === true ? {} : tls),
        })
      : new Socket();
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(this.connectTimeout);
    const connected = tls ? 'secureConnect' : 'connect';
    socket.once(connected, () => {
      if (this.socket !== socket) return;
      socket.setTimeout(0);
      this.state = 'ready';
      this.backoffDelay = this.backoffMin;
      this.failure = undefined;
      this.flush();
    });
    socket.on('timeout', () => {
      // Only armed while connecting: requests have their own deadlines once connected.
      this.onSocketFailure(socket, new Error(`connect timed out after ${this.connectTimeout} ms`), 'soft');
    });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    socket.on('error', (error) => this.onSocketFailure(socket, error, 'hard'));
    socket.on('close', () =>
      this.onSocketFailure(socket, new Error('connection closed by the server'), 'hard'),
    );
    if (!tls) socket.connect(port, host);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    try {
      this.parser.feed(chunk);
    } catch (error) {
      // Out of step with the server: nothing read after this can be matched to a request.
      const message = error instanceof ProtocolError ? error.message : String(error);
      this.onSocketFailure(socket, new ProtocolError(`protocol error from ${this.name}: ${message}`), 'hard');
    }
  }

  private onReply(reply: Reply): void {
    const pending = this.inflight.shift();
    if (pending === undefined || pending.settled) return;
    pending.settled = true;
    // Replies come in request order, so the settled request is usually the oldest deadline:
    // dropping it now keeps settled requests (and their values) from waiting for the timer.
    while (this.deadlines.peek()?.settled) this.deadlines.shift();
    pending.resolve(reply);
  }

  private onSocketFailure(socket: Socket, cause: Error, kind: ConnectionFailureKind): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    const wasReady = this.state === 'ready';
    const error = new NodeUnavailableError(`memcached ${this.name}: ${cause.message}`, {
      node: this.name,
      cause,
    });
    failureKinds.set(error, kind);
    this.parser.reset();
    this.blocked = false;
    this.rejectAll(error);
    this.failure = error;
    if (wasReady) {
      // A dropped connection is retried at once: a restarted server is back without waiting,
      // and a dead one is found dead (refused) by the next request, not after a backoff.
      this.state = 'idle';
    } else {
      this.state = 'backoff';
      this.retryAt = Date.now() + this.backoffDelay;
      this.backoffDelay = Math.min(this.backoffDelay * 2, this.backoffMax);
    }
    this.options.onFailure?.(error);
  }

  private rejectAll(error: unknown): void {
    for (const queue of [this.inflight, this.outbox]) {
      for (const pending of queue.drain()) {
        if (pending.settled) continue;
        pending.settled = true;
        pending.reject(error);
      }
    }
    this.deadlines.drain();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // nextTick, not setImmediate: it runs once the microtasks of the current I/O callback (the
    // callers resumed by a batch of replies) have queued their next requests, so they share one
    // write, without waiting for the rest of the event-loop turn (measured: no fewer writes).
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Encodes every queued request into one batch and writes it, unless the socket pushes back. */
  private flush(): void {
    const socket = this.socket;
    if (this.state !== 'ready' || socket === undefined || this.blocked) return;
    while (this.outbox.length > 0) {
      const pending = this.outbox.shift()!;
      if (pending.settled) continue; // timed out before it was sent: never send it late
      if (pending.signal?.aborted) {
        pending.settled = true;
        pending.reject(new AbortedError(undefined, { node: this.name, cause: pending.signal.reason }));
        continue;
      }
      try {
        encodeRequest(pending.request, this.batch);
      } catch (error) {
        pending.settled = true;
        pending.reject(error);
        continue;
      }
      if (pending.shape === undefined) {
        pending.settled = true;
        pending.resolve(undefined);
      } else {
        this.inflight.push(pending);
      }
    }
    if (this.batch.empty) return;
    const ok = this.batch.flush((chunk) => socket.write(chunk));
    if (!ok) this.blocked = true;
  }

  private armTimer(at: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - Date.now()));
    this.timer.unref?.();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    for (let head = this.deadlines.peek(); head !== undefined; head = this.deadlines.peek()) {
      if (!head.settled && head.deadline > now) break;
      this.deadlines.shift();
      if (head.settled) continue;
      head.settled = true;
      const error = new TimeoutError(`memcached ${this.name} did not answer within ${this.timeout} ms`, {
        node: this.name,
      });
      failureKinds.set(error, 'soft');
      head.reject(error);
    }
    const next = this.deadlines.peek();
    if (next !== undefined) this.armTimer(next.deadline);
  }
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
