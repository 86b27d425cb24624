import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { PartialError, RingcacheError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { type Cache, createCache } from './cache.js';
import type { CacheOptions } from './options.js';

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

/**
 * The memory adapter, with every many-key call that touches `frozen`'s keys held until `thaw()`
 * (never, unless a test thaws it).
 */
function freezing(frozen: () => string | undefined): CacheAdapter & { thaw(): void } {
  const adapter = memoryAdapter({ nodes: 3 });
  const touches = (keys: readonly string[]) =>
    keys.some((key) => adapter.topology().locate(key) === frozen());
  let thaw = () => {};
  const thawed = new Promise<void>((resolve) => {
    thaw = resolve;
  });
  const held = <T>(call: () => Promise<T>) => thawed.then(call);
  return Object.assign(Object.create(adapter) as CacheAdapter, {
    getMany: (keys: readonly string[]) =>
      touches(keys) ? held(() => adapter.getMany(keys)) : adapter.getMany(keys),
    setMany: (entries: readonly { key: string }[]) =>
      touches(entries.map((entry) => entry.key))
        ? held(() => adapter.setMany(entries as never))
        : adapter.setMany(entries as never),
    deleteMany: (keys: readonly string[]) =>
      touches(keys) ? held(() => adapter.deleteMany(keys)) : adapter.deleteMany(keys),
    close: () => adapter.close(),
    thaw: () => thaw(),
  });
}

function make(adapter: CacheAdapter, options: Omit<CacheOptions, 'adapter'> = {}): Cache {
  const cache = createCache({ adapter, ...options });
  caches.push(cache);
  return cache;
}

/** `count` keys that `node` owns, and `count` keys of every other node. */
function keysOf(adapter: CacheAdapter, node: string, count: number) {
  const own: string[] = [];
  const others: string[] = [];
  for (let index = 0; own.length < count || others.length < count; index++) {
    const key = `key:${index}`;
    const list = adapter.topology().locate(key) === node ? own : others;
    if (list.length < count) list.push(key);
  }
  return { own, others };
}

const codeOf = (error: unknown) => (RingcacheError.isInstance(error) ? error.code : String(error));

describe('many-key calls, per node', () => {
  it('maxPending bounds a node for getMany: the calls beyond it are E_OVERLOADED, timeouts counted', async () => {
    let frozen: string | undefined;
    const adapter = freezing(() => frozen);
    const node = adapter.topology().nodes[0]!.id;
    const cache = make(adapter, { maxPending: 2, timeout: 300, onBackendError: 'throw' });
    const { own } = keysOf(adapter, node, 3);
    frozen = node;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getMany(own)));
    const codes = outcomes.map((outcome) => (outcome.status === 'rejected' ? codeOf(outcome.reason) : 'ok'));
    expect(codes.sort()).toEqual(['E_OVERLOADED', 'E_OVERLOADED', 'E_OVERLOADED', 'E_TIMEOUT', 'E_TIMEOUT']);
    const stats = cache.stats().nodes.find((entry) => entry.id === node)!;
    expect(stats.timeouts).toBe(2);
    // The callers were answered, but the node still owes both calls: they keep their places, so
    // a node that stopped answering cannot be sent more than maxPending calls.
    expect(stats.pending).toBe(2);
    expect(await cache.getMany(own).catch(codeOf)).toBe('E_OVERLOADED');
    adapter.thaw();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cache.stats().nodes.find((entry) => entry.id === node)!.pending).toBe(0);
    frozen = undefined;
    expect(await cache.getMany(own)).toEqual([undefined, undefined, undefined]);
  });

  it('a hung node fails only its own keys of a getMany; the other nodes answer theirs', async () => {
    let frozen: string | undefined;
    const adapter = freezing(() => frozen);
    const node = adapter.topology().nodes[1]!.id;
    const cache = make(adapter, { timeout: 200, onBackendError: 'throw' });
    const { own, others } = keysOf(adapter, node, 4);
    const keys = [...own, ...others].sort();
    await cache.setMany(keys.map((key) => ({ key, value: `v:${key}` })));
    frozen = node;
    const error = await cache.getMany(keys).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(PartialError);
    const results = (error as PartialError).results;
    expect(results.map((outcome) => outcome.key)).toEqual(keys);
    for (const outcome of results) {
      if (own.includes(outcome.key)) {
        expect(outcome.ok).toBe(false);
        expect(codeOf((outcome as { error: unknown }).error)).toBe('E_TIMEOUT');
      } else expect(outcome).toMatchObject({ ok: true });
    }
    const stats = cache.stats();
    expect(stats.nodes.find((entry) => entry.id === node)!.timeouts).toBe(1);
    expect(stats.totals.hits).toBe(others.length);

    // With the default onBackendError 'miss', the healthy nodes' values still come back.
    const lenient = make(adapter, { timeout: 200 });
    const values = await lenient.getMany(keys);
    expect(values).toEqual(keys.map((key) => (own.includes(key) ? undefined : `v:${key}`)));
  });

  it('setMany and deleteMany count sets, deletes, ops and bytes on the node of each key', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const cache = make(adapter);
    const keys = Array.from({ length: 30 }, (_, index) => `item:${index}`);
    await cache.setMany(keys.map((key, index) => ({ key, value: 'x'.repeat(index) })));
    expect(await cache.getMany(keys)).toEqual(keys.map((_, index) => 'x'.repeat(index)));
    await cache.deleteMany(keys.slice(0, 10));
    const expected = new Map<string, { sets: number; deletes: number; bytes: number }>();
    keys.forEach((key, index) => {
      const node = adapter.topology().locate(key);
      const entry = expected.get(node) ?? { sets: 0, deletes: 0, bytes: 0 };
      entry.sets++;
      if (index < 10) entry.deletes++;
      entry.bytes += index + 2; // JSON: the string and its two quotes
      expected.set(node, entry);
    });
    expect(expected.size).toBe(3);
    for (const node of cache.stats().nodes) {
      const want = expected.get(node.id)!;
      expect(node).toMatchObject({
        sets: want.sets,
        deletes: want.deletes,
        hits: want.sets,
        ops: 2 * want.sets + want.deletes,
        bytesWritten: want.bytes,
        bytesRead: want.bytes,
        pending: 0,
      });
    }
  });

  it('a closed cache still rejects a many-key call with E_CLOSED, not E_PARTIAL', async () => {
    const cache = createCache({ adapter: memoryAdapter({ nodes: 3 }), onBackendError: 'throw' });
    await cache.close();
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`);
    await expect(cache.getMany(keys)).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});
