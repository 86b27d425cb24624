// The direct IMap path against the real client and cluster: it must encode exactly what the
// client's serializer does (an entry under a differently encoded key would be invisible to other
// clients), interoperate with plain IMap readers and writers, and stand aside for a near cache.
import { Socket } from 'node:net';
import { hazelcast, requireEngine } from '@ringcache/test-engines';
import fc from 'fast-check';
import { Client, type IMap } from 'hazelcast-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directImap, encodeKey, encodeValue } from '../src/direct-imap.js';
import { hazelcastTtl } from '../src/imap-encoding.js';
import { type HazelcastAdapter, hazelcastAdapter } from '../src/index.js';

const available = await requireEngine('hazelcast', hazelcast.members);
const run = `direct-${process.pid}-${Date.now()}`;

interface Serializer {
  toData(value: unknown): { toBuffer(): Buffer };
}

describe.skipIf(!available)('direct IMap path', () => {
  let adapter: HazelcastAdapter;
  let raw: Client;
  let rawMap: IMap<string, unknown>;
  let serializer: Serializer;

  beforeAll(async () => {
    const mapName = `ringcache-${run}`;
    adapter = await hazelcastAdapter({
      clusterName: hazelcast.clusterName,
      members: hazelcast.members,
      mapName,
    });
    raw = await Client.newHazelcastClient({
      clusterName: hazelcast.clusterName,
      network: { clusterMembers: hazelcast.members },
      properties: { 'hazelcast.logging.level': 'OFF' },
    });
    rawMap = await raw.getMap(mapName);
    serializer = (raw as unknown as { getSerializationService(): Serializer }).getSerializationService();
  });

  afterAll(async () => {
    await rawMap?.destroy();
    await adapter?.close();
    await raw?.shutdown();
  });

  it('encodes any string key and any bytes exactly as the client serializes them', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        (key, value) => {
          expect(encodeKey(key).equals(serializer.toData(key).toBuffer())).toBe(true);
          expect(encodeValue(value).equals(serializer.toData(Buffer.from(value)).toBuffer())).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is taken on a plain client, and not on a map with a near cache', async () => {
    expect(directImap(adapter.getClient(), await adapter.getMap())).toBeDefined();
    const nearCached = await Client.newHazelcastClient({
      clusterName: hazelcast.clusterName,
      network: { clusterMembers: hazelcast.members },
      nearCaches: { [`near-${run}`]: {} },
      properties: { 'hazelcast.logging.level': 'OFF' },
    });
    try {
      const map = await nearCached.getMap<string, Buffer>(`near-${run}`);
      expect(directImap(nearCached, map)).toBeUndefined();
      // Let the near cache finish registering its invalidation listener: a shutdown in the
      // middle of that leaves the client with an unobserved rejection.
      await map.get('anything');
    } finally {
      await nearCached.shutdown();
    }
  });

  it('writes entries plain IMap readers find, and reads what they wrote, for awkward keys (get, getMany, set)', async () => {
    const keys = fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), {
      numRuns: 300,
      seed: 7,
    });
    const unique = [...new Set([...keys, 'héllo wörld', '日本語', '🎉', '\ud800x', 'k'.repeat(300)])];
    const bytesFor = (index: number) => Buffer.from(`value ${index} ✓`);
    await Promise.all(unique.map((key, index) => adapter.set(`w:${key}`, bytesFor(index), 0)));
    const written = await Promise.all(unique.map((key) => rawMap.get(`w:${key}`)));
    expect(written).toEqual(unique.map((_, index) => bytesFor(index)));

    await Promise.all(unique.map((key, index) => rawMap.set(`r:${key}`, bytesFor(index))));
    const read = await Promise.all(unique.map((key) => adapter.get(`r:${key}`)));
    expect(read).toEqual(unique.map((_, index) => new Uint8Array(bytesFor(index))));
    expect(await adapter.get('r:never written')).toBeUndefined();

    // getMany (through the map proxy) sees the same entries, misses and repeats kept.
    const asked = [...unique.map((key) => `r:${key}`), 'r:never written', `r:${unique[0]}`];
    const expected = [
      ...unique.map((_, index) => new Uint8Array(bytesFor(index))),
      undefined,
      new Uint8Array(bytesFor(0)),
    ];
    expect(await adapter.getMany(asked)).toEqual(expected);
  });

  it('sends the TTL the map proxy sends: the members record the same expiry settings', async () => {
    const ttlOf = async (key: string) => {
      const view = await rawMap.getEntryView(key);
      return [String(view?.ttl), String(view?.maxIdle)];
    };
    for (const ttl of [0, 200, 5_000, 3_600_000]) {
      await adapter.set(`ttl:direct:${ttl}`, new Uint8Array([1]), ttl);
      await rawMap.set(`ttl:proxy:${ttl}`, Buffer.from([1]), hazelcastTtl(ttl));
      expect(await ttlOf(`ttl:direct:${ttl}`)).toEqual(await ttlOf(`ttl:proxy:${ttl}`));
    }
  });

  it('sends the calls of one event-loop turn in one write per member, across ticks', async () => {
    const keys = Array.from({ length: 200 }, (_, index) => `turn:${index}`);
    await Promise.all(keys.map((key) => adapter.set(key, Buffer.from(key), 0)));
    let writes = 0;
    const originals = { _write: Socket.prototype._write, _writev: Socket.prototype._writev };
    for (const method of ['_write', '_writev'] as const) {
      const original = originals[method] as (...args: unknown[]) => unknown;
      (Socket.prototype as unknown as Record<string, unknown>)[method] = function (
        this: unknown,
        ...args: unknown[]
      ) {
        writes++;
        return original.apply(this, args);
      };
    }
    try {
      // Half now, half on the next tick: hazelcast-client alone flushes after each (4 writes).
      const first = keys.slice(0, 100).map((key) => adapter.get(key));
      const second = await new Promise<Promise<Uint8Array | undefined>[]>((resolve) =>
        process.nextTick(() => resolve(keys.slice(100).map((key) => adapter.get(key)))),
      );
      const values = await Promise.all([...first, ...second]);
      expect(values.map((value) => Buffer.from(value!).toString())).toEqual(keys);
      expect(writes).toBeLessThanOrEqual(2);
    } finally {
      Object.assign(Socket.prototype, originals);
    }
  });

  it('rejects a value that is not bytes with a SerializeError naming the key', async () => {
    await rawMap.set('not-bytes', 'a string');
    await expect(adapter.get('not-bytes')).rejects.toMatchObject({ code: 'E_SERIALIZE', key: 'not-bytes' });
  });
});
