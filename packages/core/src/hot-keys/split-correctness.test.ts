import { afterEach, describe, expect, it } from 'vitest';
import type { CacheAdapter } from '../adapter.js';
import { type Cache, createCache } from '../cache/cache.js';
import type { CacheOptions } from '../cache/options.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { memoryBus } from '../tiers/memory-bus.js';
import type { HotKeyEntry, ShardError } from './hot-keys.js';
import { decodeMarker, markerKey } from './split-marker.js';

// Several caches over one memory adapter stand for several processes over one engine: each has
// its own hot-key state, and only the bus (when given) connects them.

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A view of the adapter that other caches can share without closing it. */
function shared(adapter: CacheAdapter, overrides: Partial<CacheAdapter> = {}): CacheAdapter {
  return Object.assign(Object.create(adapter) as CacheAdapter, { close: async () => {} }, overrides);
}

function make(options: Omit<CacheOptions, 'adapter'>, adapter: CacheAdapter): Cache {
  const cache = createCache({ adapter, ...options });
  caches.push(cache);
  return cache;
}

/**
 * Holds the answers of `get(key)` (the read happens at once, its answer waits) while armed: the
 * reader has read the old value, and a write can land before it acts on it.
 */
function gatedReads(adapter: CacheAdapter, key: string) {
  let armed = false;
  let held = 0;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const view = shared(adapter, {
    get: async (asked: string, options?: { signal?: AbortSignal | undefined }) => {
      const value = await adapter.get(asked, options);
      if (armed && asked === key) {
        held++;
        await gate;
      }
      return value;
    },
  });
  return {
    view,
    arm() {
      armed = true;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release() {
      armed = false;
      release();
    },
    get held() {
      return held;
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 5) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function readsOf(cache: Cache, key: string, count: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (let index = 0; index < count; index++) seen.push(await cache.get(key));
  return seen;
}

/** 30% of reads on one key, the rest over many keys. */
async function traffic(cache: Cache, reads: number, hotKey: string) {
  for (let index = 0; index < reads; index++) {
    await cache.get(index % 10 < 3 ? hotKey : `key:${(index * 7919) % 5000}`);
  }
}

const splitPattern = { hotKeys: { patterns: [{ match: 'global:', policy: 'split' as const }] } };
const shardsOf = (key: string) => [0, 1, 2, 3, 4, 5, 6, 7].map((index) => `${key}#hot${index}`);

describe('split keys stay correct', () => {
  it('a shard repair that read the old value does not write it over a newer write', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const gated = gatedReads(adapter, 'global:config');
    const reader = make(splitPattern, gated.view);
    const writer = make(splitPattern, shared(adapter));
    await writer.set('global:config', 'v1');
    await adapter.deleteMany(shardsOf('global:config'));
    gated.arm();
    // The shard misses; the reader reads the base key (v1) and is held before repairing.
    const read = reader.get('global:config');
    await until(() => gated.held > 0, 'the repair to read the base key');
    await writer.set('global:config', 'v2');
    gated.release();
    expect(await read).toBe('v1');
    await sleep(20);
    expect(new Set(await readsOf(reader, 'global:config', 200))).toEqual(new Set(['v2']));
  });

  it('a shard repair does not bring back a value deleted while it was reading', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const gated = gatedReads(adapter, 'global:config');
    const reader = make(splitPattern, gated.view);
    const writer = make(splitPattern, shared(adapter));
    await writer.set('global:config', 'v1');
    await adapter.deleteMany(shardsOf('global:config'));
    gated.arm();
    const read = reader.get('global:config');
    await until(() => gated.held > 0, 'the repair to read the base key');
    await writer.delete('global:config');
    gated.release();
    await read;
    await sleep(20);
    expect(new Set(await readsOf(reader, 'global:config', 200))).toEqual(new Set([undefined]));
  });

  it('a promotion that copied the old value into the shards drops them when a write came in between', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const gated = gatedReads(adapter, 'global:config');
    // The promotion's own read of the base key is held: it happens right after the marker is written.
    const view = shared(gated.view, {
      setMany: async (entries, options) => {
        await adapter.setMany(entries, options);
        if (entries.some((entry) => entry.key === markerKey('global:config'))) gated.arm();
      },
    });
    const bus = memoryBus();
    const owner = make({ hotKeys: { policy: 'split', windowMs: 40, promotionDelay: 10, bus } }, view);
    const writer = make({ hotKeys: { policy: 'split' } }, shared(adapter));
    await owner.set('global:config', 'v1');
    await traffic(owner, 3000, 'global:config');
    await until(() => gated.held > 0, 'the promotion to read the base key');
    await writer.set('global:config', 'v2');
    gated.release();
    await sleep(50);
    expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set(['v2']));
  });

  it('increment, decrement and touch on a split key reach every shard before they resolve', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const cache = make(splitPattern, shared(adapter));
    const other = make(splitPattern, shared(adapter));
    await cache.set('global:counter', 1);
    expect(new Set(await readsOf(other, 'global:counter', 30))).toEqual(new Set([1]));
    expect(await cache.increment('global:counter')).toBe(2);
    expect(new Set(await readsOf(other, 'global:counter', 300))).toEqual(new Set([2]));
    expect(await cache.decrement('global:counter', 5)).toBe(-3);
    expect(new Set(await readsOf(other, 'global:counter', 300))).toEqual(new Set([-3]));
    expect(await cache.add('global:counter', 7)).toBe(false);
    expect(new Set(await readsOf(other, 'global:counter', 30))).toEqual(new Set([-3]));
  });

  describe('a process that has not heard of the promotion', () => {
    async function promoted(adapter: CacheAdapter) {
      const bus = memoryBus();
      const hotKeys = { policy: 'split' as const, windowMs: 40, promotionDelay: 10, bus };
      const owner = make({ hotKeys }, shared(adapter));
      const events: HotKeyEntry[] = [];
      owner.on('hotkey:promote', (entry) => events.push(entry));
      await owner.set('global:config', 'v1');
      await traffic(owner, 3000, 'global:config');
      await until(() => events.some((entry) => entry.policy === 'split'), 'the promotion');
      const marker = async () => decodeMarker(await adapter.get(markerKey('global:config')));
      await until(async () => (await marker())?.state === 'split', 'the marker');
      await sleep(30);
      const before = owner.stats().totals.ops;
      // Served from the shards now: reads land on every node, not only the base key's.
      await readsOf(owner, 'global:config', 300);
      expect(owner.stats().totals.ops - before).toBeGreaterThanOrEqual(300);
      return { owner, bus };
    }

    it('with no bus: its write updates every shard before it resolves', async () => {
      const adapter = memoryAdapter({ nodes: 3 });
      const { owner } = await promoted(adapter);
      const unaware = make({ hotKeys: { policy: 'split' } }, shared(adapter));
      await unaware.set('global:config', 'v2');
      expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set(['v2']));
      await unaware.delete('global:config');
      expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set([undefined]));
    });

    it('subscribed late to the bus: its write and atomic change reach every shard', async () => {
      const adapter = memoryAdapter({ nodes: 3 });
      const { owner, bus } = await promoted(adapter);
      const late = make({ hotKeys: { policy: 'split', bus } }, shared(adapter));
      await late.ready();
      await late.set('global:config', 10);
      expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set([10]));
      await late.increment('global:config');
      expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set([11]));
    });
  });

  it("a writer with policy 'detect' that heard of the split lets the others drop its shards", async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const bus = memoryBus();
    const owner = make(
      { hotKeys: { policy: 'split', windowMs: 40, promotionDelay: 10, bus } },
      shared(adapter),
    );
    const detecting = make({ hotKeys: { policy: 'detect', bus } }, shared(adapter));
    await detecting.ready();
    const promoted: HotKeyEntry[] = [];
    owner.on('hotkey:promote', (entry) => promoted.push(entry));
    await owner.set('global:config', 'v1');
    await traffic(owner, 3000, 'global:config');
    await until(() => promoted.length > 0, 'the promotion');
    await until(async () => (await adapter.get(markerKey('global:config'))) !== undefined, 'the marker');
    await sleep(50);
    // It heard the split (it would read from the shards), but does not read markers when writing.
    await detecting.set('global:config', 'v2');
    await sleep(10);
    expect(new Set(await readsOf(owner, 'global:config', 300))).toEqual(new Set(['v2']));
  });

  it("with policy 'split', keys that can never split cost no marker read", async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const reads: string[][] = [];
    const counting = shared(adapter, {
      get: (key, options) => {
        reads.push([key]);
        return adapter.get(key, options);
      },
      getMany: (keys, options) => {
        reads.push([...keys]);
        return adapter.getMany(keys, options);
      },
      capabilities: { ...adapter.capabilities, maxKeyBytes: 40 },
    });
    const cache = make({ hotKeys: { policy: 'split' } }, counting);
    await cache.set('short', 1);
    await cache.set('k'.repeat(36), 2);
    expect(reads).toEqual([['short#split']]);
  });

  it('a failed shard delete on demotion is an event and counted, and the marker turns to demoting', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const failing = shared(adapter, {
      deleteMany: async (keys, options) => {
        if (keys.some((key) => key.includes('#hot'))) throw new Error('node down');
        return adapter.deleteMany(keys, options);
      },
    });
    const bus = memoryBus();
    const hotKeys = { policy: 'split' as const, windowMs: 40, coolWindows: 1, promotionDelay: 10, bus };
    const cache = make({ hotKeys }, failing);
    const errors: ShardError[] = [];
    const demoted: HotKeyEntry[] = [];
    cache.on('hotkey:shard-error', (error) => errors.push(error));
    cache.on('hotkey:demote', (entry) => demoted.push(entry));
    await cache.set('global:config', 'v1');
    await traffic(cache, 3000, 'global:config');
    await until(
      async () => decodeMarker(await adapter.get(markerKey('global:config')))?.state === 'split',
      'the split',
    );
    // No more reads: the key cools down and is demoted; deleting its shards fails.
    await until(() => demoted.length > 0 && errors.length > 0, 'the demotion');
    expect(errors[0]).toMatchObject({ key: 'global:config', operation: 'delete' });
    expect(errors[0]!.shards).toHaveLength(3);
    expect(cache.stats().hotKeyShardErrors).toBe(errors.length);
    expect(decodeMarker(await adapter.get(markerKey('global:config')))?.state).toBe('demoting');
    // Writers now delete the shards instead of writing them: the old value cannot come back.
    await adapter.deleteMany(shardsOf('global:config'));
    await cache.set('global:config', 'v2').catch(() => {});
    for (const shard of shardsOf('global:config')) expect(await adapter.get(shard)).toBeUndefined();
  });

  it('a failed shard fan-out fails the write and is reported as an event and in stats', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const failing = shared(adapter, {
      setMany: async (entries, options) => {
        if (entries.some((entry) => entry.key.includes('#hot'))) throw new Error('node down');
        return adapter.setMany(entries, options);
      },
    });
    const cache = make(splitPattern, failing);
    const errors: ShardError[] = [];
    cache.on('hotkey:shard-error', (error) => errors.push(error));
    await expect(cache.set('global:config', 'v1')).rejects.toThrow('node down');
    expect(errors).toMatchObject([{ key: 'global:config', operation: 'fan-out' }]);
    expect(errors[0]!.shards.length).toBe(3);
    expect(cache.stats().hotKeyShardErrors).toBe(1);
  });
});
