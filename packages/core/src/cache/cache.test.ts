import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterEntry, CacheAdapter } from '../adapter.js';
import { PartialError, RingcacheError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { type Cache, createCache } from './cache.js';
import type { CacheOptions } from './options.js';

const open: Cache[] = [];
function cache(options: Partial<CacheOptions> = {}, adapter: CacheAdapter = memoryAdapter()): Cache {
  const created = createCache({ adapter, ...options });
  open.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((created) => created.close()));
});

/** An adapter whose calls never settle, to prove timeouts do not depend on the engine. */
function hangingAdapter(): CacheAdapter {
  const base = memoryAdapter({ nodes: 1 });
  const never = () => new Promise<never>(() => {});
  return Object.assign(Object.create(base) as CacheAdapter, {
    get: never,
    set: never,
    getMany: never,
    close: () => base.close(),
  });
}

describe('createCache', () => {
  it('round-trips values; a stored null is a hit; undefined is a miss', async () => {
    const c = cache();
    await c.set('a', { n: 1, s: 'ü' });
    await c.set('nothing', null);
    expect(await c.get('a')).toEqual({ n: 1, s: 'ü' });
    expect(await c.get('nothing')).toBeNull();
    expect(await c.has('nothing')).toBe(true);
    expect(await c.get('missing')).toBeUndefined();
    expect(await c.delete('a')).toBe(true);
    expect(await c.delete('a')).toBe(false);
  });

  it('returns getMany results in input order with misses', async () => {
    const c = cache();
    await c.setMany(Array.from({ length: 50 }, (_, index) => ({ key: `k${index}`, value: index })));
    const keys = ['k3', 'nope', 'k49', 'k0', 'k3'];
    expect(await c.getMany(keys)).toEqual([3, undefined, 49, 0, 3]);
    expect(await c.deleteMany(['k3', 'nope'])).toEqual([true, false]);
  });

  it('expires entries after their TTL and keeps ttl 0 forever', async () => {
    const c = cache({ defaultTtl: 30 });
    await c.set('short', 1);
    await c.set('forever', 2, { ttl: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await c.get('short')).toBeUndefined();
    expect(await c.get('forever')).toBe(2);
  });

  it('rejects bad input before any I/O with typed errors', async () => {
    const c = cache();
    await expect(c.get('')).rejects.toMatchObject({ code: 'E_KEY_INVALID' });
    await expect(c.get(5 as unknown as string)).rejects.toMatchObject({ code: 'E_KEY_INVALID' });
    await expect(c.get('x'.repeat(70_000))).rejects.toMatchObject({ code: 'E_KEY_TOO_LONG' });
    await expect(c.set('k', 1, { ttl: -1 })).rejects.toMatchObject({ code: 'E_TTL_INVALID' });
    await expect(c.set('k', 1, { ttl: Number.NaN })).rejects.toMatchObject({ code: 'E_TTL_INVALID' });
    await expect(c.set('k', undefined)).rejects.toMatchObject({ code: 'E_SERIALIZE' });
    await expect(c.set('k', 10n)).rejects.toMatchObject({ code: 'E_SERIALIZE' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(c.set('k', cyclic)).rejects.toMatchObject({ code: 'E_SERIALIZE' });
    const small = cache({}, memoryAdapter({ maxValueBytes: 10 }));
    await expect(small.set('k', 'x'.repeat(20))).rejects.toMatchObject({ code: 'E_VALUE_TOO_LARGE' });
    expect(() => createCache({ adapter: memoryAdapter(), timeout: 0 })).toThrow(RingcacheError);
  });

  it('hashes long keys when asked, keeping them distinct', async () => {
    const c = cache({ longKeys: 'hash' });
    const long = 'x'.repeat(70_000);
    await c.set(long, 1);
    await c.set(`${long}y`, 2);
    expect(await c.get(long)).toBe(1);
    expect(await c.get(`${long}y`)).toBe(2);
  });

  it('runs the loader once for 1,000 concurrent misses', async () => {
    const c = cache();
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { loaded: true };
    };
    const results = await Promise.all(Array.from({ length: 1000 }, () => c.getOrSet('hot', loader)));
    expect(calls).toBe(1);
    expect(results.every((result) => result.loaded)).toBe(true);
    expect(await c.get('hot')).toEqual({ loaded: true });
  });

  it('namespaces are isolated and clear() spares other namespaces', async () => {
    const root = cache();
    const a = root.namespace('a');
    const b = root.namespace('b');
    await Promise.all(Array.from({ length: 30 }, (_, index) => a.set(`k${index}`, index)));
    await Promise.all(Array.from({ length: 30 }, (_, index) => b.set(`k${index}`, -index)));
    await a.clear();
    expect((await a.getMany(['k1', 'k2'])).every((value) => value === undefined)).toBe(true);
    expect(await b.get('k2')).toBe(-2);
    expect(await root.get('b:k2')).toBe(-2);
  });

  it('times out a hanging call with E_TIMEOUT, reads as a miss by default', async () => {
    // Settling at all is the point (the adapter never answers); how promptly is the chaos suite's
    // measure (timeout + 100 ms on real engines), not a wall-clock assertion here.
    const c = cache({ timeout: 50, onBackendError: 'throw' }, hangingAdapter());
    await expect(c.get('k')).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await expect(c.set('k', 1)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    const lenient = cache({ timeout: 30 }, hangingAdapter());
    const errors: unknown[] = [];
    lenient.on('backend:error', (event) => errors.push(event.error));
    expect(await lenient.get('k')).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(lenient.stats().totals.timeouts).toBe(1);
  });

  it('bounds pending calls per node with E_OVERLOADED', async () => {
    const c = cache({ timeout: 200, maxPending: 5, onBackendError: 'throw' }, hangingAdapter());
    const calls = Array.from({ length: 8 }, (_, index) =>
      c.get(`k${index}`).catch((error: RingcacheError) => error.code),
    );
    expect(await Promise.all(calls)).toEqual([
      ...Array.from({ length: 5 }, () => 'E_TIMEOUT'),
      ...Array.from({ length: 3 }, () => 'E_OVERLOADED'),
    ]);
  });

  it('honours an abort signal', async () => {
    const c = cache({ timeout: 5_000 }, hangingAdapter());
    const controller = new AbortController();
    const pending = c.set('k', 1, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('counts per-node traffic for the node that owns each key', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const c = cache({}, adapter);
    for (let index = 0; index < 300; index++) await c.set(`k${index}`, index);
    for (let index = 0; index < 300; index++) await c.get(`k${index}`);
    const stats = c.stats();
    expect(stats.nodes.map((node) => node.id)).toEqual(['memory:1', 'memory:2', 'memory:3']);
    for (const node of stats.nodes) {
      expect(node.ops).toBeGreaterThan(100);
      expect(node.hits).toBe(node.sets);
    }
    expect(stats.hitRate).toBe(1);
  });

  it('getOrSet returns the loader value when the backend is down and the write-back fails', async () => {
    const adapter = memoryAdapter({ nodes: 1, failover: 'miss' });
    const c = cache({}, adapter);
    await adapter.faults!.stopNode('memory:1');
    const writeBacks: unknown[] = [];
    c.on('writeback:error', (event) => writeBacks.push(event.error));
    expect(await c.getOrSet('k', () => 'fresh')).toBe('fresh');
    expect(writeBacks).toHaveLength(1);
    await expect(c.set('k', 1)).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
  });

  it('rejects every call with E_CLOSED after close', async () => {
    const c = cache();
    await c.close();
    await expect(c.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(c.set('k', 1)).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});

describe('values and keys that could be mistaken for something else', () => {
  it('round-trips a raw value that starts like the internal envelope or compression marker', async () => {
    const header = Buffer.from('{"expiresAt":1}');
    for (const marker of [
      [0, 0x52, 0x43, 0x45],
      [0, 0x52, 0x43, 0x5a],
    ]) {
      const value = new Uint8Array(
        Buffer.concat([
          Buffer.from(marker),
          Buffer.from([0, 0, 0, header.length]),
          header,
          Buffer.from('hello'),
        ]),
      );
      for (const compression of [false, true]) {
        const c = cache({ serializer: 'bytes', compression: compression && { threshold: 1_000_000 } });
        await c.set('k', value);
        expect(Buffer.from((await c.get<Uint8Array>('k'))!)).toEqual(Buffer.from(value));
      }
    }
  });

  it('rejects keys with lone surrogates, which every engine would store as U+FFFD', async () => {
    const c = cache();
    await expect(c.set('a\ud800', 1)).rejects.toMatchObject({ code: 'E_KEY_INVALID' });
    await expect(c.get('a\udc00')).rejects.toMatchObject({ code: 'E_KEY_INVALID' });
    await c.set('a\u{1f511}', 'paired surrogates are fine');
    expect(await c.get('a\u{1f511}')).toBe('paired surrogates are fine');
  });

  it('an oversized set drops the old value instead of leaving it readable', async () => {
    const c = cache({}, memoryAdapter({ maxValueBytes: 10 }));
    await c.set('k', 'old');
    await expect(c.set('k', 'x'.repeat(20))).rejects.toMatchObject({ code: 'E_VALUE_TOO_LARGE' });
    expect(await c.get('k')).toBeUndefined();
    await c.set('m', 'old');
    await expect(c.setMany([{ key: 'm', value: 'y'.repeat(20) }])).rejects.toMatchObject({
      code: 'E_VALUE_TOO_LARGE',
    });
    expect(await c.get('m')).toBeUndefined();
  });
});

describe('getMany misses and the options that change what is sent', () => {
  /** The memory engine, recording every entry it is asked to store. */
  function recording(): { adapter: CacheAdapter; sent: AdapterEntry[] } {
    const base = memoryAdapter();
    const sent: AdapterEntry[] = [];
    const adapter = Object.assign(Object.create(base) as CacheAdapter, {
      set: (key: string, value: Uint8Array, ttl: number) => {
        sent.push({ key, value, ttl });
        return base.set(key, value, ttl);
      },
      setMany: (entries: readonly AdapterEntry[]) => {
        sent.push(...entries);
        return base.setMany(entries);
      },
      close: () => base.close(),
    });
    return { adapter, sent };
  }

  it('getMany answers a miss with a real undefined element, not a hole', async () => {
    const c = cache();
    await c.set('hit', 1);
    const result = await c.getMany(['missing', 'hit', 'also-missing']);
    expect(Object.keys(result)).toEqual(['0', '1', '2']);
    expect(0 in result && 2 in result).toBe(true);
    expect(result.map((value) => value ?? 'miss')).toEqual(['miss', 1, 'miss']);
    const tagged = cache();
    await tagged.set('t', 1, { tags: ['x'] });
    expect(Object.keys(await tagged.getMany(['nope', 't']))).toEqual(['0', '1']);
  });

  it('ttlJitter spreads each TTL sent within ± the fraction', async () => {
    const { adapter, sent } = recording();
    const c = cache({ defaultTtl: 10_000, ttlJitter: 0.2 }, adapter);
    for (let index = 0; index < 200; index++) await c.set(`k${index}`, index);
    await c.setMany([{ key: 'many', value: 1, ttl: 1000 }]);
    const ttls = sent.slice(0, 200).map((entry) => entry.ttl);
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(8000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(12_000);
    // 200 uniform draws: both outer fifths are hit (all missing one has odds below 1e-11).
    expect(Math.min(...ttls)).toBeLessThan(9200);
    expect(Math.max(...ttls)).toBeGreaterThan(10_800);
    expect(sent[200]!.ttl).toBeGreaterThanOrEqual(800);
    expect(sent[200]!.ttl).toBeLessThanOrEqual(1200);
    await c.set('forever', 1, { ttl: 0 });
    expect(sent.at(-1)!.ttl).toBe(0);
  });

  it('a custom serializer writes its own bytes and reads them back', async () => {
    const { adapter, sent } = recording();
    const reversed = {
      name: 'reversed',
      serialize: (value: unknown) => Buffer.from([...String(value)].reverse().join('')),
      deserialize: (bytes: Uint8Array) => [...Buffer.from(bytes).toString()].reverse().join(''),
    };
    const c = cache({ serializer: reversed }, adapter);
    await c.set('k', 'abc');
    expect(Buffer.from(sent[0]!.value).toString()).toBe('cba');
    expect(await c.get('k')).toBe('abc');
  });

  it('compression shrinks a large compressible value, leaves small ones raw, and round-trips both', async () => {
    const { adapter, sent } = recording();
    const c = cache({ serializer: 'string', compression: { threshold: 100 } }, adapter);
    const large = 'ringcache '.repeat(10_000);
    await c.set('large', large);
    await c.set('small', 'tiny');
    expect(sent[0]!.value.byteLength).toBeLessThan(large.length / 20);
    expect(Buffer.from(sent[1]!.value).toString()).toBe('tiny');
    expect(await c.get('large')).toBe(large);
    expect(await c.get('small')).toBe('tiny');
  });

  it('a many-key call that fails on one node rejects with E_PARTIAL carrying per-key results', async () => {
    const adapter = memoryAdapter({ nodes: 3, failover: 'miss' });
    const c = cache({ onBackendError: 'throw', namespace: 'ns' }, adapter);
    const keys = Array.from({ length: 30 }, (_, index) => `k${index}`);
    await c.setMany(keys.map((key) => ({ key, value: key })));
    const owners = new Map(keys.map((key) => [key, adapter.topology().locate(`ns:${key}`)]));
    const victim = owners.get(keys[0]!)!;
    const victimKeys = keys.filter((key) => owners.get(key) === victim);
    await adapter.faults!.stopNode(victim);
    const failure = await c.getMany(keys).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PartialError);
    const results = (failure as PartialError).results;
    expect(results.map((outcome) => outcome.key)).toEqual(keys);
    for (const [index, outcome] of results.entries()) {
      const onVictim = owners.get(keys[index]!) === victim;
      expect(outcome.ok).toBe(!onVictim);
      // The caller's keys and decoded values, not the engine's namespaced keys and bytes.
      if (outcome.ok) expect(outcome.value).toBe(keys[index]);
    }
    // The default 'miss' answers the failed keys as misses and the others as hits.
    const lenient = cache(
      { namespace: 'ns' },
      Object.assign(Object.create(adapter) as CacheAdapter, { close: async () => {} }),
    );
    const values = await lenient.getMany(keys);
    expect(values.filter((value) => value === undefined).length).toBe(victimKeys.length);
    const written = await c.setMany(keys.map((key) => ({ key, value: 0 }))).catch((error: unknown) => error);
    expect(written).toMatchObject({ code: 'E_PARTIAL' });
    const failed = (written as PartialError).results.filter((outcome) => !outcome.ok);
    expect(failed.map((outcome) => outcome.key)).toEqual(victimKeys);
    const deleted = await c.deleteMany(keys).catch((error: unknown) => error);
    expect((deleted as PartialError).results.map((outcome) => outcome.key)).toEqual(keys);
  });
});
