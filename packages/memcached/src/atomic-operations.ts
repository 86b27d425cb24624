import { type AdapterCallOptions, type AtomicOperations, RingcacheError } from '@ringcache/core';
import type { Reply, Request } from './protocol/types.js';
import { unexpectedReply } from './replies.js';

/** What the atomic operations need from the adapter: routing, health, connections, expiry. */
export interface PoolAccess {
  /** The node a key's call goes to now. @throws E_CLOSED, E_NODE_UNAVAILABLE */
  route(key: string): string;
  /** Sends one request to a node, recording the outcome in its health. */
  send(node: string, request: Request, options?: AdapterCallOptions): Promise<Reply | undefined>;
  /** The exptime of a write of `key` to `node` (failover writes get the short failover TTL). */
  exptime(key: string, node: string, ttl: number): number;
  readonly flags: number;
  /** @throws ValueTooLargeError above the adapter's limit, before any I/O */
  checkSize(key: string, node: string, value: Uint8Array): void;
}

const encoder = new TextEncoder();
/** How often `increment` retries when another client creates the counter at the same time. */
const CREATE_RACE_RETRIES = 3;

/**
 * memcached's own atomic commands: `add`, `incr`/`decr`, `touch`, and `gets` + `cas` for
 * `deleteIfEquals`. memcached counters are
 * unsigned 64-bit decimal text, so a decrement stops at 0 (memcached's rule), and a counter
 * decremented before it exists is created at 0. The remaining TTL (`ttl`) is not offered: the
 * text protocol cannot read it.
 */
export function atomicOperations(pool: PoolAccess): AtomicOperations {
  const send = pool.send;

  const add = async (key: string, value: Uint8Array, ttl: number, options?: AdapterCallOptions) => {
    const node = pool.route(key);
    pool.checkSize(key, node, value);
    const exptime = pool.exptime(key, node, ttl);
    const reply = await send(node, { command: 'add', key, flags: pool.flags, exptime, value }, options);
    if (reply?.type === 'status' && reply.status === 'STORED') return true;
    if (reply?.type === 'status' && reply.status === 'NOT_STORED') return false;
    throw unexpectedReply('add', reply, node, key);
  };

  const increment = async (key: string, delta: number, ttl: number, options?: AdapterCallOptions) => {
    if (!Number.isSafeInteger(delta)) {
      throw new RingcacheError('E_CONFIG', `increment takes a safe integer, got ${String(delta)}`, { key });
    }
    const node = pool.route(key);
    const exptime = pool.exptime(key, node, ttl);
    const command = delta < 0 ? 'decr' : 'incr';
    const magnitude = BigInt(Math.abs(delta));
    for (let attempt = 0; attempt <= CREATE_RACE_RETRIES; attempt++) {
      const reply = await send(node, { command, key, delta: magnitude }, options);
      if (reply?.type === 'number') return Number(reply.value);
      if (reply?.type === 'error' && reply.kind === 'CLIENT_ERROR') {
        const message = `${key} does not hold an unsigned integer (${reply.message})`;
        throw new RingcacheError('E_BACKEND', message, { key, node });
      }
      if (reply?.type !== 'status' || reply.status !== 'NOT_FOUND')
        throw unexpectedReply(command, reply, node, key);
      // Absent: create it with the TTL, unless another client just did (then count again).
      const initial = Math.max(0, delta);
      const value = encoder.encode(String(initial));
      const created = await send(node, { command: 'add', key, flags: pool.flags, exptime, value }, options);
      if (created?.type === 'status' && created.status === 'STORED') return initial;
      if (created?.type !== 'status' || created.status !== 'NOT_STORED')
        throw unexpectedReply('add', created, node, key);
    }
    throw new RingcacheError('E_BACKEND', `${key} kept appearing and disappearing during increment`, {
      key,
      node,
    });
  };

  const touch = async (key: string, ttl: number, options?: AdapterCallOptions) => {
    const node = pool.route(key);
    const exptime = pool.exptime(key, node, ttl);
    const reply = await send(node, { command: 'touch', key, exptime }, options);
    if (reply?.type === 'status' && reply.status === 'TOUCHED') return true;
    if (reply?.type === 'status' && reply.status === 'NOT_FOUND') return false;
    throw unexpectedReply('touch', reply, node, key);
  };

  // The text protocol has no conditional delete. A `cas` carrying the unique from `gets` and a
  // negative exptime stores an item that is already expired, and only if nothing wrote the key
  // since the `gets`: a compare-and-delete in effect (the dead item's memory is reclaimed lazily).
  const deleteIfEquals = async (key: string, value: Uint8Array, options?: AdapterCallOptions) => {
    const node = pool.route(key);
    const found = await send(node, { command: 'gets', keys: [key] }, options);
    if (found?.type !== 'values') throw unexpectedReply('gets', found, node, key);
    const item = found.items[0];
    if (item?.cas === undefined || !Buffer.from(item.value).equals(value)) return false;
    const request = {
      command: 'cas',
      key,
      flags: item.flags,
      exptime: -1,
      value: new Uint8Array(0),
      cas: item.cas,
    } as const;
    const reply = await send(node, request, options);
    if (reply?.type === 'status' && reply.status === 'STORED') return true;
    if (reply?.type === 'status' && (reply.status === 'EXISTS' || reply.status === 'NOT_FOUND')) return false;
    throw unexpectedReply('cas', reply, node, key);
  };

  return { add, increment, touch, deleteIfEquals };
}
