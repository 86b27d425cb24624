import { groupBy, type KeyGroup, RingcacheError } from '@ringcache/core';
import type { Reply, Request, StorageCommand, ValueItem } from '@ringcache/memcached/protocol';
import type { BackendPool } from './backend-pool.js';
import { failoverExptime } from './failover-exptime.js';
import type { HotKeyDetector } from './hot-key-detector.js';
import type { ResolvedProxyOptions } from './options.js';

/** What a request is answered with: a reply now, one later, or nothing (`noreply`). */
export type Outcome = Reply | undefined | Promise<Reply | undefined>;

type Retrieval = Extract<Request, { command: 'get' | 'gets' | 'gat' | 'gats' }>;
type Storage = Extract<Request, { command: StorageCommand }>;
type SingleKey = Extract<Request, { command: 'delete' | 'incr' | 'decr' | 'touch' }>;
type ErrorReply = Extract<Reply, { type: 'error' }>;

/** memcached answers at most this many keys per `get` line here, as the adapter does; larger groups are split. */
const MAX_KEYS_PER_GET = 256;
/** memcached closes a connection whose non-`get` line passes 2048 bytes: `gat` lines stay below. */
const MAX_GAT_LINE_BYTES = 1900;
const NO_VALUES: Reply = Object.freeze({ type: 'values', items: [] });
const FLUSH_DISABLED: Reply = Object.freeze({
  type: 'error',
  kind: 'SERVER_ERROR',
  message: 'flush_all is disabled on this proxy (allow_flush)',
});

/** Proxy-wide command counters, for `stats`. */
export class CommandCounters {
  cmdGet = 0;
  getHits = 0;
  getMisses = 0;
  cmdSet = 0;
  cmdTouch = 0;
  cmdDelete = 0;
  cmdIncr = 0;
  cmdDecr = 0;
  cmdFlush = 0;
  /** Requests refused by the proxy's parser (bad lines, sizes). */
  clientErrors = 0;
  /** Requests answered with the proxy's own SERVER_ERROR (a server failed, timed out, was full). */
  serverErrors = 0;
}

/**
 * Turns each parsed request into backend requests and their replies into the client's reply.
 * Keys route through the core Router; a many-key get is split per server (core `groupBy`) and
 * put back in the client's order. CAS uniques pass through untouched: a key always routes to
 * one server, the one that issued its unique. `noreply` is not forwarded: the proxy asks for
 * the reply and drops it, so an error reply can never put a server connection out of step.
 */
export class Dispatcher {
  private readonly failoverSeconds: number;

  constructor(
    private readonly pool: BackendPool,
    private readonly options: ResolvedProxyOptions,
    private readonly counters: CommandCounters,
    private readonly hotKeys: HotKeyDetector | undefined,
    private readonly localStats: (request: Extract<Request, { command: 'stats' }>) => Reply,
  ) {
    this.failoverSeconds = Math.ceil(options.failoverTtl / 1000);
  }

  handle(request: Request): Outcome {
    switch (request.command) {
      case 'get':
      case 'gets':
      case 'gat':
      case 'gats':
        return this.retrieve(request);
      case 'set':
      case 'add':
      case 'replace':
      case 'append':
      case 'prepend':
      case 'cas':
        this.counters.cmdSet++;
        return this.single(request);
      case 'delete':
        this.counters.cmdDelete++;
        return this.single(request);
      case 'incr':
        this.counters.cmdIncr++;
        return this.single(request);
      case 'decr':
        this.counters.cmdDecr++;
        return this.single(request);
      case 'touch':
        this.counters.cmdTouch++;
        return this.single(request);
      case 'flush_all':
        this.counters.cmdFlush++;
        return this.flushAll(request);
      case 'version':
        return this.version();
      case 'verbosity':
        return request.noreply ? undefined : { type: 'status', status: 'OK' };
      case 'stats':
        return this.localStats(request);
      case 'quit':
        return undefined;
    }
  }

  private retrieve(request: Retrieval): Outcome {
    const keys = request.keys;
    this.counters.cmdGet += keys.length;
    if (this.hotKeys !== undefined) for (const key of keys) this.hotKeys.record(key);
    if (keys.length === 1) {
      let node: string;
      try {
        node = this.pool.route(keys[0]!);
      } catch (error) {
        return this.readFailure(error);
      }
      return this.pool.send(node, request).then(
        (reply) => this.readReply(node, reply, 1),
        (error: unknown) => this.readFailure(error),
      );
    }
    let groups: KeyGroup<string>[];
    try {
      groups = groupBy(keys, (key) => this.pool.route(key));
    } catch (error) {
      return this.readFailure(error);
    }
    return this.retrieveGroups(request, groups);
  }

  private async retrieveGroups(request: Retrieval, groups: KeyGroup<string>[]): Promise<Reply> {
    const results = await Promise.all(
      groups.map((group) => this.fetchGroup(request, group.group, group.keys)),
    );
    const found = new Map<string, ValueItem>();
    for (const result of results) {
      if (result instanceof Map) {
        for (const [key, item] of result) found.set(key, item);
      } else if (result.kind !== 'miss') {
        return result.reply;
      }
    }
    // The client's order, duplicates included (memcached answers `get a a` with two values).
    const items: ValueItem[] = [];
    for (const key of request.keys) {
      const item = found.get(key);
      if (item !== undefined) items.push(item);
    }
    return { type: 'values', items };
  }

  /** One server's share of a many-key read: its hits by key, or the reply the whole request gets. */
  private async fetchGroup(
    request: Retrieval,
    node: string,
    keys: string[],
  ): Promise<Map<string, ValueItem> | { kind: 'miss' | 'error'; reply: Reply }> {
    const chunks = chunkKeys(keys, request.command === 'gat' || request.command === 'gats');
    let replies: (Reply | undefined)[];
    try {
      replies = await Promise.all(
        chunks.map((chunk) => this.pool.send(node, { ...request, keys: chunk } as Retrieval, chunk.length)),
      );
    } catch (error) {
      const reply = this.readFailure(error);
      return { kind: reply.type === 'values' ? 'miss' : 'error', reply };
    }
    const found = new Map<string, ValueItem>();
    let bytes = 0;
    for (const reply of replies) {
      if (reply?.type !== 'values') return { kind: 'error', reply: reply ?? unexpected() };
      for (const item of reply.items) {
        found.set(item.key, item);
        bytes += item.value.length;
      }
    }
    this.countHits(node, keys.length, found.size, bytes);
    return found;
  }

  private readReply(node: string, reply: Reply | undefined, keys: number): Reply {
    if (reply?.type !== 'values') return reply ?? unexpected();
    let bytes = 0;
    for (const item of reply.items) bytes += item.value.length;
    this.countHits(node, keys, reply.items.length, bytes);
    return reply;
  }

  private countHits(node: string, keys: number, hits: number, bytes: number): void {
    this.pool.countReads(node, keys, hits, bytes);
    this.counters.getHits += hits;
    this.counters.getMisses += keys - hits;
  }

  /** A read whose server failed: a miss (`readErrors: 'miss'`) or SERVER_ERROR. */
  private readFailure(error: unknown): Reply {
    if (this.options.readErrors === 'miss') return NO_VALUES;
    return this.failure(error);
  }

  /** Storage, delete, incr/decr, touch: one key, one server, its reply passed through. */
  private single(request: Storage | SingleKey): Outcome {
    let node: string;
    try {
      node = this.pool.route(request.key);
    } catch (error) {
      return request.noreply ? this.silentFailure() : this.failure(error);
    }
    const sent = this.pool.isFailover(request.key, node) ? this.failoverCopy(request) : request;
    if (request.noreply) {
      return this.pool.send(node, { ...sent, noreply: undefined }).then(
        () => undefined,
        () => this.silentFailure(),
      );
    }
    return this.pool.send(node, sent).then(
      (reply) => reply ?? unexpected(),
      (error: unknown) => this.failure(error),
    );
  }

  /**
   * The reply to a `set` the proxy refused as too large, sent once the key's old value is
   * deleted at its server (settled either way): memcached itself unlinks the old item before
   * answering, so a client that reads the key next must not see the value it meant to replace.
   */
  refuseTooLarge(key: string, reply: Reply | undefined): Outcome {
    let node: string;
    try {
      node = this.pool.route(key);
    } catch {
      return reply;
    }
    const settled = () => reply;
    return this.pool.send(node, { command: 'delete', key }).then(settled, settled);
  }

  /** A write that fails over keeps its TTL only up to `failoverTtl`. */
  private failoverCopy(request: Storage | SingleKey): Storage | SingleKey {
    if (!('exptime' in request)) return request;
    return { ...request, exptime: failoverExptime(request.exptime, this.failoverSeconds) };
  }

  private async flushAll(request: Extract<Request, { command: 'flush_all' }>): Promise<Reply | undefined> {
    if (!this.options.allowFlush) {
      this.counters.serverErrors++;
      return request.noreply ? undefined : FLUSH_DISABLED;
    }
    const nodes = this.pool.available();
    if (nodes.length === 0) return request.noreply ? undefined : this.failure(undefined);
    const sent = { command: 'flush_all', delay: request.delay } as const;
    try {
      const replies = await Promise.all(nodes.map((node) => this.pool.send(node, sent)));
      const refused = replies.find((reply) => reply?.type !== 'status' || reply.status !== 'OK');
      if (request.noreply) return undefined;
      return refused === undefined ? { type: 'status', status: 'OK' } : (refused ?? unexpected());
    } catch (error) {
      return request.noreply ? undefined : this.failure(error);
    }
  }

  /** `version` is a server's own answer, so clients parsing it see a real memcached version. */
  private version(): Outcome {
    const node = this.pool.firstAvailable();
    if (node === undefined) return this.failure(undefined);
    return this.pool.send(node, { command: 'version' }, 0).then(
      (reply) => reply ?? unexpected(),
      (error: unknown) => this.failure(error),
    );
  }

  private silentFailure(): undefined {
    this.counters.serverErrors++;
    return undefined;
  }

  private failure(error: unknown): ErrorReply {
    this.counters.serverErrors++;
    return { type: 'error', kind: 'SERVER_ERROR', message: failureMessage(error) };
  }
}

/** One line, no internals beyond the server's address: what the client is told. */
export function failureMessage(error: unknown): string {
  if (!RingcacheError.isInstance(error)) return 'no server available';
  const server = error.node === undefined ? 'server' : `server ${error.node}`;
  switch (error.code) {
    case 'E_TIMEOUT':
      return `${server} timed out`;
    case 'E_NODE_UNAVAILABLE':
      return error.node === undefined || error.message.includes('every node')
        ? 'no server available'
        : `${server} unavailable`;
    case 'E_OVERLOADED':
      return `${server} overloaded`;
    case 'E_CLOSED':
      return 'proxy shutting down';
    default:
      return `${server} failed`;
  }
}

function unexpected(): ErrorReply {
  return { type: 'error', kind: 'SERVER_ERROR', message: 'unexpected reply from server' };
}

/** Splits a server's keys into requests memcached accepts (key count; line length for gat). */
export function chunkKeys(keys: string[], gat: boolean): string[][] {
  if (keys.length <= MAX_KEYS_PER_GET && !gat) return [keys];
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const key of keys) {
    const size = Buffer.byteLength(key) + 1;
    if (
      chunk.length > 0 &&
      (chunk.length >= MAX_KEYS_PER_GET || (gat && bytes + size > MAX_GAT_LINE_BYTES))
    ) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(key);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
