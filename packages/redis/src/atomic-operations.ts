import {
  type AdapterCallOptions,
  type AtomicOperations,
  ConfigError,
  type RingcacheError,
} from '@ringcache/core';
import type { Cluster, Redis } from 'ioredis';
import { toBuffer } from './clients.js';

/** What the atomic operations need from the adapter. */
export interface AtomicAccess {
  readonly client: Redis | Cluster;
  /** The adapter's key prefix. */
  readonly prefix: string;
  /** Why a call for `key` must fail now without being sent, or undefined. */
  refuse(key: string, write: boolean, options: AdapterCallOptions | undefined): RingcacheError | undefined;
  /** Turns an ioredis failure into the typed error. */
  failure(error: unknown, key: string): RingcacheError;
}

// One round trip, atomic on the server: the TTL is set only when this INCRBY created the key.
const INCREMENT = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

// PERSIST answers 0 both for a missing key and for one without a TTL: tell them apart.
const PERSIST_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1`;

// Compare-and-delete in one server step: the lease release that cannot delete a successor's lease.
const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Redis' own atomic commands: `add` is `SET NX PX`, `increment` INCRBY (plus PEXPIRE on
 * creation, in one Lua call), `touch` PEXPIRE (PERSIST for ttl 0), `ttl` PTTL, `deleteIfEquals` a
 * GET-compare-DEL Lua script (EVAL through ioredis, which sends it to the key's node). Counters are
 * signed 64-bit decimal text, so a decrement below 0 goes negative (memcached stops at 0).
 */
export function atomicOperations(access: AtomicAccess): AtomicOperations {
  const { client, prefix } = access;
  const run = <T>(
    key: string,
    write: boolean,
    options: AdapterCallOptions | undefined,
    send: () => Promise<T>,
  ) => {
    const refused = access.refuse(key, write, options);
    if (refused !== undefined) return Promise.reject(refused);
    return send().catch((error: unknown) => {
      throw access.failure(error, key);
    });
  };

  return {
    add: (key, value, ttl, options) =>
      run(key, true, options, async () => {
        const bytes = toBuffer(value);
        const reply =
          ttl > 0
            ? await client.set(prefix + key, bytes, 'PX', Math.ceil(ttl), 'NX')
            : await client.set(prefix + key, bytes, 'NX');
        return reply === 'OK';
      }),

    increment: (key, delta, ttl, options) => {
      if (!Number.isSafeInteger(delta)) {
        return Promise.reject(
          new ConfigError(`increment takes a safe integer, got ${String(delta)}`, { key }),
        );
      }
      return run(key, true, options, async () =>
        Number(await client.eval(INCREMENT, 1, prefix + key, delta, Math.ceil(ttl))),
      );
    },

    touch: (key, ttl, options) =>
      run(key, true, options, async () => {
        const changed =
          ttl > 0
            ? await client.pexpire(prefix + key, Math.ceil(ttl))
            : await client.eval(PERSIST_IF_EXISTS, 1, prefix + key);
        return Number(changed) === 1;
      }),

    ttl: (key, options) =>
      run(key, false, options, async () => {
        const remaining = await client.pttl(prefix + key);
        if (remaining === -2) return undefined; // no such key
        return remaining === -1 ? 0 : remaining; // -1: no expiry
      }),

    deleteIfEquals: (key, value, options) =>
      run(
        key,
        true,
        options,
        async () => Number(await client.eval(DELETE_IF_EQUALS, 1, prefix + key, toBuffer(value))) === 1,
      ),
  };
}
