// What the conformance suite does not cover, on the shared 6-node cluster: the slot map against
// the engine's own CLUSTER SLOTS, slot grouping, key prefixes, glob-safe clears, Buffers and TTLs
// on the wire, error mapping and the error events of a cluster that cannot be reached.
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { type AdapterEvent, createCache, fromClusterSlots, type RingcacheError } from '@ringcache/core';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_CONNECTION_NAME } from '../src/direct-connection.js';
import type { DirectConnections } from '../src/direct-connections.js';
import { type RedisClusterAdapter, redisClusterAdapter } from '../src/index.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);
const run = `rc-redis-${randomUUID().slice(0, 8)}`;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : new TextDecoder().decode(value);

describe.skipIf(!available)('redisClusterAdapter on the shared cluster', () => {
  let adapter: RedisClusterAdapter;
  const events: AdapterEvent[] = [];

  beforeAll(async () => {
    adapter = redisClusterAdapter({ nodes: redisCluster.nodes });
    adapter.subscribe((event) => events.push(event));
    await adapter.ready();
  });

  afterAll(async () => {
    await adapter?.clear(`${run}:`);
    await adapter?.close();
  });

  it('mirrors CLUSTER SLOTS: masters, ranges, replicas, and where keys really are', async () => {
    const client = adapter.getClient();
    const engineMap = fromClusterSlots(await client.cluster('SLOTS'));
    expect(adapter.slotMap().ranges()).toEqual(engineMap.ranges());
    expect(adapter.nodes()).toEqual(
      engineMap.nodes.map((node) => ({ id: node.id, address: node.id, status: 'up' })),
    );
    const keys = Array.from({ length: 60 }, (_, index) => `${run}:where:${index}`);
    await adapter.setMany(keys.map((key) => ({ key, value: bytes(key), ttl: 60_000 })));
    for (const key of keys) {
      const owner = adapter.topology().locate(key);
      const master = client
        .nodes('master')
        .find((node) => `${node.options.host}:${node.options.port}` === owner);
      expect(await master?.exists(key)).toBe(1);
    }
    expect(events.filter((event) => event.type === 'client:error')).toEqual([]);
  });

  it('never sends CROSSSLOT: many-key calls over spread, tagged and mixed keys answer in order', async () => {
    const spread = Array.from({ length: 50 }, (_, index) => `${run}:spread:${index}`);
    const tagged = Array.from({ length: 30 }, (_, index) => `${run}:{tag}:${index}`);
    const mixed = [...spread.slice(0, 10), ...tagged.slice(0, 10)].sort(() => Math.random() - 0.5);
    const all = [...spread, ...tagged];
    await adapter.setMany(all.map((key, index) => ({ key, value: bytes(String(index)), ttl: 0 })));
    const asked = [...mixed, `${run}:missing`, ...all];
    const values = await adapter.getMany(asked);
    expect(values.map(text)).toEqual(
      asked.map((key) => (all.includes(key) ? String(all.indexOf(key)) : undefined)),
    );
    expect(await adapter.deleteMany([tagged[0]!, `${run}:{tag}:missing`, spread[0]!])).toEqual([
      true,
      false,
      true,
    ]);
    expect(await adapter.getMany([tagged[0]!, tagged[1]!])).toEqual([undefined, bytes('51')]);
  });

  it('stores exact bytes as Buffers, returns plain Uint8Arrays, and sends TTLs as PX', async () => {
    const client = adapter.getClient();
    const all = Uint8Array.from({ length: 256 }, (_, index) => index);
    await adapter.set(`${run}:bytes`, all.subarray(10, 20), 1500);
    expect(await client.getBuffer(`${run}:bytes`)).toEqual(Buffer.from(all.subarray(10, 20)));
    const read = await adapter.get(`${run}:bytes`);
    expect(read?.constructor).toBe(Uint8Array);
    expect(read).toEqual(all.subarray(10, 20));
    const ttl = await client.pttl(`${run}:bytes`);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(1500);
    await adapter.set(`${run}:forever`, bytes('x'), 0);
    expect(await client.pttl(`${run}:forever`)).toBe(-1);
  });

  it('sends a burst of commands as one socket write per master, over its direct connections', async () => {
    const keys = Array.from({ length: 300 }, (_, index) => `${run}:tick:${index}`);
    // Twice: the first round opens the direct connections (calls meanwhile go through ioredis).
    await Promise.all(keys.map((key) => adapter.set(key, bytes(key), 60_000)));
    await waitForDirectConnections(adapter);
    await Promise.all(keys.map((key) => adapter.set(key, bytes(key), 60_000)));
    const ioredisWrites = countWrites(
      adapter
        .getClient()
        .nodes('all')
        .map((redis) => redis.stream),
    );
    const allWrites = countWrites([Socket.prototype]);
    try {
      const values = await Promise.all(keys.map((key) => adapter.get(key)));
      expect(values.map(text)).toEqual(keys);
      // 300 GETs over 3 masters: one write per master, none through ioredis' sockets.
      expect(allWrites.total()).toBe(3);
      expect(ioredisWrites.total()).toBe(0);
    } finally {
      allWrites.restore();
      ioredisWrites.restore();
    }
  });

  it('with directConnections off, coalesces ioredis writes the same way', async () => {
    const viaIoredis = redisClusterAdapter({ nodes: redisCluster.nodes, directConnections: false });
    try {
      await viaIoredis.ready();
      const keys = Array.from({ length: 300 }, (_, index) => `${run}:tick:${index}`);
      await Promise.all(keys.map((key) => viaIoredis.get(key))); // connects to every master
      const writes = countWrites(
        viaIoredis
          .getClient()
          .nodes('master')
          .map((redis) => redis.stream),
      );
      try {
        const values = await Promise.all(keys.map((key) => viaIoredis.get(key)));
        expect(values.map(text)).toEqual(keys);
        expect(writes.perTarget()).toEqual([1, 1, 1]);
      } finally {
        writes.restore();
      }
    } finally {
      await viaIoredis.close();
    }
  });

  it('keeps answering when its direct connections are killed, and opens new ones a second later', async () => {
    const keys = Array.from({ length: 200 }, (_, index) => `${run}:kill:${index}`);
    await Promise.all(keys.map((key) => adapter.set(key, bytes(key), 60_000)));
    await waitForDirectConnections(adapter);
    // Only this adapter's direct connections: other test files share the cluster.
    const direct = (adapter as unknown as { direct: DirectConnections }).direct.connections;
    expect(direct.size).toBe(3);
    const admin = adapter.getClient();
    const killed = await Promise.all(
      [...direct].map(([node, connection]) =>
        admin
          .nodes('master')
          .find((redis) => `${redis.options.host}:${redis.options.port}` === node)!
          .client('KILL', 'ADDR', `127.0.0.1:${connection.localPort}`),
      ),
    );
    expect(killed).toEqual([1, 1, 1]);
    // Reads caught on a killed connection are repeated through ioredis: none fails.
    const values = await Promise.all(keys.map((key) => adapter.get(key)));
    expect(values.map(text)).toEqual(keys);
    const later = await Promise.all(keys.map((key) => adapter.get(key)));
    expect(later.map(text)).toEqual(keys);
    await waitForDirectConnections(adapter);
    expect((await Promise.all(keys.map((key) => adapter.get(key)))).map(text)).toEqual(keys);
  });

  it('round-trips bytes whatever their encoding: invalid UTF-8, multi-byte text, large values', async () => {
    const values = [
      Uint8Array.of(0xc3, 0x28, 0xff, 0xfe, 0x00),
      bytes('é漢🙂'),
      Uint8Array.of(0xed, 0xa0, 0x80), // an encoded lone surrogate: not valid UTF-8
      bytes('x'.repeat(40_000)),
      new Uint8Array(0),
    ];
    for (const [index, value] of values.entries()) {
      await adapter.set(`${run}:enc:${index}`, value, 60_000);
      expect(await adapter.get(`${run}:enc:${index}`)).toEqual(value);
    }
  });

  it('applies keyPrefix on the wire, in the topology, and in clear()', async () => {
    const prefix = `${run}:prefixed:{p}`;
    const prefixed = redisClusterAdapter({ nodes: redisCluster.nodes, keyPrefix: prefix });
    try {
      await prefixed.ready();
      await prefixed.setMany(['a', 'b', 'c'].map((key) => ({ key, value: bytes(key), ttl: 60_000 })));
      expect(text(await adapter.get(`${prefix}a`))).toBe('a');
      expect(prefixed.topology().locate('a')).toBe(adapter.topology().locate(`${prefix}a`));
      expect(prefixed.capabilities.maxKeyBytes).toBe(65_536 - Buffer.byteLength(prefix));
      await adapter.set(`${run}:prefixed:other`, bytes('kept'), 60_000);
      await prefixed.clear();
      expect(await adapter.getMany([`${prefix}a`, `${prefix}b`, `${prefix}c`])).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(text(await adapter.get(`${run}:prefixed:other`))).toBe('kept');
    } finally {
      await prefixed.close();
    }
  });

  it('escapes glob characters: clear(prefix) removes exactly the keys starting with it', async () => {
    const base = `${run}:glob:`;
    const keys = ['a*1', 'a*2', 'ab1', 'a?1', 'ax1', 'a[1]', 'a1', 'a\\1', 'a\\x'].map((key) => base + key);
    await adapter.setMany(keys.map((key) => ({ key, value: bytes(key), ttl: 60_000 })));
    const remaining = async () => {
      const values = await adapter.getMany(keys);
      return keys.filter((_, index) => values[index] !== undefined).map((key) => key.slice(base.length));
    };
    await adapter.clear(`${base}a*`);
    expect(await remaining()).toEqual(['ab1', 'a?1', 'ax1', 'a[1]', 'a1', 'a\\1', 'a\\x']);
    await adapter.clear(`${base}a?`);
    await adapter.clear(`${base}a[`);
    await adapter.clear(`${base}a\\`);
    expect(await remaining()).toEqual(['ab1', 'ax1', 'a1']);
  });

  it('atomic operations: SET NX PX, INCRBY with a TTL set on creation only, PEXPIRE/PERSIST, PTTL', async () => {
    const { atomic } = adapter;
    const client = adapter.getClient();
    expect(await atomic.add(`${run}:once`, bytes('a'), 0)).toBe(true);
    expect(await atomic.add(`${run}:once`, bytes('b'), 5000)).toBe(false);
    expect(await client.pttl(`${run}:once`)).toBe(-1);
    expect(await atomic.increment(`${run}:n`, 5, 60_000)).toBe(5);
    await client.pexpire(`${run}:n`, 120_000);
    expect(await atomic.increment(`${run}:n`, -7, 1000)).toBe(-2); // signed; TTL untouched
    expect(await client.pttl(`${run}:n`)).toBeGreaterThan(60_000);
    await expect(atomic.increment(`${run}:n`, 0.5, 0)).rejects.toMatchObject({ code: 'E_CONFIG' });
    await adapter.set(`${run}:text`, bytes('abc'), 0);
    await expect(atomic.increment(`${run}:text`, 1, 0)).rejects.toMatchObject({ code: 'E_BACKEND' });
    expect(await atomic.touch(`${run}:once`, 30_000)).toBe(true);
    expect(await atomic.ttl!(`${run}:once`)).toBeGreaterThan(29_000);
    expect(await atomic.touch(`${run}:once`, 0)).toBe(true);
    expect(await atomic.ttl!(`${run}:once`)).toBe(0);
    expect(await atomic.touch(`${run}:absent`, 0)).toBe(false);
    expect(await atomic.touch(`${run}:absent`, 1000)).toBe(false);
    expect(await atomic.ttl!(`${run}:absent`)).toBeUndefined();
  });

  it('maps engine errors: WRONGTYPE is E_BACKEND, aborted and closed calls are typed', async () => {
    await adapter.getClient().lpush(`${run}:list`, 'x');
    await expect(adapter.get(`${run}:list`)).rejects.toMatchObject({ code: 'E_BACKEND', key: `${run}:list` });
    const cache = createCache({ adapter, onBackendError: 'throw' });
    await expect(cache.get(`${run}:list`)).rejects.toMatchObject({ code: 'E_BACKEND' });
    const signal = AbortSignal.abort();
    await expect(adapter.get('k', { signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(adapter.getMany(['k'], { signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(adapter.clear(`${run}:nothing`, { signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('applies natMap to the slot map, so node ids are the addresses this process reaches', async () => {
    const mapped = redisClusterAdapter({
      nodes: redisCluster.nodes,
      natMap: (key: string) => ({ host: 'localhost', port: Number(key.slice(key.lastIndexOf(':') + 1)) }),
    });
    try {
      await mapped.ready();
      const ids = mapped.nodes().map((node) => node.id);
      expect(ids).toHaveLength(3);
      for (const id of ids) expect(id).toMatch(/^localhost:70\d\d$/);
      await mapped.set(`${run}:nat`, bytes('via localhost'), 60_000);
      expect(text(await adapter.get(`${run}:nat`))).toBe('via localhost');
      expect(mapped.topology().locate(`${run}:nat`)).toBe(
        adapter.topology().locate(`${run}:nat`).replace('127.0.0.1', 'localhost'),
      );
    } finally {
      await mapped.close();
    }
  });

  it('leaves a client you pass open at close, and still works on it', async () => {
    const client = new Cluster(
      redisCluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
    );
    client.on('error', () => {});
    const borrowed = redisClusterAdapter(client);
    await borrowed.ready();
    await borrowed.set(`${run}:borrowed`, bytes('v'), 60_000);
    const listenersBefore = client.listenerCount('refresh');
    await borrowed.close();
    expect(client.listenerCount('refresh')).toBe(listenersBefore - 1);
    expect(client.status).toBe('ready');
    expect(await client.get(`${run}:borrowed`)).toBe('v');
    await expect(borrowed.get(`${run}:borrowed`)).rejects.toMatchObject({ code: 'E_CLOSED' });
    await client.quit();
  });
});

describe.skipIf(!available)('redisClusterAdapter over a client with its own keyPrefix', () => {
  it('reads and writes under that prefix, over direct connections too, and clear() removes the keys', async () => {
    const clientPrefix = `${run}:cp:`;
    const client = new Cluster(
      redisCluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
      { keyPrefix: clientPrefix },
    );
    client.on('error', () => {});
    const borrowed = redisClusterAdapter(client);
    try {
      await borrowed.ready();
      const keys = Array.from({ length: 30 }, (_, index) => `k${index}`);
      for (let round = 0; round < 2; round++) {
        // The second round goes over direct connections, opened during the first.
        await Promise.all(keys.map((key) => borrowed.set(key, bytes(`${key}:${round}`), 60_000)));
        expect((await borrowed.getMany(keys)).map(text)).toEqual(keys.map((key) => `${key}:${round}`));
        // ioredis adds its prefix when reading: the values are stored under it.
        expect(await client.get('k0')).toBe(`k0:${round}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((borrowed as unknown as { direct: DirectConnections }).direct.connections.size).toBe(3);
      await borrowed.clear();
      expect(await borrowed.getMany(keys)).toEqual(keys.map(() => undefined));
    } finally {
      await borrowed.close();
      await client.quit();
    }
  });
});

describe('redisClusterAdapter with no reachable node', () => {
  it('reports client errors as events, fails calls fast and typed, and closes cleanly', async () => {
    const adapter = redisClusterAdapter({
      nodes: ['127.0.0.1:1', '127.0.0.1:2'],
      clusterOptions: { clusterRetryStrategy: (times) => (times > 3 ? null : 50) },
    });
    const errors: unknown[] = [];
    adapter.subscribe((event) => {
      if (event.type === 'client:error') errors.push(event.error);
    });
    await expect(adapter.ready()).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
    expect(errors.length).toBeGreaterThan(0);
    const started = Date.now();
    const failure = (await adapter.get('k').catch((error: unknown) => error)) as RingcacheError;
    expect(failure.code).toBe('E_NODE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(100);
    await expect(adapter.getMany(['a', 'b'])).rejects.toMatchObject({ code: 'E_PARTIAL' });
    expect(adapter.nodes().map((node) => node.status)).toEqual(['down', 'down']);
    await adapter.close();
    await adapter.close();
  });
});

/** Waits until every master shows a connection named as the adapter's direct ones. */
async function waitForDirectConnections(adapter: RedisClusterAdapter): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    // A call per master opens its direct connection when there is none.
    await Promise.all(Array.from({ length: 30 }, (_, index) => adapter.get(`probe:${index}`)));
    const lists = await Promise.all(
      adapter
        .getClient()
        .nodes('master')
        .map((redis) => redis.client('LIST')),
    );
    if (lists.every((list) => String(list).includes(`name=${DIRECT_CONNECTION_NAME} `))) return;
    if (Date.now() > deadline) throw new Error('direct connections did not open');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Counts socket writes (`_write`/`_writev`) on `targets` (sockets, or Socket.prototype for all). */
function countWrites(targets: readonly unknown[]) {
  const counts = targets.map(() => 0);
  const restores = targets.map((target, index) => {
    const socket = target as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    const originals = { _write: socket._write, _writev: socket._writev };
    const own = {
      _write: Object.hasOwn(socket, '_write'),
      _writev: Object.hasOwn(socket, '_writev'),
    };
    for (const method of ['_write', '_writev'] as const) {
      const original = originals[method];
      socket[method] = function (this: unknown, ...args: unknown[]) {
        counts[index]!++;
        return original.apply(this, args);
      };
    }
    return () => {
      for (const method of ['_write', '_writev'] as const) {
        if (own[method]) socket[method] = originals[method];
        else delete (socket as Record<string, unknown>)[method];
      }
    };
  });
  return {
    perTarget: () => [...counts],
    total: () => counts.reduce((sum, count) => sum + count, 0),
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}
